// A real Dovecot 2.3 IMAP server for end-to-end tests: implicit TLS on a free loopback port, OAuth 2.0
// (XOAUTH2 / OAUTHBEARER) validated either offline against the JWT keys given or — for opaque tokens,
// the way Gmail works — by RFC 7662 token introspection against an HTTP endpoint (see
// ./introspection-server.ts), and a read-only INBOX with a known number of messages. See
// /work/shared/notes/field-facts.md ("Dovecot 2.3.19") for why the configuration looks the way it does.
// Needs root (Dovecot drops to nobody / dovecot / dovenull).
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';

export interface DovecotJwtKey {
  kid: string;
  /** RSA public key (SPKI PEM) that signs RS256 access tokens. */
  publicKeyPem: string;
}

/**
 * Opaque tokens checked by RFC 7662 introspection (Dovecot `introspection_mode = post`): for every
 * AUTHENTICATE, Dovecot 2.3.19 POSTs `token=<token>&client_id=<clientId>&client_secret=<clientSecret>`
 * (application/x-www-form-urlencoded) to `url` and reads the flat JSON object that comes back. A login
 * succeeds only when
 * - the reply's `activeAttribute` member equals `activeValue` (`"active": true` matches `true`);
 * - the reply's `usernameAttribute` member equals the SASL user (`user=` in XOAUTH2, `a=` in OAUTHBEARER),
 *   both lower-cased (username_format = %Lu);
 * - the reply's `scope` (space-separated) contains `scope`.
 * A token that fails these — unknown, revoked, expired, another user's, without the scope — fails the
 * login (Dovecot logs why: "Provided token is not valid", "Username 'x' did not match 'y'", "Token is not
 * valid for scope '…'"). XOAUTH2 then gets the error challenge
 *   `+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=`
 * i.e. `{"status":"401","schemes":"bearer","scope":"mail"}`: Dovecot 2.3.19 hard-codes `"scope":"mail"`
 * in it whatever `scope` is set to (Gmail would say `"scope":"https://mail.google.com/"`); the client
 * answers with an empty line and gets `NO [AUTHENTICATIONFAILED] Authentication failed.` OAUTHBEARER
 * gets `{"status":"invalid_token"}` (answer `AQ==`), then the same NO. An endpoint that cannot be
 * reached, answers non-200 (e.g. 401 for wrong client credentials) or does not answer within 5 s
 * (timeout_msecs) gives no challenge but `NO [UNAVAILABLE] Temporary authentication failure.`
 *
 * Caching: Dovecot caches passdb results, oauth2 included, only when `auth_cache_size` is non-zero
 * (a revoked token then keeps logging in, without any introspection request, until the cache entry's
 * TTL). This mode writes `auth_cache_size = 0` (Dovecot's default) so every login is introspected; do
 * not override it through `extraConfig` in tests that revoke tokens.
 */
export interface DovecotIntrospection {
  /** Introspection endpoint (Dovecot's introspection_url), e.g. IntrospectionServer.url. */
  url: string;
  /** Sent as the `client_id` form field (default: empty). */
  clientId?: string;
  /** Sent as the `client_secret` form field (default: empty). */
  clientSecret?: string;
  /** Reply member compared with the SASL user (default 'username', RFC 7662's; 'email' also works with ./introspection-server.ts). */
  usernameAttribute?: string;
  /** A scope the token's `scope` must contain (default 'https://mail.google.com/'). */
  scope?: string;
  /** Reply member that says whether the token is valid (default 'active'). */
  activeAttribute?: string;
  /** The value `activeAttribute` must have (default 'true'). */
  activeValue?: string;
}

