// `imap-oauth test`: config → token → probe → diagnosis → report.
import type { Config } from '../config/types.js';
import { diagnose } from '../diagnose/index.js';
import { probeMailbox } from '../imap/probe.js';
import type { Io } from '../io.js';
import type { Redactor } from '../redact.js';
import { renderJson } from '../report/json.js';
import { renderText } from '../report/text.js';
import { exitCodeFor, runExitCode, type MailboxResult, type RunResult } from '../result.js';
import { buildXoauth2 } from '../sasl.js';
import { acquireToken } from '../token/acquire.js';
import type { TokenReport } from '../token/types.js';
import type { ExitCode } from '../exit-codes.js';

export interface TestOptions {
  title?: string;
  notes?: string[];
}

function tokenStage(token: TokenReport) {
  const e = token.error;
  const detail = token.ok
    ? `acquired (${token.source})`
    : `${e?.aadsts ? `AADSTS${e.aadsts}: ` : ''}${e?.description ?? e?.message ?? 'failed'}`;
  return { name: 'token' as const, ok: token.ok, ms: token.ms, detail };
}

export async function runTest(config: Config, redactor: Redactor, io: Io, opts: TestOptions = {}): Promise<ExitCode> {
  registerSecrets(config, redactor);
  for (const w of config.warnings) io.err(`imap-oauth: warning: ${w}\n`);

  const { report: token, token: accessToken } = await acquireToken(config);
  if (accessToken) redactor.add(accessToken);

  const results: MailboxResult[] = [];
  for (const user of config.users) {
    const ctx = { user, host: config.host, tenant: config.tenant, clientId: config.clientId, scope: config.scope, credential: config.credential.kind, token, now: new Date() };
    if (!accessToken) {
      results.push({ user, host: config.host, port: config.port, ok: false, exitCode: exitCodeFor('token'), failedStage: 'token', stages: [tokenStage(token)], transcript: [], diagnosis: diagnose(ctx) });
      continue;
    }
    redactor.addSasl(buildXoauth2(user, accessToken), accessToken);
    const probe = await probeMailbox({ user, host: config.host, port: config.port, folder: config.folder, timeoutMs: config.timeoutMs, caPem: config.caPem, insecure: config.insecure }, accessToken, redactor);
    results.push({
      user,
      host: probe.host,
      port: probe.port,
      ok: probe.ok,
      exitCode: exitCodeFor(probe.failedStage, probe.evidence),
      failedStage: probe.failedStage,
      stages: [tokenStage(token), ...probe.stages],
      transcript: probe.transcript,
      diagnosis: diagnose({ ...ctx, probe }),
      backend: probe.evidence.backend,
      messages: probe.evidence.mailbox?.exists,
      evidence: probe.evidence,
    });
  }

  const exitCode = runExitCode(results);
  const run: RunResult = { ok: exitCode === 0, exitCode, token, results };
  io.out(config.output.json ? renderJson(run) : renderText(run, { color: config.output.color, verbose: config.output.verbose, title: opts.title, notes: [...(opts.notes ?? []), ...describeConfig(config)] }));
  return exitCode;
}

function registerSecrets(config: Config, redactor: Redactor): void {
  const cred = config.credential;
  if (cred.kind === 'client-secret') redactor.add(cred.secret);
  if (cred.kind === 'access-token-file') redactor.add(cred.token);
  if (cred.kind === 'certificate') {
    redactor.add(cred.certificate.privateKeyPem);
    // Also each base64 line of the key, should a library print part of it.
    for (const line of cred.certificate.privateKeyPem.split('\n')) if (line.length >= 40 && !line.startsWith('-----')) redactor.add(line);
  }
}

function describeConfig(config: Config): string[] {
  const cred = config.credential;
  const lines = [
    `credential: ${cred.kind} (${cred.origin})`,
    `authority:  ${config.authorityHost}/${config.tenant ?? '-'}  client ${config.clientId ?? '-'}  scope ${config.scope}`,
    `imap:       ${config.host}:${config.port} (TLS${config.insecure ? ', NOT verified' : ', verified'}${config.caPem ? ', extra CA' : ''})  folder ${config.folder}  timeout ${config.timeoutMs / 1000} s`,
  ];
  if (cred.kind === 'certificate') {
    const c = cred.certificate;
    lines.push(`certificate: ${c.subject}  SHA-256 ${c.thumbprintSha256}  SHA-1 ${c.thumbprintSha1}  expires ${c.notAfter.toISOString()}`);
  }
  return lines;
}
