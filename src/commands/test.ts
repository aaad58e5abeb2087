// `imap-oauth test`: config → token → probe (each mailbox, several at once) → diagnosis → report.
import { Collector, keepFor } from '../batch/collect.js';
import { notRunChecks, planChecks, reportPlan } from '../batch/plan.js';
import { boundHeapGrowth } from '../batch/heap.js';
import { runPool } from '../batch/pool.js';
import { REAL_CLOCK, TokenBucket } from '../batch/rate.js';
import { readResume } from '../batch/resume.js';
import { backoffMs, isTransientProbeFailure, isTransientTokenError, sleep } from '../batch/retry.js';
import { CLOUDS } from '../config/clouds.js';
import { CREDENTIAL_TEXT, isUserSignIn, type Config } from '../config/types.js';
import { diagnose, type DiagnosisContext } from '../diagnose/index.js';
import { describeSecret } from '../diagnose/secret-shape.js';
import { ConfigError, fileErrorReason } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { probeOne, type ProbeOneTarget, type Protocol } from '../probe/dispatch.js';
import { earlyConnections, type EarlyConnection, type EarlyConnections } from '../net/early-connect.js';
import { proxyFor, type ProxyEndpoint } from '../net/proxy.js';
import type { ProbeResult, StageResult } from '../imap/types.js';
import type { FileOptions, Sink } from '../io.js';
import type { Redactor } from '../redact.js';
import { githubAnnotation } from '../report/github.js';
import { renderJson, toJsonResult } from '../report/json.js';
import { renderJunit } from '../report/junit.js';
import { credentialInfo } from '../report/credential-info.js';
import { writeHtmlReport } from '../report/html-file.js';
import { writeMonitoringFiles } from '../report/monitoring-files.js';
import { renderNagios } from '../report/nagios.js';
import { createProgress, createStageLog, type StageLog } from '../report/progress.js';
import { renderSummary } from '../report/summary.js';
import { renderText } from '../report/text.js';
import { exitCodeFor, type MailboxResult, type RunResult } from '../result.js';
import { acquireToken, type AcquireHooks } from '../token/acquire.js';
import { checkApp } from '../app-check/graph.js';
import { appFindings } from '../diagnose/rules/app-credentials.js';
import { tokenErrorLine, type TokenReport, type TokenResult } from '../token/types.js';
import { printableLines } from '../printable.js';

export interface TestOptions {
  title?: string;
  notes?: string[];
  /**
   * The Node API's run: no signal handlers of its own (the host program owns them) and never an
   * exit; `signal` stops the run as Ctrl-C would.
   */
  embedded?: { signal?: AbortSignal };
  /** Connections the caller opened before loading this module (cli.ts); else opened here. */
  early?: EarlyConnections;
}


function tokenStage(token: TokenReport) {
  const e = token.error;
  const detail = token.ok
    ? `acquired (${CREDENTIAL_TEXT[token.source]}${token.fromCache ? ', from the token cache' : ''})`
    : tokenErrorLine(e);
  return { name: 'token' as const, ok: token.ok, ms: token.ms, detail };
}

async function tokenWithRetries(config: Config, signal: AbortSignal, hooks: AcquireHooks, early?: EarlyConnection): Promise<TokenResult> {
  let result = await acquireToken(config, hooks, early);
  for (let attempt = 0; attempt < config.retries && !result.report.ok && isTransientTokenError(result.report.error) && !signal.aborted; attempt++) {
    await sleep(backoffMs(attempt, result.report.error?.retryAfterSeconds), signal);
    const retried = await acquireToken(config, hooks);
    retried.report.requests += result.report.requests;
    retried.report.attempts = attempt + 2;
    result = retried;
  }
  return result;
}

/** Where one protocol of one mailbox is checked. */
function targetFor(config: Config, user: string, protocol: Protocol, onStage?: (stage: StageResult) => void, early?: EarlyConnection): ProbeOneTarget {
  const { host, port } = endpointOf(config, protocol);
  const sendTo = protocol === 'smtp' && config.sendTestTo !== undefined ? config.sendTestTo || user : undefined;
  return { user, host, port, folder: config.folder, timeoutMs: config.timeoutMs, caPem: config.caPem, insecure: config.insecure, mech: config.mech, starttls: config.starttls, waitForLogout: config.output.verbose, connectTo: config.connectTo, ...(sendTo ? { sendTo } : {}), ...mailProxy(config, host, port), ...(onStage ? { onStage } : {}), ...(early ? { early } : {}) };
}

