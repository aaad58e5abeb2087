// `imap-oauth demo [--scenario NAME | --list]`: the real `test` path against the in-process
// sandbox, either set up right or with one Microsoft-side mistake reproduced.
import { randomUUID } from 'node:crypto';
import { resolveConfig } from '../config/resolve.js';
import { ConfigError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { Sink } from '../io.js';
import type { Redactor } from '../redact.js';
import { findScenario, scenarioList, SCENARIOS, type Scenario } from '../sandbox/scenarios.js';
import { SANDBOX, startSandbox } from '../sandbox/world.js';
import { loadCertificatePem } from '../token/certificate.js';
import { runTest } from './test.js';

export async function runDemo(flags: Record<string, unknown>, redactor: Redactor, io: Sink): Promise<ExitCode> {
  if (flags.list === true) {
    io.out(`Scenarios (imap-oauth demo --scenario NAME):\n${scenarioList()}`);
    return ExitCode.OK;
  }
  const name = typeof flags.scenario === 'string' ? flags.scenario : 'success';
  const scenario = findScenario(name);
  if (!scenario) throw new ConfigError(`unknown --scenario "${name}": one of ${SCENARIOS.map((s) => s.name).join(', ')} (see demo --list)`);

  const world = await startSandbox(scenario.world);
  try {
    redactor.add(world.clientSecret);
    if (scenario.tokenFault) world.identity.setFault(scenario.tokenFault);
    if (scenario.imapFault) world.imap.setFault(scenario.imapFault);
    const secret = scenario.credential === 'secret-id' ? randomUUID() : world.clientSecret;
    // The same resolution as `test`, fed with the sandbox's values; the process environment and
    // any ./.env are deliberately not consulted.
    const config = resolveConfig({
      flags: {
        ...flags,
        user: [SANDBOX.user],
        tenant: scenario.tenant ?? SANDBOX.tenantId,
        clientId: scenario.clientId ?? SANDBOX.clientId,
        authorityHost: world.identity.url,
        host: world.imap.host,
        ...(scenario.scope ? { scope: scenario.scope } : {}),
        ...(scenario.timeoutSeconds ? { timeout: String(scenario.timeoutSeconds) } : {}),
        ...(scenario.protocol ? { protocol: [scenario.protocol] } : {}),
      },
      env: { IMAP_OAUTH_CLIENT_SECRET: secret, ...(process.env.NO_COLOR ? { NO_COLOR: process.env.NO_COLOR } : {}) },
      cwd: process.cwd(),
      stdoutIsTTY: !!process.stdout.isTTY,
      stderrIsTTY: !!process.stderr.isTTY,
      noEnvFile: true,
    });
    config.caPem = world.caPem;
    // Each protocol has its own sandbox listener on the same host.
    config.port = world.imap.port;
    config.popPort = world.pop.port;
    config.smtpPort = world.smtp.port;
    if (scenario.credential === 'certificate') {
      const pem = world.clientCertificate.keyPem + world.clientCertificate.certPem;
      config.credential = { kind: 'certificate', certificate: loadCertificatePem(pem, 'sandbox certificate'), path: 'sandbox', origin: 'sandbox' };
    }
    return await runTest(config, redactor, io, { title: title(scenario, world.identity.url, `${world.imap.host}:${world.imap.port}`) });
  } finally {
    await world.close();
  }
}

function title(s: Scenario, identity: string, imap: string): string {
  const what = s.name === 'success' ? '' : `\nScenario "${s.name}": ${s.title}. Expected: exit ${s.expect.exitCode}${s.expect.rule ? `, ${s.expect.rule}` : ''}.`;
  return `imap-oauth demo — a local sandbox standing in for Microsoft Entra ID (${identity}) and Exchange Online (${imap}); nothing leaves this machine.${what}`;
}
