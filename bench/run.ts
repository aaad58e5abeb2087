// `npm run bench`: round trips and wall time of `imap-oauth test` against its peers (curl, Python
// imaplib) and the floor, over an emulated 50 ms RTT; a batch of 200 mailboxes at concurrency 1, 8,
// 32; start-up against `node -e 0`. Everything on loopback: a real Dovecot and the identity-platform
// stand-in, each behind a delay proxy (bench/delay-proxy.ts). Prints a table and writes BENCHMARKS.md.
// Not a test: nothing here asserts a time; the targets of issue 4 are reported as met or not.
//
// Knobs (environment): BENCH_RUNS (7), BENCH_STARTUP_RUNS (15), BENCH_BATCH_SIZE (200),
// BENCH_BATCH_RUNS ("1,3,5" runs at concurrency 1,8,32), BENCH_NO_WRITE=1 (do not write BENCHMARKS.md);
// issue 13: BENCH_SIZES ("100,1000,10000,100000": the --jsonl batches, bench/scale.ts), BENCH_SCALE_CONCURRENCY (32),
// BENCH_FLOOR_MAX (10000 floor-client sessions at most), BENCH_SCALE_MAX_MIN (12: skip a size predicted longer),
// BENCH_CODE_CACHE_RUNS (9; 0 skips the code-cache experiment, bench/code-cache.ts), BENCH_SCALE_NODE_OPTIONS (NODE_OPTIONS for
// the CLI in the --jsonl batches only, e.g. --max-old-space-size=64 to see how much of the peak RSS is V8 letting its heap grow);
// BENCH_HOLD=1 starts the servers, prints the commands of one check and waits (for timing a change by hand).
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startIdentityServer, type IdentityServer } from '../src/sandbox/identity-server.js';
import { signJwt } from '../src/sandbox/jwt.js';
import { createTestPki } from '../src/sandbox/pki.js';
import { startDovecot, type Dovecot } from '../test/support/dovecot.js';
import { startDelayProxy, type DelayProxy } from './delay-proxy.js';
import { floorSession } from './floor-client.js';
import { GNU_TIME, killAllChildren, rssFileIn, runChild, type ChildRun } from './proc.js';
import { firstLine, fx, maxOf, mb, median, ms, ratio, table, type Target } from './util.js';
import { measureScale, renderScale, sizesFrom, type ScaleResult } from './scale.js';
import { measureCodeCache, renderCodeCache, type CodeCacheResult } from './code-cache.js';

// ---------------------------------------------------------------------------------------------
// Settings

const env = process.env;
const int = (name: string, dflt: number, min: number, max: number) => {
  const v = Number(env[name] ?? dflt);
  return Number.isInteger(v) && v >= min && v <= max ? v : dflt;
};
/** The emulated link: 25 ms each way. A second one at 150 ms RTT gives the round-trip count as a slope. */
const ONE_WAY_MS = 25;
const RTT_MS = 2 * ONE_WAY_MS;
const RTT2_MS = 3 * RTT_MS;
const RUNS = int('BENCH_RUNS', 7, 1, 50);
const STARTUP_RUNS = int('BENCH_STARTUP_RUNS', 15, 1, 100);
const BATCH_SIZE = int('BENCH_BATCH_SIZE', 200, 1, 2000);
const CONCURRENCIES = [1, 8, 32] as const;
const BATCH_RUNS = (() => {
  const parts = (env.BENCH_BATCH_RUNS ?? '1,3,5').split(',').map(Number);
  return CONCURRENCIES.map((_, i) => (Number.isInteger(parts[i]) && parts[i]! >= 0 && parts[i]! <= 20 ? parts[i]! : [1, 3, 5][i]!));
})();
const WRITE_MD = env.BENCH_NO_WRITE !== '1';
/** The whole run stops (servers closed, children killed) after this long, whatever happens. */
const SIZES = sizesFrom(env.BENCH_SIZES);
const SCALE_CONCURRENCY = int('BENCH_SCALE_CONCURRENCY', 32, 1, 64);
const FLOOR_MAX = int('BENCH_FLOOR_MAX', 10_000, 1, 1_000_000);
const SCALE_MAX_MS = int('BENCH_SCALE_MAX_MIN', 12, 1, 120) * 60_000;
const CODE_CACHE_RUNS = int('BENCH_CODE_CACHE_RUNS', 9, 0, 50);
const OVERALL_DEADLINE_MS = 20 * 60_000 + 2 * SCALE_MAX_MS;
const SINGLE_TIMEOUT_MS = 30_000;
const STARTUP_TIMEOUT_MS = 15_000;
/** A batch at concurrency c needs about size/c × 7 RTT; allow plenty, but bounded. */
const batchTimeoutMs = (c: number) => Math.min(600_000, 60_000 + Math.ceil(BATCH_SIZE / c) * RTT_MS * 20);
const FLOOR_RTS = 6;
const TOKEN_FLOOR_RTS = 3;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
if (!existsSync(path.join(ROOT, 'package.json')) || !existsSync(path.join(ROOT, 'bench', 'run.ts'))) {
  throw new Error(`bench: cannot find the project root (looked at ${ROOT}); run it with npm run bench`);
}
// The CLI runs from a private copy of bin/ + dist/ taken at the start, so a rebuild in the working tree while
// the bench runs (other people work here too) cannot mix two versions into one table. Its modules still
// resolve from the project's node_modules (bench/.build/cli/ is inside the project).
const SNAPSHOT = path.join(ROOT, 'bench', '.build', 'cli');
const BIN = path.join(SNAPSHOT, 'bin', 'imap-oauth.js');
const NODE = process.execPath;
const BASE_ENV = { PATH: env.PATH ?? '/usr/bin:/bin', HOME: env.HOME ?? '/root', NO_COLOR: '1' };

const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const CLIENT_ID = '3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21';
const SP_ID = 'b7c4a1e2-5d3f-4e8a-9c1b-2a3d4e5f6a7b';
const USER = 'someone@contoso.com';
const AUDIENCE = 'https://outlook.office365.com';

// ---------------------------------------------------------------------------------------------
// Small helpers

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
/** Hides the secrets given and anything that looks like a token or a base64 SASL string. */
const redactLine = (s: string, secrets: string[]) => {
  let out = s;
  for (const x of secrets) if (x) out = out.split(x).join('<redacted>');
  return out.replace(/[A-Za-z0-9+/_=.-]{60,}/g, '<redacted>');
};
const shorten = (s: string, n = 150) => (s.length > n ? `${s.slice(0, n)}…` : s);

interface CliDoc {
  ok: boolean;
  exitCode: number;
  token: { ok: boolean; ms: number; requests: number };
  results: { user: string; ok: boolean; failedStage: string | null; stages: { name: string; ok: boolean; ms: number }[]; transcript: { dir: string; text: string }[] }[];
}
function parseDoc(run: ChildRun): CliDoc | null {
  try {
    return JSON.parse(run.stdout) as CliDoc;
  } catch {
    return null;
  }
}

/**
 * CPU seconds Dovecot has used: the master's own, that of the children it reaped (imap, imap-login that
 * ended) and that of its live children (long-lived login and imap processes in the tuned configuration).
 */
let clockTicks = 100;
function dovecotCpuS(d: Dovecot): number {
  const ticks = (pid: string, withChildren: boolean) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number); // f[0] is field 3 (state)
    return (f[11] ?? NaN) + (f[12] ?? NaN) + (withChildren ? (f[13] ?? NaN) + (f[14] ?? NaN) : 0);
  };
  try {
    const pid = readFileSync(path.join(d.dir, 'run', 'master.pid'), 'utf8').trim();
    let total = ticks(pid, true);
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const kid of kids.slice(0, 1000)) {
      try {
        total += ticks(kid, false);
      } catch {
        // ended meanwhile: counted in the master's children time from now on
      }
    }
    return total / clockTicks;
  } catch {
    return NaN;
  }
}
const selfCpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

// ---------------------------------------------------------------------------------------------
// The world: PKI, identity stand-in, two Dovecots, delay proxies, files.