export interface DovecotOptions {
  /** Server certificate + key (PEM) for implicit TLS. */
  tls: { certPem: string; keyPem: string };
  /** JWT mode (required there): keys that sign RS256 access tokens. Not used with `introspection`. */
  jwtKeys?: DovecotJwtKey[];
  /**
   * JWT mode (required there): the value the JWT `aud` must contain, e.g. 'https://outlook.office365.com'
   * (Dovecot's oauth2 client_id). Not used with `introspection`.
   */
  audience?: string;
  /**
   * JWT mode: delegated tokens: the SASL user must be the token's `upn` (username_attribute = upn,
   * username_format = %u). Default: app-only tokens, any SASL user once the JWT is valid.
   */
  delegated?: boolean;
  /** JWT mode: if given, `iss` must be one of them. */
  issuers?: string[];
  /** Validate opaque tokens by introspection instead of JWTs offline. Excludes the JWT-mode options. */
  introspection?: DovecotIntrospection;
  /** Messages in INBOX (default 3). */
  messages?: number;
  /** Default 'xoauth2 oauthbearer'. */
  mechanisms?: string;
  /** Appended verbatim to dovecot.conf (for special cases). */
  extraConfig?: string;
  /**
   * Services beyond IMAP (default ['imap']): 'pop3' listens with implicit TLS (`pop3sPort`),
   * 'submission' with STARTTLS (`submissionPort`) and relays to `submissionRelay` (required then,
   * e.g. ./smtp-sink.ts). The same passdb checks the tokens for all of them.
   */
  protocols?: ('imap' | 'pop3' | 'submission')[];
  /** Plain SMTP server the submission service relays to (trusted, no TLS, no AUTH). */
  submissionRelay?: { host: string; port: number };
}

export interface Dovecot {
  host: string;
  /** Implicit TLS. */
  port: number;
  /** Plain IMAP that requires STARTTLS before login. */
  starttlsPort: number;
  /** POP3 over implicit TLS, when `protocols` includes 'pop3'. */
  pop3sPort?: number;
  /** SMTP submission (STARTTLS), when `protocols` includes 'submission'. */
  submissionPort?: number;
  dir: string;
  stop(): Promise<void>;
  log(): string;
}