/** The proxy for the mail connection, IMAP, POP and SMTP alike (NO_PROXY names the host as given). */
function mailProxy(config: Config, host: string, port: number): { proxy?: ProxyEndpoint } {
  const proxy = proxyFor(config.proxy, 'mail', host, port);
  return proxy ? { proxy } : {};
}

export function endpointOf(config: Config, protocol: Protocol): { host: string; port: number } {
  if (protocol === 'pop') return { host: config.popHost, port: config.popPort };
  if (protocol === 'smtp') return { host: config.smtpHost, port: config.smtpPort };
  return { host: config.host, port: config.port };
}

/** null: interrupted before the first connection started (waiting for --rate). */
async function probeWithRetries(config: Config, user: string, protocol: Protocol, token: Promise<string | undefined>, redactor: Redactor, signal: AbortSignal, bucket?: TokenBucket, onStage?: (stage: StageResult) => void, early?: EarlyConnection): Promise<ProbeResult | null> {
  const target = targetFor(config, user, protocol, onStage, early);
  // Every connection start, a retry's too, takes a token from the --rate bucket.
  const attempt = async () => ((await (bucket?.take(signal) ?? true)) && !signal.aborted ? probeOne(protocol, target, token, redactor, signal) : null);
  let probe = await attempt();
  if (!probe) return null;
  for (let n = 0; n < config.retries && !probe.ok && isTransientProbeFailure(probe.evidence) && !signal.aborted; n++) {
    await sleep(backoffMs(n), signal);
    // Interrupted while waiting to retry: the failure seen is the result.
    const next = await attempt();
    if (!next) break;
    probe = next;
  }
  return probe;
}