/**
 * Appended to the bench's Dovecots: one long-lived login process per CPU instead of one per connection,
 * imap processes reused across sessions, no debug logging. The server stands in for Exchange Online,
 * whose CPU is not on the client's machine; here it shares the CPUs with the CLI, so it should take as
 * little of them as it can. Same bytes on the wire. (The batch also runs once against the test suite's
 * configuration, for comparison.)
 */
const DOVECOT_TUNING = `
auth_debug = no
auth_verbose = no
service imap-login {
  service_count = 0
  process_min_avail = ${Math.max(1, Math.min(4, os.availableParallelism?.() ?? os.cpus().length))}
}
service imap {
  service_count = 1000
  process_min_avail = 2
}
`;

type NetName = 'rtt50' | 'rtt150' | 'local' | 'batch';
const NETS: Record<NetName, { oneWayMs: number; precise: boolean }> = {
  rtt50: { oneWayMs: ONE_WAY_MS, precise: true },
  rtt150: { oneWayMs: RTT2_MS / 2, precise: true },
  local: { oneWayMs: 0, precise: true },
  // Many connections at once: ordinary timers (≤ 2 ms late), no spinning that would take a CPU from the CLI.
  batch: { oneWayMs: ONE_WAY_MS, precise: false },
};

interface Net {
  /** Dovecot offering XOAUTH2 and OAUTHBEARER (the main one). */
  imap: DelayProxy;
  /** The same with the test suite's Dovecot configuration (a process per login, debug logging). */
  imapD: DelayProxy;
  /** Dovecot offering XOAUTH2 only, as Exchange Online does (curl 7.88 cannot be made to use XOAUTH2 otherwise). */
  imapX: DelayProxy;
  identity: DelayProxy;
}

interface World {
  dir: string;
  caFile: string;
  caPem: string;
  usersFile: string;
  tokenFile: string;
  curlConfig: string;
  token: string;
  secret: string;
  identity: IdentityServer;
  dovecot: Dovecot;
  dovecotX: Dovecot;
  dovecotD: Dovecot;
  nets: Record<NetName, Net>;
  authorityHostName: string;
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
let cleaned: Promise<void> | null = null;
function cleanup(): Promise<void> {
  return (cleaned ??= (async () => {
    killAllChildren();
    // Last registered first.
    for (const fn of [...cleanups].reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`cleanup: ${String(err)}`);
      }
    }
  })());
}

async function startWorld(): Promise<World> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imap-oauth-bench-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await createTestPki('imap-oauth bench CA');
  const serverCert = await pki.issueServerCert(['localhost', '127.0.0.1']);
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKeyPem = signing.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const publicKeyPem = signing.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const kid = 'bench-kid-1';
  const secret = `bench~${randomUUID()}`.replace(/-/g, '');

  const identity = await startIdentityServer({
    tls: serverCert,
    signingKey: { kid, privateKeyPem: signingKeyPem },
    tenants: [{ id: TENANT, domains: ['contoso.onmicrosoft.com'] }],
    apps: [{ clientId: CLIENT_ID, tenantId: TENANT, displayName: 'bench app', secrets: [{ value: secret }], roles: ['IMAP.AccessAsApp'], servicePrincipalId: SP_ID }],
  });
  cleanups.push(() => identity.close());
  const dovecot = await startDovecot({ tls: serverCert, jwtKeys: [{ kid, publicKeyPem }], audience: AUDIENCE, messages: 3, extraConfig: DOVECOT_TUNING });
  cleanups.push(() => dovecot.stop());
  const dovecotX = await startDovecot({ tls: serverCert, jwtKeys: [{ kid, publicKeyPem }], audience: AUDIENCE, messages: 3, mechanisms: 'xoauth2', extraConfig: DOVECOT_TUNING });
  cleanups.push(() => dovecotX.stop());
  const dovecotD = await startDovecot({ tls: serverCert, jwtKeys: [{ kid, publicKeyPem }], audience: AUDIENCE, messages: 3 });
  cleanups.push(() => dovecotD.stop());

  const nets = {} as Record<NetName, Net>;
  for (const name of Object.keys(NETS) as NetName[]) {
    const { oneWayMs, precise } = NETS[name];
    const proxy = async (port: number) => {
      const p = await startDelayProxy({ target: { host: '127.0.0.1', port }, oneWayDelayMs: oneWayMs, precise });
      cleanups.push(() => p.close());
      return p;
    };
    nets[name] = { imap: await proxy(dovecot.port), imapD: await proxy(dovecotD.port), imapX: await proxy(dovecotX.port), identity: await proxy(identity.port) };
  }

  const now = Math.floor(Date.now() / 1000);
  const token = signJwt(
    { alg: 'RS256', typ: 'JWT', kid },
    { aud: AUDIENCE, iss: `https://sts.windows.net/${TENANT}/`, iat: now - 300, nbf: now - 300, exp: now + 3600, appid: CLIENT_ID, oid: SP_ID, sub: SP_ID, tid: TENANT, roles: ['IMAP.AccessAsApp'], ver: '1.0' },
    signingKeyPem,
  );
  const caFile = path.join(dir, 'ca.pem');
  const usersFile = path.join(dir, 'users.txt');
  const tokenFile = path.join(dir, 'token.txt');
  const curlConfig = path.join(dir, 'curl-token.conf');
  writeFileSync(caFile, pki.ca.certPem);
  writeFileSync(usersFile, `# ${BATCH_SIZE} mailboxes for the batch benchmark\n${Array.from({ length: BATCH_SIZE }, (_, i) => `user${String(i + 1).padStart(4, '0')}@contoso.com`).join('\n')}\n`);
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  // The token reaches curl in a config file (-K), not on its command line (ps): the same --oauth2-bearer option.
  writeFileSync(curlConfig, `oauth2-bearer = "${token}"\n`, { mode: 0o600 });
  return { dir, caFile, caPem: pki.ca.certPem, usersFile, tokenFile, curlConfig, token, secret, identity, dovecot, dovecotX, dovecotD, nets, authorityHostName: '127.0.0.1' };
}

// ---------------------------------------------------------------------------------------------
// The contenders (one mailbox)

/** curl and python3 are optional: a peer that is not installed is reported as such, the rest still runs. */
const HAVE = { curl: false, python: false };
async function detectPeers(dir: string): Promise<void> {
  const works = async (cmd: string) => {
    try {
      return (await runChild(cmd, ['--version'], { env: { PATH: BASE_ENV.PATH }, cwd: dir, timeoutMs: 10_000 })).code === 0;
    } catch {
      return false;
    }
  };
  HAVE.curl = await works('curl');
  HAVE.python = await works('python3');
  if (!HAVE.curl) log('curl not found: its rows are left out (apt-get install curl)');
  if (!HAVE.python) log('python3 not found: the imaplib row is left out');
}

interface Sample {
  ms: number;
  maxRssKb?: number;
  /** From the CLI's --json: token.ms and the sum of the IMAP stages. */
  tokenMs?: number;
  imapMs?: number;
  /** HTTP requests the identity stand-in saw during this run. */
  identityRequests?: number;
}
interface Contender {
  key: string;
  label: string;
  run(net: NetName): Promise<Sample>;
}

const cliEnv = (w: World) => ({ ...BASE_ENV, IMAP_OAUTH_CLIENT_SECRET: w.secret });

function cliArgs(w: World, net: NetName, authorityHost = w.authorityHostName, target: 'imap' | 'imapD' = 'imap'): string[] {
  const p = w.nets[net];
  return [
    BIN, 'test', '--tenant', TENANT, '--client-id', CLIENT_ID, '--authority-host', `https://${authorityHost}:${p.identity.port}`,
    '--host', '127.0.0.1', '--port', String(p[target].port), '--ca-file', w.caFile, '--timeout', '10', '--json',
  ];
}