const READY_TIMEOUT_MS = 10_000;
const KILL_AFTER_MS = 1_000;
const NUDGE_AFTER_MS = 50;

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Path of the dovecot binary, or null when Dovecot is not installed. */
export function dovecotBinary(): string | null {
  const dirs = ['/usr/sbin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean)];
  return dirs.map((dir) => path.join(dir, 'dovecot')).find(executable) ?? null;
}

// Instances still running. Three layers make sure none outlives the test process:
// - Dovecot is started under `setpriv --pdeathsig KILL`, so the kernel kills it when its parent dies
//   in any way (vitest ends its fork workers with SIGTERM, which runs no 'exit' handlers);
// - on SIGTERM/SIGINT/SIGHUP and on 'exit', kill them and remove their directories;
// - killing the master is enough: its children exit by themselves within milliseconds when it dies.
// One registry and one set of listeners per process, even if this module is evaluated once per test file.
type Running = Set<{ child: ChildProcess; dir: string }>;
const REGISTRY = Symbol.for('imap-oauth.test.dovecot.running');
const globals = globalThis as { [REGISTRY]?: Running };
const running: Running = (globals[REGISTRY] ??= (() => {
  const set: Running = new Set();
  const killAll = () => {
    for (const { child, dir } of set) {
      signal(child.pid, 'SIGKILL');
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // a dying process may still be writing into it; it is only a temp directory
      }
    }
    set.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll();
      process.off(sig, onSignal);
      // Keep the default behaviour (die by that signal) unless someone else handles it.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
  return set;
})());

/** `setpriv` (util-linux, always on Debian) to set a parent-death signal, or null. */
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find(executable);

/** uid/gid of a user/group from /etc/passwd and /etc/group (Node has no getpwnam). */
function lookupId(file: '/etc/passwd' | '/etc/group', name: string): number {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined) return Number(f[2]);
  }
  throw new Error(`${name} not found in ${file}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Dovecot's dict fs driver escapes the key: `%` → `%25`, `/` → `%2f`. */
const escapeKeyName = (s: string) => s.replace(/%/g, '%25').replace(/\//g, '%2f');

function message(i: number): string {
  const date = new Date(Date.UTC(2026, 0, 1, 12, i)).toUTCString().replace('GMT', '+0000');
  return [
    'From: Sender <sender@example.com>',
    'To: Mailbox <mailbox@contoso.com>',
    `Subject: Test message ${i}`,
    `Date: ${date}`,
    `Message-ID: <test-${i}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Body of test message ${i}.`,
    '',
  ].join('\r\n');
}

/** One `key = value` line of a Dovecot settings file; refuses what would break out of it. */
function setting(key: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`startDovecot: ${key} must be a single line`);
  return `${key} = ${value}`;
}

/** The oauth2 passdb settings for opaque tokens checked by introspection (see DovecotIntrospection). */
function introspectionSettings(i: DovecotIntrospection): string {
  return [
    'introspection_mode = post',
    setting('introspection_url', i.url),
    setting('client_id', i.clientId ?? ''),
    setting('client_secret', i.clientSecret ?? ''),
    setting('username_attribute', i.usernameAttribute ?? 'username'),
    'username_format = %Lu',
    setting('active_attribute', i.activeAttribute ?? 'active'),
    setting('active_value', i.activeValue ?? 'true'),
    setting('scope', i.scope ?? 'https://mail.google.com/'),
    // A hung endpoint fails the login (NO [UNAVAILABLE]) after 5 s instead of holding it.
    'timeout_msecs = 5000',
    '',
  ].join('\n');
}

/** POP3 and submission services (see field-facts "Dovecot 2.3.19 POP3 and SMTP submission"). */
function extraServices(ports: ExtraPorts, opts: DovecotOptions): string {
  const pop3 = ports.pop3s
    ? `service pop3-login {\n  inet_listener pop3 {\n    port = 0\n  }\n  inet_listener pop3s {\n    address = 127.0.0.1\n    port = ${ports.pop3s}\n    ssl = yes\n  }\n}\n`
    : 'service pop3-login {\n  inet_listener pop3 {\n    port = 0\n  }\n  inet_listener pop3s {\n    port = 0\n  }\n}\n';
  if (!ports.submission) return pop3;
  const relay = opts.submissionRelay!;
  return `${pop3}hostname = imap-oauth-test.invalid
submission_relay_host = ${relay.host}
submission_relay_port = ${relay.port}
submission_relay_trusted = yes
submission_relay_ssl = no
service submission-login {
  inet_listener submission {
    address = 127.0.0.1
    port = ${ports.submission}
  }
}
`;
}

interface ExtraPorts {
  pop3s?: number;
  submission?: number;
}

function writeConfig(dir: string, port: number, starttlsPort: number, opts: DovecotOptions, ports: ExtraPorts = {}): string {
  const mechanisms = opts.mechanisms ?? 'xoauth2 oauthbearer';
  const oauth2 = opts.introspection ? introspectionSettings(opts.introspection) : [
    'introspection_mode = local',
    `local_validation_key_dict = fs:posix:prefix=${dir}/keys/`,
    `client_id = ${opts.audience}`,
    ...(opts.delegated
      ? // A user's token opens that user's mailbox: the SASL user must equal the token's upn.
        ['username_attribute = upn', 'username_format = %u']
      : [
          // The claim compared with the SASL user must exist in the token; app-only tokens have `sub`.
          'username_attribute = sub',
          // No %-variables: both sides expand to the same constant, so any SASL user is accepted once
          // the JWT itself is valid (app-only tokens carry no user claim).
          'username_format = app-only',
        ]),
    ...(opts.issuers?.length ? [`issuers = ${opts.issuers.join(' ')}`] : []),
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'oauth2.conf.ext'), oauth2);

  const conf = `# Generated by test/support/dovecot.ts
protocols = imap${ports.pop3s ? ' pop3' : ''}${ports.submission ? ' submission' : ''}
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = imap-oauth-test-${port}
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
debug_log_path = ${dir}/dovecot.log
auth_verbose = yes
auth_debug = yes
auth_mechanisms = ${mechanisms}
auth_failure_delay = 0
imap_id_send = name * version *
${opts.introspection ? '# No auth cache: a revoked token must fail at once, every login asks the endpoint.\nauth_cache_size = 0\n' : ''}
ssl = required
ssl_cert = <${dir}/tls/cert.pem
ssl_key = <${dir}/tls/key.pem
ssl_dh = </usr/share/dovecot/dh.pem

mail_location = maildir:${dir}/mail
namespace inbox {
  inbox = yes
}

# Fast failures: a static passdb that matches everyone with nodelay=y but cannot succeed on its own.
passdb {
  driver = static
  args = nopassword=y nodelay=y
  result_success = continue-fail
}
passdb {
  driver = oauth2
  args = ${dir}/oauth2.conf.ext
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/home
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${starttlsPort}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${port}
    ssl = yes
  }
}
${extraServices(ports, opts)}# No per-IP penalty for failed logins.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
${opts.extraConfig ?? ''}
`;
  const file = path.join(dir, 'dovecot.conf');
  writeFileSync(file, conf);
  return file;
}

function prepareDir(opts: DovecotOptions): string {
  // mkdtemp makes 0700; the auth process reads the key files as user `dovecot` and the imap process
  // runs as nobody, so everything on the way must be world-traversable.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imap-oauth-dovecot-'));
  chmodSync(dir, 0o755);

  mkdirSync(path.join(dir, 'tls'), { mode: 0o700 });
  writeFileSync(path.join(dir, 'tls', 'cert.pem'), opts.tls.certPem);
  writeFileSync(path.join(dir, 'tls', 'key.pem'), opts.tls.keyPem, { mode: 0o600 });

  // Key files: keys/<azp or "default">/<ALG>/<kid>. Entra tokens have no `azp`, so "default".
  const keyDir = path.join(dir, 'keys', 'default', 'RS256');
  mkdirSync(keyDir, { recursive: true, mode: 0o755 });
  for (const k of opts.jwtKeys ?? []) writeFileSync(path.join(keyDir, escapeKeyName(k.kid)), k.publicKeyPem, { mode: 0o644 });

  // One maildir shared by every SASL user, owned by the mail user (Dovecot refuses mail access as root).
  const uid = lookupId('/etc/passwd', 'nobody');
  const gid = lookupId('/etc/group', 'nogroup');
  const mail = path.join(dir, 'mail');
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(path.join(mail, sub), { recursive: true, mode: 0o700 });
  const count = opts.messages ?? 3;
  const files: string[] = [];
  const base = Math.floor(Date.now() / 1000);
  for (let i = 1; i <= count; i++) {
    const name = `cur/${base + i}.M${i}P${process.pid}.test:2,S`;
    writeFileSync(path.join(mail, name), message(i), { mode: 0o600 });
    files.push(name);
  }
  for (const p of ['', 'cur', 'new', 'tmp', ...files]) chownSync(path.join(mail, p), uid, gid);
  mkdirSync(path.join(dir, 'home'), { mode: 0o700 });
  chownSync(path.join(dir, 'home'), uid, gid);
  return dir;
}

/** Resolves on the server's `* OK` greeting over TLS; rejects on anything else. */
function probe(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // Readiness only: the certificate is checked by the tests themselves.
    const sock = tls.connect({ host, port, rejectUnauthorized: false });
    let data = '';
    const done = (err?: Error) => {
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    sock.setTimeout(2_000, () => done(new Error('probe timed out')));
    sock.on('error', done);
    sock.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) done(data.startsWith('* OK') ? undefined : new Error(`unexpected greeting: ${data.trim()}`));
    });
    sock.on('close', () => done(new Error('closed before greeting')));
  });
}

/** Direct children of a process that have not exited yet (Linux /proc); empty if unknown. */
function liveChildPids(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  let kids: number[];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return kids.filter((kid) => {
    try {
      return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${kid}/stat`, 'utf8')); // Z: exited, not yet reaped
    } catch {
      return false;
    }
  });
}

