// The Node API: `check(options)` runs the same path as `imap-oauth test --json` and returns that
// document. It never prints, never exits the process, installs no signal handler, and reads no
// environment variable or .env file unless asked to (`env`, `envFile`). Every string in the result
// has passed the same redactor as the CLI's output.
import { Writable } from 'node:stream';
import type { Protocol } from './probe/dispatch.js';

export interface CheckOptions {
  /** The mailbox to open (`--user`); `users` for several. */
  user?: string;
  users?: string[];
  /** A users file (`--users-file`): one address a line, or a CSV. */
  usersFile?: string;
  /** `--protocol`: 'imap' (default), 'pop', 'smtp', several as an array or "imap,pop". */
  protocol?: Protocol | Protocol[] | string;
  tenant?: string;
  clientId?: string;
  /** The client secret's value. Here it may be given directly: it never reaches a command line. */
  clientSecret?: string;
  clientSecretFile?: string;
  /** PEM (or .pfx/.p12) with the private key and the certificate. */
  cert?: string;
  certPassphraseFile?: string;
  sendX5c?: boolean;
  /** A ready access token (or `accessTokenFile`): no token request. */
  accessToken?: string;
  accessTokenFile?: string;
  flow?: 'client-credentials' | 'device-code' | 'interactive' | 'refresh-token';
  authMode?: 'entra' | 'generic';
  cloud?: 'global' | 'usgov' | 'usgov-dod' | 'china';
  authorityHost?: string;
  scope?: string;
  host?: string;
  port?: number;
  folder?: string;
  mech?: 'xoauth2' | 'oauthbearer';
  starttls?: boolean;
  /** Seconds for each network step (default 15). */
  timeout?: number;
  concurrency?: number;
  retries?: number;
  /** Connection starts per second or minute across the batch, as `--rate`: "10/s", "600/m". */
  rate?: string;
  /** Only the i-th of n slices of the mailboxes, as `--shard`: "1/4". */
  shard?: string;
  caFile?: string;
  connectTo?: string[];
  insecure?: boolean;
  tokenCache?: string;
  freshToken?: boolean;
  /** Also read the app registration's secrets and certificates from Microsoft Graph (as --check-app): the result's `app`. */
  checkApp?: boolean;
  /** SMTP: send one test message, to this address or (true) to the mailbox itself. */
  sendTest?: boolean | string;
  /** Also write a JUnit report here. */
  junit?: string;
  /** Also write the self-contained HTML report here (as --html). */
  html?: string;
  /** Settings from the environment (e.g. `process.env`): none unless given. */
  env?: Record<string, string | undefined>;
  /** Settings from this .env file: none unless given. */
  envFile?: string;
  /** Directory relative paths are read from (default: process.cwd()). */
  cwd?: string;
  /** Stops the run as Ctrl-C would: open sessions are closed, what finished is returned. */
  signal?: AbortSignal;
}

/** What `imap-oauth test --json` prints: see the README's "JSON (--json)". */
export interface CheckReport {
  ok: boolean;
  exitCode: number;
  token: {
    source: string;
    ok: boolean;
    claims: Record<string, unknown>;
    expiresAt: string | null;
    ms: number;
    requests: number;
    fromCache: boolean;
    error?: { kind: string; message: string; aadsts?: number; description?: string; [key: string]: unknown };
  };
  results: Array<{
    user: string;
    protocol: Protocol;
    host: string;
    port: number;
    ok: boolean;
    exitCode: number;
    failedStage: string | null;
    stages: Array<{ name: string; ok: boolean; ms: number; detail: string }>;
    transcript: Array<{ dir: 'C' | 'S'; text: string }>;
    diagnosis: Array<{ id: string; summary: string; cause: string; fix: string; severity: string; docs?: string }>;
    backend: string | null;
    messages: number | null;
    [key: string]: unknown;
  }>;
  [key: string]: unknown;
}

/** A problem with the options (the CLI's exit 2): thrown, with the one-line message the CLI prints. */
export class CheckOptionsError extends Error {
  override readonly name = 'CheckOptionsError';
  readonly exitCode = 2;
}

/** Option names that are flags taking a value, as the CLI's commander would hand them over. */
function toFlags(o: CheckOptions): Record<string, unknown> {
  const str = (v: unknown) => (v === undefined ? undefined : String(v));
  const users = [...(o.user !== undefined ? [o.user] : []), ...(o.users ?? [])];
  const protocol = o.protocol === undefined ? undefined : Array.isArray(o.protocol) ? o.protocol : [o.protocol];
  const flags: Record<string, unknown> = {
    user: users.length ? users : undefined,
    usersFile: o.usersFile,
    protocol,
    tenant: o.tenant,
    clientId: o.clientId,
    clientSecretFile: o.clientSecretFile,
    cert: o.cert,
    certPassphraseFile: o.certPassphraseFile,
    sendX5c: o.sendX5c,
    accessToken: o.accessToken,
    accessTokenFile: o.accessTokenFile,
    flow: o.flow,
    authMode: o.authMode,
    cloud: o.cloud,
    authorityHost: o.authorityHost,
    scope: o.scope,
    host: o.host,
    port: str(o.port),
    folder: o.folder,
    mech: o.mech,
    starttls: o.starttls,
    timeout: str(o.timeout),
    concurrency: str(o.concurrency),
    retries: str(o.retries),
    rate: o.rate,
    shard: o.shard,
    caFile: o.caFile,
    connectTo: o.connectTo,
    insecure: o.insecure,
    tokenCache: o.tokenCache,
    freshToken: o.freshToken,
    checkApp: o.checkApp,
    sendTest: o.sendTest,
    junit: o.junit,
    html: o.html,
    dotenv: o.envFile, // the CLI's --dotenv (its old spelling --env-file warns about Node's own flag)
    json: true,
    browser: false,
  };
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
}

/** Runs the check; resolves with the report (also for a failed check), rejects only on bad options. */
export async function check(options: CheckOptions): Promise<CheckReport> {
  const [{ Redactor }, { createIo }, { resolveConfig }, { runTest }, { UserError }] = await Promise.all([
    import('./redact.js'),
    import('./io.js'),
    import('./config/resolve.js'),
    import('./commands/test.js'),
    import('./errors.js'),
  ]);
  const redactor = new Redactor();
  redactor.add(options.clientSecret).add(options.accessToken);
  let stdout = '';
  // The CLI's own sink (redaction, safe report files), its stdout collected, its stderr dropped:
  // warnings and progress are for people at a terminal.
  const collect = new Writable({ write: (chunk: Buffer, _enc, done) => ((stdout += chunk.toString()), done()) });
  const drop = new Writable({ write: (_chunk, _enc, done) => done() });
  const sink = createIo(redactor, collect, drop);
  try {
    const env = { ...(options.env ?? {}), ...(options.clientSecret !== undefined ? { IMAP_OAUTH_CLIENT_SECRET: options.clientSecret } : {}) };
    const config = resolveConfig({
      flags: toFlags(options),
      env,
      cwd: options.cwd ?? process.cwd(),
      stdoutIsTTY: false,
      stderrIsTTY: false,
      noEnvFile: options.envFile === undefined,
      onSecret: (value) => void redactor.add(value),
    });
    await runTest(config, redactor, sink, { embedded: { signal: options.signal } });
  } catch (err) {
    if (err instanceof UserError) throw new CheckOptionsError(redactor.redact(err.message));
    throw err;
  }
  return JSON.parse(stdout) as CheckReport;
}