function checkCli(run: ChildRun, what: string): CliDoc {
  const doc = parseDoc(run);
  if (run.timedOut) throw new Error(`${what}: timed out`);
  if (!doc) throw new Error(`${what}: exit ${run.code}, no JSON document: ${firstLine(run.stderr) || firstLine(run.stdout)}`);
  if (!doc.ok) {
    const r = doc.results.find((x) => !x.ok);
    throw new Error(`${what}: exit ${run.code}, failed stage ${r?.failedStage ?? '?'}: ${r?.stages.find((s) => !s.ok)?.name ?? ''} ${firstLine(run.stderr)}`);
  }
  return doc;
}

const splitStages = (doc: CliDoc) => {
  const stages = doc.results[0]?.stages ?? [];
  return { tokenMs: doc.token.ms, imapMs: stages.filter((s) => s.name !== 'token').reduce((a, s) => a + s.ms, 0) };
};

function curlArgs(w: World, net: NetName, target: 'imap' | 'imapX', verbose = false): string[] {
  // No mailbox in the URL: with one, curl SELECTs it before running the custom command (two commands).
  // --login-options AUTH=XOAUTH2 is what a user would write; curl 7.88 ignores it when --oauth2-bearer
  // is given and the server also offers OAUTHBEARER (curl issue 10259, fixed in curl 8.6.0).
  return [
    verbose ? '-v' : '-sS', '--max-time', '15', '--cacert', w.caFile, '-K', w.curlConfig, '--login-options', 'AUTH=XOAUTH2', '-u', `${USER}:`,
    '-X', 'EXAMINE INBOX', `imaps://127.0.0.1:${w.nets[net][target].port}/`,
  ];
}

function imaplibArgs(w: World, net: NetName, trace = false): string[] {
  return [path.join(ROOT, 'bench', 'imaplib_check.py'), '127.0.0.1', String(w.nets[net].imap.port), USER, w.caFile, ...(trace ? ['--trace'] : [])];
}

function contenders(w: World): Contender[] {
  return allContenders(w).filter((c) => (c.key.startsWith('curl') ? HAVE.curl : c.key === 'imaplib' ? HAVE.python : true));
}