function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a fresh Dovecot; resolves once it has sent an `* OK` greeting over TLS. */
export async function startDovecot(opts: DovecotOptions): Promise<Dovecot> {
  // The free port is picked before Dovecot binds it, so another process can take it in between:
  // retry with a new port (and a fresh directory) when that happens.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/.test(String(err))) throw err;
    }
  }
}

/** Exactly one way of checking tokens, with what it needs. */
function checkOptions(opts: DovecotOptions): void {
  if (opts.introspection) {
    const jwtOnly = (['jwtKeys', 'audience', 'delegated', 'issuers'] as const).filter((k) => opts[k] !== undefined);
    if (jwtOnly.length) throw new Error(`startDovecot: ${jwtOnly.join(', ')} cannot be combined with introspection (JWT mode only)`);
    if (!opts.introspection.url) throw new Error('startDovecot: introspection.url is required');
  } else if (opts.jwtKeys === undefined || opts.audience === undefined) {
    throw new Error('startDovecot: give jwtKeys and audience (JWT mode) or introspection');
  }
}

async function startOnce(opts: DovecotOptions): Promise<Dovecot> {
  checkOptions(opts);
  const bin = dovecotBinary();
  if (!bin) throw new Error('Dovecot is not installed (see test/support/global-setup.ts)');
  if (process.getuid?.() !== 0) throw new Error('startDovecot needs root (Dovecot switches to the users nobody, dovecot, dovenull)');
  const host = '127.0.0.1';
  const port = await freePort();
  const starttlsPort = await freePort();
  const protocols = opts.protocols ?? ['imap'];
  if (protocols.includes('submission') && !opts.submissionRelay) throw new Error('startDovecot: submission needs submissionRelay');
  const ports: ExtraPorts = {
    pop3s: protocols.includes('pop3') ? await freePort() : undefined,
    submission: protocols.includes('submission') ? await freePort() : undefined,
  };
  const dir = prepareDir(opts);
  const conf = writeConfig(dir, port, starttlsPort, opts, ports);
  const logFile = path.join(dir, 'dovecot.log');

  // Output before the log process is up (config errors) goes to stdout/stderr.
  let output = '';
  const args = ['-F', '-c', conf];
  const child = setpriv
    ? spawn(setpriv, ['--pdeathsig', 'KILL', bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) // execs: same pid
    : spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const entry = { child, dir };
  running.add(entry);
  let exitCode: number | string | null = null;
  const exited = new Promise<void>((resolve) => {
    const done = (code: number | string) => {
      exitCode ??= code;
      running.delete(entry);
      resolve();
    };
    child.once('exit', (code, sig) => done(code ?? sig ?? 'exit'));
    child.once('error', (err) => ((output += `spawn error: ${err.message}\n`), done('spawn error')));
  });

  let finalLog: string | null = null;
  const log = (): string => {
    if (finalLog !== null) return finalLog;
    let text = '';
    try {
      text = readFileSync(logFile, 'utf8');
    } catch {
      // no log yet
    }
    return output ? `${text}${text ? '\n' : ''}[dovecot stdout/stderr]\n${output}` : text;
  };

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      if (exitCode === null) {
        // Graceful stop: SIGTERM to the master. Its workers exit within ≈10 ms, but it keeps its log
        // process until it dies by itself after ≈1 s, and then often sleeps in its shutdown wait for up
        // to a second. So: once it is shutting down (no longer respawning), SIGTERM what is left of its
        // children; once none is left, the master has nothing more to do and gets a SIGKILL. Either way
        // SIGKILL after KILL_AFTER_MS. Typical stop: ≈100 ms instead of ≈1.1 s.
        const t0 = Date.now();
        signal(child.pid, 'SIGTERM');
        const poll = setInterval(() => {
          const kids = liveChildPids(child.pid);
          if (kids.length === 0 || Date.now() - t0 >= KILL_AFTER_MS) signal(child.pid, 'SIGKILL');
          else if (Date.now() - t0 >= NUDGE_AFTER_MS) kids.forEach((pid) => signal(pid, 'SIGTERM'));
        }, 25);
        await exited;
        clearInterval(poll);
      }
      finalLog = log(); // keep it readable after the directory is gone
      rmSync(dir, { recursive: true, force: true });
    })());

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown = null;
  for (;;) {
    // A fatal error, or a broken TLS setup (only logged, per connection), will not get better by waiting.
    if (exitCode !== null || /: Fatal: |Failed to initialize SSL server context/.test(log())) {
      const what = exitCode === null ? 'failed to start' : `exited (${exitCode}) before it was ready`;
      await stop();
      throw new Error(`dovecot ${what}:\n${log()}`);
    }
    try {
      await probe(host, port);
      return { host, port, starttlsPort, pop3sPort: ports.pop3s, submissionPort: ports.submission, dir, stop, log };
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dovecot not ready after ${READY_TIMEOUT_MS} ms (${String(lastError)}):\n${log()}`);
    }
    await sleep(25);
  }
}