export async function runTest(config: Config, redactor: Redactor, io: Sink, opts: TestOptions = {}): Promise<ExitCode> {
  registerSecrets(config, redactor);
  for (const w of config.warnings) io.err(`imap-oauth: warning: ${printableLines(w)}\n`);
  const started = performance.now();
  // Read (streamed) before any connection: a wrong file ends the run with exit 2.
  const resumed = config.resume ? await readResume(config.resume.path, config.resume.given) : undefined;

  // Ctrl-C, and SIGTERM (a CI cancel, docker stop, Kubernetes) alike: stop starting mailboxes, stop
  // waiting for the token, log out of open sessions, still report (and write) what finished.
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGTERM' ? ExitCode.TERMINATED : ExitCode.INTERRUPTED;
    if (controller.signal.aborted) process.exit(code);
    stoppedBy = signal;
    controller.abort();
    io.err(`\nimap-oauth: interrupted (${signal}): closing open sessions (${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to quit at once)\n`);
  };
  if (opts.embedded) {
    const outer = opts.embedded.signal;
    if (outer?.aborted) controller.abort();
    else outer?.addEventListener('abort', () => controller.abort(), { once: true });
  } else for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  const interruptedToken = new Promise<TokenResult>((resolve) =>
    controller.signal.addEventListener('abort', () => resolve({ report: { source: config.credential.kind, ok: false, ms: Math.round(performance.now() - started), requests: 0, error: { kind: 'client', message: 'interrupted before the token arrived' } } }), { once: true }),
  );

  // Opened before MSAL or imapflow is loaded (by the CLI before even this module).
  const early = opts.early ?? earlyConnections(config);
  try {
    await early?.started;
    // One mailbox on a terminal: each stage on stderr as it ends (a hang shows where it is).
    const live = config.output.stages ? startStageLog(config, io) : null;
    // The token is requested while the first connections open: AUTHENTICATE waits for it, so its
    // round trips overlap TCP, TLS and the greeting instead of coming before them.
    const tokenResult = Promise.race([interruptedToken, tokenWithRetries(config, controller.signal, {
      // Registered before anything can print them: secrets sent, tokens received, the cache's tokens.
      onSecret: (value) => void redactor.add(value),
      // Device code: where to sign in and the code, for the person at the keyboard (stderr).
      onDeviceCode: (message) => io.err(`${printableLines(message)}\n`), // Entra's words: shown, never obeyed
      onSignInUrl: async (url) => {
        io.err(`To sign in, open this page in a browser (it returns to this machine's loopback port):\n${url}\n`);
        if (config.credential.kind === 'interactive' && config.credential.openBrowser) (await import('../browser.js')).openBrowser(url);
      },
      onSignInWaiting: () =>
        io.err(
          'imap-oauth: still waiting for the browser to come back. If it shows an error page, the sign-in cannot finish: ' +
            'press Ctrl-C, look the code up with  imap-oauth explain AADSTS<number>,  and check --tenant, --client-id and that the app ' +
            'registration has a "Mobile and desktop applications" platform with the redirect URI http://localhost.\n',
        ),
    }, early?.token)]);
    let settled: TokenResult | undefined;
    const accessToken = tokenResult.then(
      (result) => {
        settled = result;
        if (result.token) redactor.add(result.token);
        return result.token;
      },
      () => undefined, // the error itself surfaces where tokenResult is awaited
    );
    if (live) void tokenResult.then((r) => live.stage(tokenStage(r.report), config.protocols.length > 1 ? '' : undefined), () => undefined);

    // --check-app: the app registration is read alongside the mail checks; it never changes their result.
    const appCheck = config.checkApp ? checkApp(config, (value) => void redactor.add(value)) : undefined;
    // A delegated flow without --user checks the signed-in user's own mailbox: known once signed in.
    const users = config.users.length ? config.users : [await signedInUser(tokenResult)];
    const notices = delegatedNotices(config, users);
    // Each (mailbox, protocol) pair is one check with its own result; --shard and --resume cut the list.
    const plan = planChecks(users, config.protocols, { shard: config.shard, done: resumed?.done });
    reportPlan(io, config, plan, users.length, resumed);
    const batch = users.length * config.protocols.length > 1 || !!config.shard || !!resumed;
    if (batch && !opts.embedded) boundHeapGrowth();
    const progress = config.output.progress ? createProgress(plan.total) : null;
    // Results go out (--jsonl, annotations) as each finishes; only what the reports need is kept.
    const collected = new Collector(plan.total, keepFor(config.output, batch));
    const bucket = config.rate ? new TokenBucket(config.rate, REAL_CLOCK) : undefined;
    const context = (user: string, token: TokenReport, protocol: Protocol = 'imap'): DiagnosisContext => ({
      user, host: endpointOf(config, protocol).host, tenant: config.tenant, clientId: config.clientId, scope: config.scope, cloud: config.cloud, authMode: config.authMode, credential: config.credential.kind, token, now: new Date(),
      // Only the secret's shape (quotes, length, GUID shape) reaches the rules, never its value.
      secret: config.credential.kind === 'client-secret' ? describeSecret(config.credential.secret) : undefined,
      credentialNotAfter: config.credential.kind === 'certificate' ? config.credential.certificate.notAfter : undefined,
      warnDays: config.output.warnDays,
    });
    const tokenFailure = (user: string, token: TokenReport, protocol: Protocol): MailboxResult => ({
      user, protocol, ...endpointOf(config, protocol), ok: false, exitCode: exitCodeFor('token'), failedStage: 'token', stages: [tokenStage(token)], transcript: [], diagnosis: diagnose(context(user, token, protocol)),
    });

    await runPool(
      plan.checks(),
      config.concurrency,
      // `signal`: this check's own, aborted with the run's (see pool.ts).
      async ({ user, protocol }, _index, signal): Promise<MailboxResult | null> => {
        if (signal.aborted) return null;
        // Once the token is known to be missing, no more connections are opened.
        if (settled && !settled.token) return tokenFailure(user, settled.report, protocol);
        const onStage = live ? (stage: StageResult) => live.stage(stage, config.protocols.length > 1 ? protocol : undefined) : undefined;
        const probe = await probeWithRetries(config, user, protocol, accessToken, redactor, signal, bucket, onStage, early?.mail);
        const { report: token, token: haveToken } = await tokenResult;
        if (!haveToken) return signal.aborted ? null : tokenFailure(user, token, protocol);
        if (!probe || probe.evidence.interrupted) return null;
        return {
          user,
          protocol,
          host: probe.host,
          port: probe.port,
          ok: probe.ok,
          exitCode: exitCodeFor(probe.failedStage, probe.evidence),
          failedStage: probe.failedStage,
          stages: [tokenStage(token), ...probe.stages],
          transcript: probe.transcript,
          diagnosis: diagnose({ ...context(user, token, protocol), probe }),
          backend: probe.evidence.backend,
          messages: probe.evidence.mailbox?.exists,
          evidence: probe.evidence,
        };
      },
      (result, index) => {
        if (!result) return;
        collected.add(index, result);
        progress?.tick(result.ok);
        if (config.output.jsonl) io.out(`${JSON.stringify(toJsonResult(result))}\n`);
        if (config.output.githubAnnotations) {
          const annotation = githubAnnotation(result);
          // stderr: stdout may be one JSON document (--json, --jsonl); the runner reads both.
          if (annotation) io.err(annotation);
        }
      },
      controller.signal,
    );
    progress?.clear();
    live?.end();
    const { report: token } = await tokenResult;

    const results = collected.results();
    const interrupted = plan.total - collected.done;
    const exitCode = stoppedBy === 'SIGTERM' ? ExitCode.TERMINATED : interrupted || stoppedBy ? ExitCode.INTERRUPTED : collected.worstExit;
    // Named only for the reports that list them (JUnit, Nagios, the step summary …); --jsonl counts them.
    const notRun = interrupted && collected.keep !== 'none' ? notRunChecks(plan, collected, config.protocols.length > 1) : [];
    const run: RunResult = { ok: exitCode === 0, exitCode, token, results, ...(notRun.length ? { notRun } : {}), credential: credentialInfo(config, token), ...(appCheck ? { app: await appReport(appCheck, config) } : {}) };
    const wallMs = Math.round(performance.now() - started);

    if (config.output.junitPath) writeReport(io, config.output.junitPath, renderJunit(run), '--junit', { markup: true });
    writeHtmlReport(io, config, run, writeReport, opts.title);
    writeMonitoringFiles(io, config, run, writeReport);
    // --nagios owns stdout and the exit code (0-3); the other exit codes stand without it.
    const nagios = config.output.nagios ? renderNagios(run, { warnDays: config.output.warnDays, now: new Date() }) : undefined;
    if (nagios) io.out(nagios.text);
    else if (config.output.json) io.out(renderJson(run));
    else if (config.output.jsonl) io.out(`${JSON.stringify({ summary: true, ok: run.ok, exitCode, total: plan.total, passed: collected.passed, failed: collected.failed, interrupted, ...(resumed ? { skipped: plan.skipped } : {}), ...(config.shard ? { shard: `${config.shard.index}/${config.shard.count}` } : {}), tokenRequests: token.requests, ms: wallMs })}\n`);
    else {
      const notes = [...(opts.notes ?? []), ...describeConfig(config)];
      const title = [opts.title, ...notices].filter(Boolean).join('\n') || undefined;
      const width = process.stdout.columns || 80; // not a terminal: 80
      io.out(renderText(run, { color: config.output.color, verbose: config.output.verbose, title, notes, batch, width }));
      if (batch || interrupted) io.out(`\n${renderSummary(run, { color: config.output.color, wallMs, interrupted, width })}`);
    }
    // An interrupted token request (or device-code poll) may still hold the event loop: what
    // finished is written, so do not wait for it.
    const code = nagios ? (nagios.code as ExitCode) : exitCode;
    if (stoppedBy) setTimeout(() => process.exit(code), 250).unref();
    return code;
  } finally {
    early?.close();
    for (const signal of STOP_SIGNALS) process.removeListener(signal, onSignal);
  }
}

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

