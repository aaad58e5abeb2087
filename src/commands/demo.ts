// `imap-oauth demo`: the real `test` path against the in-process sandbox.
import { resolveConfig } from '../config/resolve.js';
import type { ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import type { Redactor } from '../redact.js';
import { SANDBOX, startSandbox } from '../sandbox/world.js';
import { runTest } from './test.js';

export async function runDemo(flags: Record<string, unknown>, redactor: Redactor, io: Io): Promise<ExitCode> {
  const world = await startSandbox();
  try {
    redactor.add(world.clientSecret);
    // The same resolution as `test`, fed with the sandbox's values; the process environment and
    // any ./.env are deliberately not consulted.
    const config = resolveConfig({
      flags: {
        ...flags,
        user: [SANDBOX.user],
        tenant: SANDBOX.tenantId,
        clientId: SANDBOX.clientId,
        authorityHost: world.identity.url,
        host: world.imap.host,
        port: String(world.imap.port),
        envFile: '/dev/null',
      },
      env: { IMAP_OAUTH_CLIENT_SECRET: world.clientSecret, ...(process.env.NO_COLOR ? { NO_COLOR: process.env.NO_COLOR } : {}) },
      cwd: process.cwd(),
      stdoutIsTTY: !!process.stdout.isTTY,
      stderrIsTTY: !!process.stderr.isTTY,
    });
    config.caPem = world.caPem;
    return await runTest(config, redactor, io, {
      title: `imap-oauth demo — a local sandbox standing in for Microsoft Entra ID (${world.identity.url}) and Exchange Online (${world.imap.host}:${world.imap.port}); nothing leaves this machine.`,
    });
  } finally {
    await world.close();
  }
}
