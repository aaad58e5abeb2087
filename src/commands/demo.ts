// `imap-oauth demo`: the real `test` path against the in-process sandbox.
import type { Config } from '../config/types.js';
import { DEFAULTS } from '../config/types.js';
import type { Io } from '../io.js';
import type { Redactor } from '../redact.js';
import { SANDBOX, startSandbox } from '../sandbox/world.js';
import { runTest } from './test.js';
import type { ExitCode } from '../exit-codes.js';

export async function runDemo(flags: Record<string, unknown>, redactor: Redactor, io: Io): Promise<ExitCode> {
  const world = await startSandbox();
  try {
    redactor.add(world.clientSecret);
    const json = flags.json === true;
    const noColor = flags.color === false || !!process.env.NO_COLOR;
    const config: Config = {
      users: [SANDBOX.user],
      tenant: SANDBOX.tenantId,
      clientId: SANDBOX.clientId,
      credential: { kind: 'client-secret', secret: world.clientSecret, origin: 'sandbox' },
      authorityHost: world.identity.url,
      scope: DEFAULTS.scope,
      host: world.imap.host,
      port: world.imap.port,
      folder: DEFAULTS.folder,
      timeoutMs: DEFAULTS.timeoutSeconds * 1000,
      caPem: world.caPem,
      insecure: false,
      output: { json, verbose: flags.verbose === true, debug: flags.debug === true, color: !json && !noColor && !!process.stdout.isTTY },
      warnings: [],
    };
    return await runTest(config, redactor, io, {
      title: `imap-oauth demo — a local sandbox standing in for Microsoft Entra ID (${world.identity.url}) and Exchange Online (${world.imap.host}:${world.imap.port}); nothing leaves this machine.`,
    });
  } finally {
    await world.close();
  }
}