function allContenders(w: World): Contender[] {
  let n = 0;
  const rss = () => rssFileIn(w.dir, ++n);
  const countIdentity = async <T>(fn: () => Promise<T>) => {
    const before = w.identity.requests.length;
    const out = await fn();
    return { out, requests: w.identity.requests.length - before };
  };
  const curl = (target: 'imap' | 'imapX') => async (net: NetName) => {
    const run = await runChild('curl', curlArgs(w, net, target), { env: { PATH: BASE_ENV.PATH, HOME: w.dir }, cwd: w.dir, timeoutMs: SINGLE_TIMEOUT_MS, rssFile: rss() });
    if (run.code !== 0) throw new Error(`curl: exit ${run.code} ${firstLine(run.stderr)}`);
    return { ms: run.ms, maxRssKb: run.maxRssKb };
  };
  return [
    {
      key: 'cli',
      label: '`imap-oauth test` (token + IMAP)',
      async run(net) {
        const { out: run, requests } = await countIdentity(() => runChild(NODE, [...cliArgs(w, net), '--user', USER], { env: cliEnv(w), cwd: w.dir, timeoutMs: SINGLE_TIMEOUT_MS, rssFile: rss() }));
        const doc = checkCli(run, 'imap-oauth test');
        return { ms: run.ms, maxRssKb: run.maxRssKb, identityRequests: requests, ...splitStages(doc) };
      },
    },
    {
      key: 'cli-token',
      label: '`imap-oauth test --access-token-file` (IMAP only)',
      async run(net) {
        const args = [BIN, 'test', '--user', USER, '--access-token-file', w.tokenFile, '--host', '127.0.0.1', '--port', String(w.nets[net].imap.port), '--ca-file', w.caFile, '--timeout', '10', '--json'];
        const { out: run, requests } = await countIdentity(() => runChild(NODE, args, { env: BASE_ENV, cwd: w.dir, timeoutMs: SINGLE_TIMEOUT_MS, rssFile: rss() }));
        const doc = checkCli(run, 'imap-oauth test --access-token-file');
        return { ms: run.ms, maxRssKb: run.maxRssKb, identityRequests: requests, ...splitStages(doc) };
      },
    },
    { key: 'curl', label: 'curl 7.88 `--oauth2-bearer` imaps:// (Dovecot offers both: curl uses OAUTHBEARER)', run: curl('imap') },
    { key: 'curl-x', label: 'curl 7.88, Dovecot offering XOAUTH2 only (curl uses XOAUTH2)', run: curl('imapX') },
    {
      key: 'imaplib',
      label: 'Python imaplib (bench/imaplib_check.py)',
      async run(net) {
        const run = await runChild('python3', imaplibArgs(w, net), { env: { PATH: BASE_ENV.PATH, HOME: w.dir, BENCH_TOKEN: w.token }, cwd: w.dir, timeoutMs: SINGLE_TIMEOUT_MS, rssFile: rss() });
        if (run.code !== 0) throw new Error(`imaplib: exit ${run.code} ${firstLine(run.stderr)}`);
        return { ms: run.ms, maxRssKb: run.maxRssKb };
      },
    },
    {
      key: 'floor',
      label: 'floor client (bench/floor-client.ts: raw TLS socket, in-process, no start-up)',
      async run(net) {
        const r = await floorSession({ host: '127.0.0.1', port: w.nets[net].imap.port, caPem: w.caPem, user: USER, token: w.token, timeoutMs: 10_000 });
        return { ms: r.ms };
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// What each client says on the wire (one run each, no added delay).

interface Transcripts {
  cli: string[];
  curl: string[];
  curlX: string[];
  curlMechanism: string;
  curlXMechanism: string;
  imaplib: string[];
  floor: string[];
  /** Dovecot's log line for curl's session: "Logged out" means curl sent LOGOUT (curl -v does not show it). */
  curlDisconnect: string;
}

async function transcripts(w: World): Promise<Transcripts> {
  const secrets = [w.token, w.secret];
  const cliRun = await runChild(NODE, [...cliArgs(w, 'local'), '--user', USER], { env: cliEnv(w), cwd: w.dir, timeoutMs: SINGLE_TIMEOUT_MS });
  const doc = checkCli(cliRun, 'imap-oauth test (transcript)');
  const cli = (doc.results[0]?.transcript ?? []).map((l) => shorten(`${l.dir}: ${redactLine(l.text, secrets)}`));

  const curlLines = async (args: string[]) => {
    const run = await runChild('curl', args, { env: { PATH: BASE_ENV.PATH, HOME: w.dir }, cwd: w.dir, timeoutMs: SINGLE_TIMEOUT_MS });
    return run.stderr
      .split('\n')
      .filter((l) => /^[<>] /.test(l))
      .map((l) => shorten(redactLine(l.replace(/^> /, 'C: ').replace(/^< /, 'S: '), secrets)));
  };
  const mech = (lines: string[]) => {
    const line = lines.find((l) => /AUTHENTICATE /.test(l)) ?? '';
    const m = /AUTHENTICATE (\S+)( \S+)?/.exec(line);
    return m ? `${m[1]}${m[2] ? ' with an initial response (SASL-IR)' : ' without an initial response'}` : 'unknown';
  };
  const curl = HAVE.curl ? await curlLines(curlArgs(w, 'local', 'imap', true)) : ['(curl not installed)'];
  // Dovecot writes its log line when the session ends; give it a moment (bounded).
  let curlDisconnect = '';
  for (let i = 0; HAVE.curl && i < 20 && !curlDisconnect; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const lines = w.dovecot.log().split('\n').filter((l) => /imap\(someone@contoso\.com\).*Disconnected: /.test(l));
    curlDisconnect = /Disconnected: ([^:]+?)(?: in=|$)/.exec(lines[lines.length - 1] ?? '')?.[1]?.trim() ?? '';
  }
  const curlX = HAVE.curl ? await curlLines(curlArgs(w, 'local', 'imapX', true)) : ['(curl not installed)'];

  const py = HAVE.python
    ? await runChild('python3', imaplibArgs(w, 'local', true), { env: { PATH: BASE_ENV.PATH, HOME: w.dir, BENCH_TOKEN: w.token }, cwd: w.dir, timeoutMs: SINGLE_TIMEOUT_MS })
    : { stderr: '> (python3 not installed)' };
  const imaplib = py.stderr
    .split('\n')
    .map((l) => l.trim().replace(/^\d\d:\d\d\.\d\d /, ''))
    .filter((l) => /^[<>] /.test(l))
    .map((l) => shorten(redactLine(l.replace(/^> b?'?/, 'C: ').replace(/^< b?'?/, 'S: ').replace(/'$/, '').replace(/\\\\/g, '\\'), secrets)));
  const floor = (await floorSession({ host: '127.0.0.1', port: w.nets.local.imap.port, caPem: w.caPem, user: USER, token: w.token })).transcript.map((l) => shorten(redactLine(l, secrets)));
  return { cli, curl, curlX, curlMechanism: mech(curl), curlXMechanism: mech(curlX), imaplib, floor, curlDisconnect: curlDisconnect || 'not found' };
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface SingleResult {
  c: Contender;
  samples: Record<'rtt50' | 'rtt150' | 'local', Sample[]>;
}

async function measureSingle(w: World): Promise<SingleResult[]> {
  const cs = contenders(w);
  const results: SingleResult[] = cs.map((c) => ({ c, samples: { rtt50: [], rtt150: [], local: [] } }));
  const nets = ['rtt50', 'rtt150', 'local'] as const;
  log(`one mailbox: 1 warm-up, then ${RUNS} rounds × ${cs.length} clients × {${RTT_MS} ms, ${RTT2_MS} ms, 0 ms added} RTT`);
  for (const c of cs) for (const net of nets) await c.run(net);
  // Round-robin, so that drift on the machine hits every client alike.
  for (let i = 1; i <= RUNS; i++) {
    for (const r of results) for (const net of nets) r.samples[net].push(await r.c.run(net));
  }
  return results;
}

interface BatchRun {
  ms: number;
  ok: number;
  total: number;
  standInRequests: number;
  jsonRequests: number;
  maxRssKb?: number;
  cliCpuS?: number;
  dovecotCpuS: number;
  benchCpuS: number;
  maxOpen: number;
}
interface BatchVariant {
  key: string;
  /** What differs from the plain run at 50 ms RTT. */
  label: string;
  concurrency: number;
  runs: number;
  net: NetName;
  /** 'flag': --ca-file (every connection builds a TLS context from the system roots + the CA);
   *  'env': NODE_EXTRA_CA_CERTS (the default trust store, as a production run with the system roots). */
  ca: 'flag' | 'env';
  /** 'imapD': the Dovecot with the test suite's configuration. */
  target: 'imap' | 'imapD';
}
interface BatchResult {
  v: BatchVariant;
  runs: BatchRun[];
  error?: string;
}

const BATCH_VARIANTS: BatchVariant[] = [
  { key: 'c1', label: `${RTT_MS} ms RTT`, concurrency: 1, runs: BATCH_RUNS[0]!, net: 'batch', ca: 'flag', target: 'imap' },
  { key: 'c8', label: `${RTT_MS} ms RTT`, concurrency: 8, runs: BATCH_RUNS[1]!, net: 'batch', ca: 'flag', target: 'imap' },
  { key: 'c32', label: `${RTT_MS} ms RTT`, concurrency: 32, runs: BATCH_RUNS[2]!, net: 'batch', ca: 'flag', target: 'imap' },
  { key: 'c32-local', label: 'no added delay (local cost only)', concurrency: 32, runs: Math.min(1, BATCH_RUNS[2]!), net: 'local', ca: 'flag', target: 'imap' },
  { key: 'c32-env', label: `${RTT_MS} ms RTT, test CA via NODE_EXTRA_CA_CERTS instead of --ca-file`, concurrency: 32, runs: Math.min(2, BATCH_RUNS[2]!), net: 'batch', ca: 'env', target: 'imap' },
  { key: 'c32-dflt', label: `${RTT_MS} ms RTT, Dovecot as configured for the tests (a process per login, debug log)`, concurrency: 32, runs: Math.min(2, BATCH_RUNS[2]!), net: 'batch', ca: 'flag', target: 'imapD' },
];

async function batchAvailable(w: World): Promise<{ ok: boolean; why: string }> {
  const help = await runChild(NODE, [BIN, 'test', '--help'], { env: BASE_ENV, cwd: w.dir, timeoutMs: STARTUP_TIMEOUT_MS });
  const missing = ['--users-file', '--concurrency'].filter((f) => !help.stdout.includes(f));
  return missing.length ? { ok: false, why: `\`imap-oauth test --help\` does not list ${missing.join(', ')}` } : { ok: true, why: '' };
}

async function measureBatch(w: World): Promise<BatchResult[]> {
  const out: BatchResult[] = [];
  let n = 1000;
  const one = async (v: BatchVariant): Promise<BatchRun> => {
    const c = v.concurrency;
    const before = w.identity.requests.length;
    const server = v.target === 'imapD' ? w.dovecotD : w.dovecot;
    const dc0 = dovecotCpuS(server);
    const bc0 = selfCpuS();
    const proxy = w.nets[v.net][v.target].stats;
    proxy.maxOpen = proxy.open;
    let args = [...cliArgs(w, v.net, w.authorityHostName, v.target), '--users-file', w.usersFile, '--concurrency', String(c)];
    let childEnv: Record<string, string> = cliEnv(w);
    if (v.ca === 'env') {
      args = args.filter((a, i, all) => a !== '--ca-file' && all[i - 1] !== '--ca-file');
      childEnv = { ...childEnv, NODE_EXTRA_CA_CERTS: w.caFile };
    }
    const run = await runChild(NODE, args, { env: childEnv, cwd: w.dir, timeoutMs: batchTimeoutMs(c), rssFile: rssFileIn(w.dir, ++n) });
    const standInRequests = w.identity.requests.length - before;
    const doc = parseDoc(run);
    if (run.timedOut) throw new Error(`batch at concurrency ${c}: timed out after ${Math.round(batchTimeoutMs(c) / 1000)} s`);
    if (!doc || !Array.isArray(doc.results)) throw new Error(`batch at concurrency ${c}: exit ${run.code}, no JSON document: ${firstLine(run.stderr) || firstLine(run.stdout)}`);
    return {
      ms: run.ms, ok: doc.results.filter((r) => r.ok).length, total: doc.results.length, standInRequests, jsonRequests: doc.token?.requests ?? NaN,
      maxRssKb: run.maxRssKb, cliCpuS: run.cpuS, dovecotCpuS: dovecotCpuS(server) - dc0, benchCpuS: selfCpuS() - bc0, maxOpen: proxy.maxOpen,
    };
  };
  for (const v of BATCH_VARIANTS) {
    const res: BatchResult = { v, runs: [] };
    out.push(res);
    if (v.runs === 0) continue;
    log(`batch of ${BATCH_SIZE} at concurrency ${v.concurrency}, ${v.label}: ${v.runs} run(s)`);
    try {
      for (let k = 0; k < v.runs; k++) res.runs.push(await one(v));
    } catch (err) {
      res.error = err instanceof Error ? err.message : String(err);
      log(res.error);
    }
  }
  return out;
}

interface StartupResult {
  label: string;
  samples: number[];
}

async function measureStartup(w: World): Promise<StartupResult[]> {
  const opts = { env: BASE_ENV, cwd: w.dir, timeoutMs: STARTUP_TIMEOUT_MS };
  // The last rows price the modules a `test` run loads (from the project directory, where they resolve).
  const load = (m: string) => ({ label: `\`node\` + \`import('${m}')\` (reference)`, args: ['--input-type=module', '-e', `await import(${JSON.stringify(m)})`], cwd: ROOT });
  const cmds: { label: string; args: string[]; cwd?: string }[] = [
    { label: '`node -e 0`', args: ['-e', '0'] },
    { label: '`node --input-type=module -e 0` (reference: the ESM loader, nothing imported)', args: ['--input-type=module', '-e', '0'] },
    { label: '`imap-oauth --help`', args: [BIN, '--help'] },
    { label: '`imap-oauth --version`', args: [BIN, '--version'] },
    { label: '`imap-oauth test --help`', args: [BIN, 'test', '--help'] },
    load('commander'),
    load('imapflow'),
    load('@azure/msal-node'),
  ];
  const res = cmds.map((c) => ({ label: c.label, samples: [] as number[] }));
  log(`start-up: 2 warm-ups, then ${STARTUP_RUNS} rounds × ${cmds.length} commands`);
  for (let i = -2; i < STARTUP_RUNS; i++) {
    for (const [k, c] of cmds.entries()) {
      const run = await runChild(NODE, c.args, { ...opts, cwd: c.cwd ?? opts.cwd });
      if (run.code !== 0) throw new Error(`${c.label}: exit ${run.code} ${firstLine(run.stderr)}`);
      if (i >= 0) res[k]!.samples.push(run.ms);
    }
  }
  return res;
}

/** Which authority host works through the proxy, 127.0.0.1 or localhost, and what MSAL asks for. */
async function pickAuthorityHost(w: World): Promise<{ chosen: string; notes: string[] }> {
  const notes: string[] = [];
  let chosen: string | null = null;
  for (const host of ['127.0.0.1', 'localhost']) {
    const before = w.identity.requests.length;
    const run = await runChild(NODE, [...cliArgs(w, 'local', host), '--user', USER], { env: cliEnv(w), cwd: w.dir, timeoutMs: SINGLE_TIMEOUT_MS });
    const doc = parseDoc(run);
    const reqs = w.identity.requests.slice(before).map((r) => `${r.method} ${r.path}`);
    const ok = !!doc?.ok;
    notes.push(`\`--authority-host https://${host}:<proxy port>\`: ${ok ? 'works' : `fails (exit ${run.code}: ${firstLine(run.stderr)})`}; requests at the stand-in: ${reqs.length} (${reqs.join(', ') || 'none'})`);
    if (ok && chosen === null) chosen = host;
  }
  if (chosen === null) throw new Error(`the CLI could not get a token through the proxy:\n${notes.join('\n')}`);
  return { chosen, notes };
}

// ---------------------------------------------------------------------------------------------
// Report

interface Machine {
  date: string;
  nproc: number;
  cpu: string;
  memGb: string;
  node: string;
  kernel: string;
  curl: string;
  python: string;
  dovecot: string;
  /** 1-minute load average when the bench started (other work on the machine shows here). */
  loadStart: number;
  /** What was measured: the commit and whether src/ or bin/ had uncommitted changes. */
  revision: string;
}

async function revision(w: World): Promise<string> {
  try {
    const git = (args: string[]) => runChild('git', ['-C', ROOT, ...args], { env: { PATH: BASE_ENV.PATH, HOME: BASE_ENV.HOME }, cwd: w.dir, timeoutMs: 10_000 });
    const head = (await git(['log', '-1', '--format=%h %s'])).stdout.trim();
    const dirty = (await git(['status', '--porcelain', '--', 'src', 'bin'])).stdout.trim().split('\n').filter(Boolean).length;
    if (!head) return 'unknown (no git)';
    return `commit ${head.length > 90 ? `${head.slice(0, 90)}…` : head}${dirty ? ` + ${dirty} uncommitted change(s) in src/ or bin/ (built as they were)` : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

async function machine(w: World): Promise<Machine> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const vers = async (cmd: string, args: string[]) => {
    try {
      const r = await runChild(cmd, args, { env: { PATH: BASE_ENV.PATH }, cwd: w.dir, timeoutMs: 10_000 });
      return firstLine(r.stdout || r.stderr);
    } catch {
      return 'unknown';
    }
  };
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memGb: (os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    curl: (await vers('curl', ['--version'])).split(' ').slice(0, 2).join(' '),
    python: await vers('python3', ['--version']),
    dovecot: `Dovecot ${(await vers('dovecot', ['--version'])).split(' ')[0]}`,
    loadStart: os.loadavg()[0] ?? NaN,
    revision: await revision(w),
  };
}

interface Report {
  machine: Machine;
  authority: { chosen: string; notes: string[] };
  single: SingleResult[];
  transcripts: Transcripts;
  batch: BatchResult[] | { unavailable: string };
  startup: StartupResult[];
  proxy: { meanLatenessMs: number; batchMeanLatenessMs: number };
  scale: ScaleResult;
  codeCache?: CodeCacheResult;
  durationS: number;
  loadEnd: number;
}


function render(r: Report): { text: string; targets: Target[] } {
  const single = new Map(r.single.map((s) => [s.c.key, s]));
  const stat = (key: string) => {
    const s = single.get(key);
    const w50 = median((s?.samples.rtt50 ?? []).map((x) => x.ms));
    const w150 = median((s?.samples.rtt150 ?? []).map((x) => x.ms));
    const w0 = median((s?.samples.local ?? []).map((x) => x.ms));
    const rts = (w150 - w50) / (RTT2_MS - RTT_MS);
    // The same slope between the fastest runs: load from other processes only ever adds time.
    const minOf = (xs: Sample[]) => Math.min(...xs.map((x) => x.ms));
    const rtsMin = (minOf(s?.samples.rtt150 ?? []) - minOf(s?.samples.rtt50 ?? [])) / (RTT2_MS - RTT_MS);
    return { w50, w150, w0, rts, rtsMin, diff: (w50 - w0) / RTT_MS, naive: w50 / RTT_MS, local: w50 - rts * RTT_MS, rss: maxOf((s?.samples.rtt50 ?? []).map((x) => x.maxRssKb)) };
  };
  // Baseline: curl; without curl, the floor client.
  const base = stat(single.has('curl') ? 'curl' : 'floor');
  const floorMs = FLOOR_RTS * RTT_MS;

  const singleRows = r.single.map((s) => {
    const x = stat(s.c.key);
    return [s.c.label, ms(x.w50), ms(x.w150), ms(x.w0), `**${fx(x.rts, 2)}**`, fx(x.rtsMin, 2), fx(x.diff, 2), fx(x.naive, 2), ms(x.local), ratio(x.w50, base.w50), ratio(x.rts, base.rts), x.rss ? mb(x.rss) : '—'];
  });
  singleRows.push([`theoretical floor: TCP + TLS 1.3 + greeting + AUTHENTICATE (SASL-IR) + EXAMINE + LOGOUT`, ms(floorMs), ms(FLOOR_RTS * RTT2_MS), '0 ms', `**${fx(FLOOR_RTS, 2)}**`, fx(FLOOR_RTS, 2), fx(FLOOR_RTS, 2), fx(FLOOR_RTS, 2), '0 ms', ratio(floorMs, base.w50), ratio(FLOOR_RTS, base.rts), '—']);

  // The CLI's own split (its stage clock, in-process: no start-up).
  const cli = single.get('cli');
  const part = (net: 'rtt50' | 'rtt150' | 'local', k: 'tokenMs' | 'imapMs') => median((cli?.samples[net] ?? []).map((x) => x[k] ?? NaN));
  const splitRow = (label: string, k: 'tokenMs' | 'imapMs', floor: string) => {
    const a = part('rtt50', k);
    const b = part('rtt150', k);
    const z = part('local', k);
    return [label, ms(a), ms(b), ms(z), `**${fx((b - a) / (RTT2_MS - RTT_MS), 2)}**`, fx((a - z) / RTT_MS, 2), floor];
  };
  const splitRows = [splitRow('token (`token.ms`)', 'tokenMs', `${TOKEN_FLOOR_RTS} (TCP + TLS 1.3 + POST)`), splitRow('IMAP (sum of the other stages)', 'imapMs', String(FLOOR_RTS))];
  {
    // The same for the --access-token-file runs (IMAP only).
    const t = single.get('cli-token');
    const p = (net: 'rtt50' | 'rtt150' | 'local') => median((t?.samples[net] ?? []).map((x) => x.imapMs ?? NaN));
    splitRows.push(['IMAP, in the `--access-token-file` runs', ms(p('rtt50')), ms(p('rtt150')), ms(p('local')), `**${fx((p('rtt150') - p('rtt50')) / (RTT2_MS - RTT_MS), 2)}**`, fx((p('rtt50') - p('local')) / RTT_MS, 2), String(FLOOR_RTS)]);
  }
  const cliReqs = [...new Set((cli?.samples.rtt50 ?? []).map((x) => x.identityRequests))].join(', ');

  const cliTok = stat('cli-token');
  const cliAll = stat('cli');
  const imaplib = stat('imaplib');
  const curlX = stat('curl-x');
  const floorMeasured = stat('floor');
  const imapPart = (part('rtt150', 'imapMs') - part('rtt50', 'imapMs')) / (RTT2_MS - RTT_MS);
  const tokImap = single.get('cli-token');
  const imapOnly = (median((tokImap?.samples.rtt150 ?? []).map((x) => x.imapMs ?? NaN)) - median((tokImap?.samples.rtt50 ?? []).map((x) => x.imapMs ?? NaN))) / (RTT2_MS - RTT_MS);
  const targets: Target[] = [];
  {
    // The verdict uses the CLI's own stage clock (connect → LOGOUT reply, in-process): the whole-process slope
    // carries the noise of a ~0.4 s Node start-up on a shared machine. Nothing before the connect (no token
    // request with --access-token-file) or after the LOGOUT reply waits on the network.
    const rts = imapOnly;
    const within = rts <= FLOOR_RTS + 1;
    const fewer = rts < base.rts && rts < imaplib.rts;
    const agree = Math.abs(cliTok.rts - rts) < 0.5;
    targets.push({
      name: 'One mailbox: within one round trip of the floor, and fewer round trips than curl and imaplib',
      met: within && fewer,
      detail:
        `IMAP with a ready token (\`imap-oauth test --access-token-file\`): ${fx(rts, 2)} round trips by the CLI's stage clock (${fx(imapPart, 2)} in the run with the token request); ` +
        `the whole-process slope says ${fx(cliTok.rts, 2)}${agree ? '' : ' (noisier: it includes the variable Node start-up; the stage clock is the verdict)'}. ` +
        `Floor ${FLOOR_RTS} (the raw floor client measures ${fx(floorMeasured.rts, 2)}): ${within ? 'within' : 'NOT within'} one round trip. ` +
        `curl ${fx(base.rts, 2)} (${fx(curlX.rts, 2)} with XOAUTH2), imaplib ${fx(imaplib.rts, 2)}: ${fewer ? 'fewer than both' : 'NOT fewer than both'}. ` +
        `In wall time at ${RTT_MS} ms RTT it is still ${ratio(cliTok.w50, base.w50)} curl: its ${ms(cliTok.local)} of local time (Node start-up, module loading, TLS) against curl's ${ms(base.local)}. ` +
        `With the token request the whole run is ${fx(cliAll.rts, 2)} round trips: ${TOKEN_FLOOR_RTS} + ${FLOOR_RTS} = ${TOKEN_FLOOR_RTS + FLOOR_RTS} when the token comes first, ${FLOOR_RTS} if the token request overlapped the IMAP connect.`,
    });
  }

  let batchText: string;
  const batchName = `${BATCH_SIZE} mailboxes at concurrency 32 over ${RTT_MS} ms RTT: under 3 s wall, exactly 1 token request, peak RSS under 150 MB`;
  if ('unavailable' in r.batch) {
    batchText = `**Batch mode not available**: ${r.batch.unavailable}.`;
    targets.push({ name: batchName, met: null, detail: 'not measured: batch mode not available.' });
  } else {
    const cpu = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? `${x.toFixed(1)} s` : 'n/a');
    const rowOf = (label: string, c: number, runs: BatchRun[], notes: string) => {
      const wall = median(runs.map((x) => x.ms));
      const okAll = runs.every((x) => x.ok === x.total && x.total === BATCH_SIZE);
      return [
        label, String(c), String(runs.length), ms(wall), fx(BATCH_SIZE / (wall / 1000), 1),
        okAll ? `${BATCH_SIZE}/${BATCH_SIZE}` : runs.map((x) => `${x.ok}/${x.total}`).join(', '),
        [...new Set(runs.map((x) => x.standInRequests))].join(', '), [...new Set(runs.map((x) => x.jsonRequests))].join(', '),
        mb(maxOf(runs.map((x) => x.maxRssKb))), String(Math.max(...runs.map((x) => x.maxOpen))),
        cpu(median(runs.map((x) => x.cliCpuS ?? NaN))), cpu(median(runs.map((x) => x.dovecotCpuS))), cpu(median(runs.map((x) => x.benchCpuS))), notes,
      ];
    };
    const rows: string[][] = r.batch.map((b) =>
      b.runs.length
        ? rowOf(b.v.label, b.v.concurrency, b.runs, b.error ? `error: ${b.error}` : '')
        : [b.v.label, String(b.v.concurrency), '0', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', b.error ? `error: ${b.error}` : 'not run'],
    );
    batchText = table(
      ['link', 'concurrency', 'runs', 'wall (median)', 'mailboxes/s', 'passed', 'requests at the token stand-in', '`token.requests`', 'peak RSS', 'IMAP connections open at once (max)', 'CPU: CLI', 'CPU: Dovecot', 'CPU: proxies + stand-in', 'notes'],
      rows,
    );
    const b32 = r.batch.find((b) => b.v.key === 'c32');
    const local = median(r.batch.find((b) => b.v.key === 'c32-local')?.runs.map((x) => x.ms) ?? []);
    const envCa = median(r.batch.find((b) => b.v.key === 'c32-env')?.runs.map((x) => x.ms) ?? []);
    if (!b32 || b32.runs.length === 0) {
      targets.push({ name: batchName, met: false, detail: `not measured: ${b32?.error ?? 'no run'}.` });
    } else {
      const wall = median(b32.runs.map((x) => x.ms));
      const one = b32.runs.every((x) => x.standInRequests === 1);
      const rss = maxOf(b32.runs.map((x) => x.maxRssKb));
      const allOk = b32.runs.every((x) => x.ok === BATCH_SIZE && x.total === BATCH_SIZE);
      const rssOk = rss !== undefined && rss < 150 * 1024;
      const cliCpu = median(b32.runs.map((x) => x.cliCpuS ?? NaN));
      const allCpu = cliCpu + median(b32.runs.map((x) => x.dovecotCpuS)) + median(b32.runs.map((x) => x.benchCpuS));
      const netFloor = (TOKEN_FLOOR_RTS + (BATCH_SIZE * FLOOR_RTS) / 32) * RTT_MS;
      const cpuFloor = (allCpu / r.machine.nproc) * 1000;
      targets.push({
        name: batchName,
        met: wall < 3000 && one && rssOk && allOk,
        detail:
          `With \`--ca-file\`: wall ${ms(wall)} (median of ${b32.runs.length}; runs ${ms(Math.min(...b32.runs.map((x) => x.ms)))} to ${ms(Math.max(...b32.runs.map((x) => x.ms)))}): ${wall < 3000 ? 'under' : 'NOT under'} 3 s` +
          `${Math.abs(wall - 3000) < 300 ? ' — within 10 % of the limit, so run-to-run noise decides it' : ''}. Two lower bounds: the network alone needs ` +
          `(${TOKEN_FLOOR_RTS} + ${BATCH_SIZE} × ${FLOOR_RTS} ÷ 32) × ${RTT_MS} ms = ${ms(netFloor)}; the CPU used (CLI ${fx(cliCpu, 1)} s + Dovecot + proxies and stand-in = ${fx(allCpu, 1)} s) ` +
          `needs ${ms(cpuFloor)} on ${r.machine.nproc} CPUs. The same batch with no added delay takes ${ms(local)}. ` +
          `With the test CA in NODE_EXTRA_CA_CERTS instead of --ca-file: ${ms(envCa)}. `+
          `Token requests at the stand-in per run: ${[...new Set(b32.runs.map((x) => x.standInRequests))].join(', ')} (${one ? 'exactly 1' : 'NOT exactly 1'}). ` +
          `Peak RSS ${mb(rss)}: ${rss === undefined ? 'not measured' : rssOk ? 'under 150 MB' : 'NOT under 150 MB'}. ${allOk ? `All ${BATCH_SIZE} mailboxes passed in every run.` : 'NOT every mailbox passed.'}`,
      });
    }
  }

  const st = new Map(r.startup.map((s) => [s.label, median(s.samples)]));
  const nodeBase = st.get('`node -e 0`') ?? NaN;
  const startupRows = r.startup.map((s) => [s.label, String(s.samples.length), ms(median(s.samples)), ms(Math.min(...s.samples)), ratio(median(s.samples), nodeBase)]);
  const help = st.get('`imap-oauth --help`') ?? NaN;
  targets.push({
    name: '`--help` under 1.5× `node -e 0`',
    met: help < 1.5 * nodeBase,
    detail: `\`imap-oauth --help\` ${ms(help)} = ${ratio(help, nodeBase)} \`node -e 0\` (${ms(nodeBase)}); \`--version\` ${ratio(st.get('`imap-oauth --version`') ?? NaN, nodeBase)}.`,
  });

  // Issue 13's targets, from the same runs.
  const targets13: Target[] = [];
  targets13.push({
    name: `One check with a ready token at ${RTT_MS} ms RTT: wall ≤ 1.0× curl's`,
    met: Number.isFinite(cliTok.w50) && Number.isFinite(base.w50) ? cliTok.w50 <= base.w50 : null,
    detail: `\`imap-oauth test --access-token-file\` ${ms(cliTok.w50)} against curl's ${ms(base.w50)}: ${ratio(cliTok.w50, base.w50)}` +
      ` (${fx(cliTok.rts, 2)} round trips against curl's ${fx(base.rts, 2)}; ${ms(cliTok.w50 - base.w50)} ${cliTok.w50 <= base.w50 ? 'less' : 'more'} in all). imaplib ${ms(imaplib.w50)}.`,
  });
  const localQ = cliTok.local / nodeBase;
  targets13.push({
    name: 'Local time of that check ≤ 3× `node -e 0`',
    met: Number.isFinite(localQ) ? localQ <= 3 : null,
    detail: `local time (wall @ ${RTT_MS} ms − round trips × ${RTT_MS} ms) ${ms(cliTok.local)} against \`node -e 0\` ${ms(nodeBase)}: ${fx(localQ, 2)}×` +
      `; through the 0 ms proxy the whole check takes ${ms(cliTok.w0)} = ${ratio(cliTok.w0, nodeBase)} \`node -e 0\`. curl's local time ${ms(base.local)}.`,
  });
  const secretDelta = cliAll.w50 - cliTok.w50;
  targets13.push({
    name: 'The client-secret path within 60 ms of the ready-token path',
    met: Number.isFinite(secretDelta) ? secretDelta <= 60 : null,
    detail: `\`imap-oauth test\` with a client secret (MSAL, one token POST that overlaps the IMAP connect) ${ms(cliAll.w50)} against ${ms(cliTok.w50)} with a ready token at ${RTT_MS} ms RTT: ${ms(secretDelta)} apart` +
      `; with no added delay ${ms(cliAll.w0)} against ${ms(cliTok.w0)}: ${ms(cliAll.w0 - cliTok.w0)} (MSAL's chunk and the token request on loopback).`,
  });
  // The large batches' CPU per mailbox is compared without the CLI's start-up too: its CPU time, estimated by the wall at 0 ms added.
  const scale = renderScale(r.scale, cliTok.w0);
  targets13.push(...scale.targets);

  const m = r.machine;
  const tr = r.transcripts;
  const block = (title: string, lines: string[]) => `${title}\n\n\`\`\`\n${lines.join('\n')}\n\`\`\``;
  const verdict = (t: Target) => (t.met === null ? 'NOT MEASURED' : t.met ? 'MET' : 'NOT MET');
  const text = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${m.date}, in ${Math.round(r.durationS)} s. Loopback only: a real ${m.dovecot} and the identity-platform`,
    `stand-in (src/sandbox/identity-server.ts), each behind a delay proxy (bench/delay-proxy.ts) adding ${ONE_WAY_MS} ms each way: **${RTT_MS} ms RTT**.`,
    'Dovecot runs with long-lived login and imap processes and no debug log (`DOVECOT_TUNING` in bench/run.ts): it stands in for Exchange',
    'Online, whose CPU is not on the client\'s machine, but here it shares the CPUs with the CLI. The wire exchange is the same.',
    '',
    `CLI measured: ${m.revision}.`,
    '',
    `Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memGb} GiB RAM, ${m.kernel}; Node ${m.node}; ${m.curl}; ${m.python}.`,
    `Load average (1 min) when the bench started: ${fx(m.loadStart, 2)}${m.loadStart > 0.5 ? ' — not idle: other work was running, so process start-up times and the batch are noisier' : ' (idle)'}; at the end ${fx(r.loadEnd, 2)}, the bench's own load included.`,
    '',
    '## Targets (issue 13)',
    '',
    ...targets13.map((t) => `- **${verdict(t)}**: ${t.name}. ${t.detail}`),
    '',
    '## Targets (issue 4)',
    '',
    ...targets.map((t) => `- **${verdict(t)}**: ${t.name}. ${t.detail}`),
    '',
    `## One mailbox (median of ${RUNS} runs each, after a warm-up; baseline curl = 1.00×)`,
    '',
    table(['client', `wall @ ${RTT_MS} ms RTT`, `wall @ ${RTT2_MS} ms RTT`, 'wall @ 0 ms added', '**round trips**', 'same, from the fastest runs', `(wall@${RTT_MS} − wall@0) ÷ ${RTT_MS}`, `wall@${RTT_MS} ÷ ${RTT_MS}`, 'local time', `wall vs curl`, 'round trips vs curl', 'peak RSS'], singleRows),
    '',
    `**Round trips** = (median wall at ${RTT2_MS} ms RTT − median wall at ${RTT_MS} ms RTT) ÷ ${RTT2_MS - RTT_MS} ms: the slope of wall time against the RTT.`,
    'Everything that does not scale with the RTT (process start-up, module loading, TLS crypto, the servers\' own work) cancels out, so',
    'no start-up figure has to be guessed and subtracted. **Local time** = wall @ 50 ms − round trips × 50 ms: that start-up and CPU part.',
    'The next column computes the same slope between the fastest run at each RTT: other work on the machine only ever adds time, so when',
    'the two disagree the machine was busy and the processes with the most local time (the Node CLI) carry the most noise.',
    `Then two simpler estimates, for comparison: wall @ ${RTT_MS} ms minus the same client's wall through a 0 ms proxy`,
    '(the start-up "measured separately"; it comes out low when server work that the delay hides shows up in the 0 ms run), and the',
    'plain wall ÷ RTT (high by the whole local time). The proxy holds a client\'s first bytes for one RTT, so the TCP handshake costs a',
    `round trip as on a real link; its timers are kept on time (mean lateness per chunk ${fx(r.proxy.meanLatenessMs, 2)} ms). The floor client, which does`,
    'exactly the 6 round trips of the floor, checks the method. Peak RSS: GNU time\'s maxrss of the child (`/usr/bin/time -f %M`), max over the runs.',
    '',
    '`imap-oauth test` split by its own stage clock (`--json`: `token.ms`; the sum of `results[0].stages[].ms` other than token; in-process, so no start-up):',
    '',
    table(['part', `@ ${RTT_MS} ms RTT`, `@ ${RTT2_MS} ms RTT`, '@ 0 ms added', '**round trips**', `(@${RTT_MS} − @0) ÷ ${RTT_MS}`, 'floor'], splitRows),
    '',
    `HTTP requests at the token stand-in per \`imap-oauth test\` run: ${cliReqs || 'n/a'}. Authority host through the proxy (the certificate names both):`,
    ...r.authority.notes.map((n) => `- ${n}`),
    '',
    `## ${BATCH_SIZE} mailboxes: \`imap-oauth test --users-file FILE --concurrency N --json\` (token + IMAP, whole process)`,
    '',
    batchText,
    '',
    `Concurrency 1 runs ${BATCH_RUNS[0]} time(s): at 6 round trips or more per mailbox it takes ${Math.round((BATCH_SIZE * FLOOR_RTS * RTT_MS) / 1000)} s or more. Requests at the stand-in`,
    'are counted by the stand-in itself (every HTTP request, any method); `token.requests` is what the CLI reports. Connections open at once are',
    'counted at the IMAP delay proxy, which sees a close up to one one-way delay late (so 33 at concurrency 32 can show). CPU: GNU time\'s user + system',
    'of the CLI; Dovecot\'s from /proc (master, its live children and those it reaped); the bench process (delay proxies and the',
    `token stand-in) from process.cpuUsage(). The batch proxies use ordinary timers (mean lateness ${fx(r.proxy.batchMeanLatenessMs, 2)} ms per chunk).`,
    '',
    `## Start-up (median of ${STARTUP_RUNS} runs each, after 2 warm-ups; baseline \`node -e 0\` = 1.00×)`,
    '',
    table(['command', 'runs', 'median', 'min', 'vs `node -e 0`'], startupRows),
    '',
    scale.text,
    '',
    ...(r.codeCache ? [renderCodeCache(r.codeCache), ''] : []),
    '## On the wire (one run each, no added delay; tokens and SASL strings redacted, long lines cut)',
    '',
    `curl 7.88 with \`--oauth2-bearer\` and \`--login-options AUTH=XOAUTH2\` sends **${tr.curlMechanism}** to this Dovecot, which offers XOAUTH2 and`,
    'OAUTHBEARER: with a bearer token curl 7.88 prefers OAUTHBEARER and the login option cannot turn it off (curl issue 10259, fixed in 8.6.0).',
    `Against a Dovecot that offers only XOAUTH2 (as Exchange Online does) it sends **${tr.curlXMechanism}**. Either way one round trip.`,
    `curl -v does not show curl's LOGOUT (sent while its connection cache is cleaned up, with logging off), but it sends one: Dovecot logs`,
    `the session as "${tr.curlDisconnect}" (a client that just closes is logged as "Connection closed"), and curl's 7 round trips include its reply.`,
    '',
    block('`imap-oauth test`:', tr.cli),
    '',
    block('curl (Dovecot offering both mechanisms):', tr.curl),
    '',
    block('curl (Dovecot offering XOAUTH2 only):', tr.curlX),
    '',
    block('Python imaplib:', tr.imaplib),
    '',
    block('floor client:', tr.floor),
    '',
  ].join('\n');
  return { text, targets: [...targets13, ...targets] };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const deadline = setTimeout(() => {
    log(`overall deadline of ${OVERALL_DEADLINE_MS / 60_000} min reached: stopping`);
    void cleanup().finally(() => process.exit(1));
  }, OVERALL_DEADLINE_MS);
  deadline.unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  if (!existsSync(path.join(ROOT, 'dist', 'cli-bundle.cjs'))) throw new Error('dist/cli-bundle.cjs missing: npm run build first (npm run bench does)');
  rmSync(SNAPSHOT, { recursive: true, force: true });
  mkdirSync(SNAPSHOT, { recursive: true });
  for (const item of ['bin', 'dist', 'package.json']) cpSync(path.join(ROOT, item), path.join(SNAPSHOT, item), { recursive: true });
  cleanups.push(() => rmSync(SNAPSHOT, { recursive: true, force: true }));
  if (!GNU_TIME) log('GNU time (/usr/bin/time) not found: peak RSS and CPU will be n/a (apt-get install time)');
  try {
    clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { timeout: 5_000 }).toString().trim()) || 100;
  } catch {
    // 100 on Linux
  }

  log('starting 3 Dovecots, the identity stand-in and 16 delay proxies');
  const w = await startWorld();
  const authority = await pickAuthorityHost(w);
  w.authorityHostName = authority.chosen;
  if (env.BENCH_HOLD === '1') return hold(w);
  const mach = await machine(w);
  await detectPeers(w.dir);
  const tr = await transcripts(w);
  const single = await measureSingle(w);
  const lateness = (names: NetName[]) => {
    const stats = names.flatMap((n) => [w.nets[n].imap.stats, w.nets[n].imapD.stats, w.nets[n].imapX.stats, w.nets[n].identity.stats]);
    const chunks = stats.reduce((a, s) => a + s.chunks, 0);
    return chunks ? stats.reduce((a, s) => a + s.latenessMs, 0) / chunks : NaN;
  };
  const avail = await batchAvailable(w);
  let batch: Report['batch'];
  if (avail.ok) batch = await measureBatch(w);
  else {
    log(`batch mode not available: ${avail.why}`);
    batch = { unavailable: avail.why };
  }
  const startup = await measureStartup(w);
  const codeCache = CODE_CACHE_RUNS > 0 ? await measureCodeCache({ node: NODE, bin: BIN, dir: w.dir, tokenFile: w.tokenFile, runs: CODE_CACHE_RUNS, env: BASE_ENV, log }) : undefined;
  const scale = await measureScale({
    node: NODE, bin: BIN, floorScript: path.join(ROOT, 'bench', '.build', 'bench', 'floor-batch.js'), dir: w.dir, host: '127.0.0.1', port: w.dovecot.port,
    caFile: w.caFile, tokenFile: w.tokenFile, env: env.BENCH_SCALE_NODE_OPTIONS ? { ...BASE_ENV, NODE_OPTIONS: env.BENCH_SCALE_NODE_OPTIONS } : BASE_ENV, sizes: SIZES, concurrency: SCALE_CONCURRENCY, floorMax: FLOOR_MAX, maxWallMs: SCALE_MAX_MS,
    serverCpuS: () => dovecotCpuS(w.dovecot), log,
  });
  const proxy = { meanLatenessMs: lateness(['rtt50', 'rtt150']), batchMeanLatenessMs: lateness(['batch']) };

  const { text, targets } = render({ machine: mach, authority, single, transcripts: tr, batch, startup, proxy, scale, codeCache, durationS: (performance.now() - started) / 1000, loadEnd: os.loadavg()[0] ?? NaN });
  process.stdout.write(`${text}\n`);
  if (WRITE_MD) {
    writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), text);
    log('wrote BENCHMARKS.md');
  }
  log(`done in ${Math.round((performance.now() - started) / 1000)} s; targets: ${targets.map((t) => (t.met === null ? 'not measured' : t.met ? 'met' : 'NOT met')).join(', ')}`);
}

/**
 * BENCH_HOLD=1: start the world, print the commands of one check (secret and ready token, at each
 * link) and keep everything running until Ctrl-C, to time or profile a change by hand.
 */
async function hold(w: World): Promise<void> {
  // The working tree's CLI, not the bench's snapshot of it: rebuild and run again.
  const live = path.join(ROOT, 'bin', 'imap-oauth.js');
  const q = (a: string[]) => a.map((x) => (x === BIN ? live : x)).map((x) => (/^[\w@%+=:,./-]+$/.test(x) ? x : `'${x}'`)).join(' ');
  log(`export IMAP_OAUTH_CLIENT_SECRET='${w.secret}'`);
  for (const net of Object.keys(NETS) as NetName[]) {
    log(`${net} secret: ${q([NODE, ...cliArgs(w, net), '--user', USER])}`);
    log(`${net} ready:  ${q([NODE, BIN, 'test', '--user', USER, '--access-token-file', w.tokenFile, '--host', '127.0.0.1', '--port', String(w.nets[net].imap.port), '--ca-file', w.caFile, '--timeout', '10', '--json'])}`);
  }
  log('holding: Ctrl-C stops');
  await new Promise(() => undefined);
}

main()
  .catch((err) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