async function appReport(check: ReturnType<typeof checkApp>, config: Config) {
  const app = await check;
  return { ...app, findings: appFindings(app, { clientId: config.clientId, cloud: config.cloud, warnDays: config.output.warnDays }) };
}

/** The live stage lines, headed at once by what is checked where. */
function startStageLog(config: Config, io: Sink): StageLog {
  const who = config.users[0] ?? 'the signed-in user';
  const where = config.protocols.map((p) => `${p} ${endpointOf(config, p).host}:${endpointOf(config, p).port}`).join(', ');
  return createStageLog((text) => io.err(text), { color: config.output.color, width: process.stderr.columns || 80, heading: `Checking ${who} (${where}) …` });
}

/** Report files go through the sink: redacted like every other output. */
export function writeReport(io: Sink, path: string, text: string, flag: string, opts: FileOptions = {}): void {
  try {
    io.file(path, text, opts);
  } catch (err) {
    throw new ConfigError(`cannot write ${flag} ${path}: ${fileErrorReason(err)}`);
  }
}

/** The UPN in a delegated token: the mailbox to check when no --user was given. */
async function signedInUser(tokenResult: Promise<TokenResult>): Promise<string> {
  const { report } = await tokenResult;
  if (!report.ok) return '(the signed-in user)';
  // Work accounts name the user in upn; personal accounts in preferred_username, or (opaque
  // tokens) only in the account MSAL signed in.
  const upn = report.claims?.upn ?? report.claims?.preferred_username ?? report.claims?.unique_name ?? report.account;
  if (!upn) throw new ConfigError('the token names no user (no upn claim): pass --user UPN');
  return upn;
}

/** Delegated runs: say whose mailbox is opened, and that another one needs FullAccess. */
function delegatedNotices(config: Config, users: string[]): string[] {
  if (!isUserSignIn(config.credential.kind) || config.users.length === 0) return [];
  return users.map((u) => `${u}: opened as the signed-in user; if it is not that user's own mailbox (a shared mailbox), the user needs FullAccess on it.`);
}

function registerSecrets(config: Config, redactor: Redactor): void {
  const cred = config.credential;
  if (cred.kind === 'client-secret') redactor.add(cred.secret);
  if (cred.kind === 'access-token-file') redactor.add(cred.token);
  if (cred.kind === 'certificate') {
    redactor.add(cred.certificate.privateKeyPem);
    redactor.add(cred.passphrase);
    // Also each base64 line of the key, should a library print part of it.
    for (const line of cred.certificate.privateKeyPem.split('\n')) if (line.length >= 40 && !line.startsWith('-----')) redactor.add(line);
  }
}

function describeConfig(config: Config): string[] {
  const cred = config.credential;
  const lines = [
    `credential: ${cred.kind} (${cred.origin})`,
    ...(config.authMode === 'generic'
      ? ['server:     any IMAP server, a ready token (--auth-mode generic): no Microsoft-specific checks']
      : [`cloud:      ${CLOUDS[config.cloud].label}`, `authority:  ${config.authorityHost}/${config.tenant ?? '-'}  client ${config.clientId ?? '-'}  scope ${config.scope}`]),
    ...config.protocols.map((p) => {
      const { host, port } = endpointOf(config, p);
      const tls = p === 'smtp' || (p === 'imap' && config.starttls) ? 'STARTTLS' : 'TLS';
      const extra = p === 'imap' ? `  folder ${config.folder}` : p === 'smtp' ? `  ${config.sendTestTo !== undefined ? 'sends one test message' : 'no message is sent'}` : '';
      return `${`${p}:`.padEnd(12)}${host}:${port} (${tls}${config.insecure ? ', NOT verified' : ', verified'}${config.caPem ? ', extra CA' : ''})${extra}  timeout ${config.timeoutMs / 1000} s`;
    }),
  ];
  for (const r of config.connectTo) lines.push(`connect-to: ${r.host ?? '*'}:${r.port ?? '*'} → ${r.toHost ?? '(same host)'}:${r.toPort ?? '(same port)'}`);
  if (config.users.length > 1) lines.push(`mailboxes:  ${config.users.length}, ${config.concurrency} at once${config.retries ? `, ${config.retries} retries for transient failures` : ''}${config.rate ? `, at most ${config.rate.text} connection starts` : ''}${config.shard ? `, shard ${config.shard.index}/${config.shard.count}` : ''}`);
  if (cred.kind === 'certificate') {
    const c = cred.certificate;
    lines.push(`certificate: ${c.subject}  SHA-256 ${c.thumbprintSha256}  SHA-1 ${c.thumbprintSha1}  expires ${c.notAfter.toISOString()}`);
  }
  return lines;
}
