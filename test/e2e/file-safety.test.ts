// The tool touches no file that is not its own, attacked the way a careless admin or a local
// attacker would: a token cache on a link, a link planted at the old predictable temp name, a FIFO,
// /dev/null, a .env or notes given as the cache, logout of a foreign file, a report path that
// cannot be written, FIFOs and a BOM as input. Real CLI, real Dovecot and identity stand-in.
import { spawn, spawnSync } from 'node:child_process'; // spawnSync only for mkfifo
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, findLeak, runCli, type CliRun } from '../support/cli.js';
import { startE2eWorld, type E2eWorld } from '../support/e2e-world.js';

let world: E2eWorld;
let n = 0;
const runs: CliRun[] = [];
/** A fresh directory per case, so that every file in it can be accounted for. */
function caseDir(): string {
  const d = join(world.dir, `case-${++n}`);
  mkdirSync(d);
  return d;
}
function mkfifo(path: string): string {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
  return path;
}
async function cli(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  const run = await runCli(args, { env: { IMAP_OAUTH_CLIENT_SECRET: world.secret, ...opts.env }, cwd: opts.cwd ?? world.dir, timeoutMs: 20_000 });
  runs.push(run);
  return run;
}
const tokenRequests = () => world.identity.requests.filter((r) => r.method === 'POST').length;
/** One line on stderr, no stack trace. */
function oneLine(run: CliRun): string {
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

// An IMAP host that only counts connections: a refused run must never reach it.
let counter: Server;
let connections = 0;
beforeAll(async () => {
  world = await startE2eWorld();
  counter = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => counter?.close(resolve));
  await world?.close();
});
const counterArgs = (...extra: string[]) => {
  const args = world.args(...extra);
  args.splice(args.indexOf('--host'), 4, '--host', '127.0.0.1', '--port', String((counter.address() as { port: number }).port));
  return args;
};

describe('--token-cache refuses what is not its own (exit 2, nothing contacted, nothing changed)', () => {
  async function refused(path: string, expected: RegExp) {
    const before = { tokens: tokenRequests(), connections };
    const run = await cli(counterArgs('--token-cache', path));
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(oneLine(run)).toMatch(expected);
    expect({ tokens: tokenRequests(), connections }).toEqual(before);
  }

  it('a .env given as the cache stays byte for byte what it was', async () => {
    const d = caseDir();
    const env = join(d, '.env');
    const text = 'IMAP_OAUTH_CLIENT_SECRET=keep-me\n# a comment\n';
    writeFileSync(env, text);
    await refused(env, /--token-cache .*\.env is not an imap-oauth token cache \(it holds something else\): refusing to touch it/);
    expect(readFileSync(env, 'utf8')).toBe(text);
    expect(readdirSync(d)).toEqual(['.env']);
  });

  it('a symbolic link: neither the link nor its target is written', async () => {
    const d = caseDir();
    const target = join(d, 'authorized_keys');
    writeFileSync(target, 'ssh-ed25519 AAAA precious\n');
    const link = join(d, 'cache.json');
    symlinkSync(target, link);
    await refused(link, /is a symbolic link, not an imap-oauth token cache: refusing to use it/);
    expect(readFileSync(target, 'utf8')).toBe('ssh-ed25519 AAAA precious\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    // A dangling link is refused too: it would otherwise create the file it points to.
    const dangling = join(d, 'dangling.json');
    symlinkSync(join(d, 'created-through-link'), dangling);
    await refused(dangling, /is a symbolic link/);
    expect(existsSync(join(d, 'created-through-link'))).toBe(false);
  });

  it('a FIFO ends the run at once (no hang whatever --timeout says) and stays a FIFO', async () => {
    const fifo = mkfifo(join(caseDir(), 'cache.fifo'));
    await refused(fifo, /is a FIFO \(named pipe\), not an imap-oauth token cache/);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('/dev/null is refused and is still a character device afterwards', async () => {
    await refused('/dev/null', /--token-cache \/dev\/null is a device, not an imap-oauth token cache/);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('an empty --token-cache= is a usage error (2), not an internal error', async () => {
    const run = await cli(counterArgs('--token-cache='));
    expect(run.code).toBe(2);
    expect(oneLine(run)).toBe('imap-oauth: --token-cache needs a path: the file to keep the token in');
  });
});

describe('--token-cache writes only its own file', () => {
  it('a link planted at the old predictable temp name (<path>.<pid>.tmp) receives nothing', async () => {
    const d = caseDir();
    const cache = join(d, 'cache.json');
    const victim = join(d, 'victim.txt');
    // The pid is known the moment the process exists; the cache is written after a token request.
    const child = spawn(process.execPath, [BIN, ...world.args('--token-cache', cache, '--json')], {
      env: { PATH: process.env.PATH, IMAP_OAUTH_CLIENT_SECRET: world.secret }, cwd: d,
    });
    symlinkSync(victim, `${cache}.${child.pid}.tmp`);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    runs.push({ code, stdout, stderr, ms: 0 });
    expect(code, stderr).toBe(0);
    expect(existsSync(victim)).toBe(false);
    expect(lstatSync(`${cache}.${child.pid}.tmp`).isSymbolicLink()).toBe(true);
    expect(lstatSync(cache).isFile()).toBe(true);
    expect(statSync(cache).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(cache, 'utf8')).format).toBe('imap-oauth-token-cache/1');
    // No temporary file of ours is left behind.
    expect(readdirSync(d).sort()).toEqual(['cache.json', `cache.json.${child.pid}.tmp`]);
  });

  it('an empty file (from mktemp) becomes the cache', async () => {
    const cache = join(caseDir(), 'tmp.XXXX');
    writeFileSync(cache, '');
    const run = await cli(world.args('--token-cache', cache));
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(readFileSync(cache, 'utf8')).format).toBe('imap-oauth-token-cache/1');
    expect(statSync(cache).mode & 0o777).toBe(0o600);
  });

  it.each([['null'], ['{"AccessToken":{"x":null}}'], ['not json']])('a damaged msal payload (%s) inside a valid cache starts afresh', async (payload) => {
    const cache = join(caseDir(), 'cache.json');
    const first = await cli(world.args('--token-cache', cache));
    expect(first.code, first.stderr).toBe(0);
    const file = JSON.parse(readFileSync(cache, 'utf8'));
    writeFileSync(cache, JSON.stringify({ ...file, msal: payload }));
    const before = tokenRequests();
    const run = await cli(world.args('--token-cache', cache, '--json'));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).token).toMatchObject({ ok: true, requests: 1, fromCache: false });
    expect(tokenRequests() - before).toBe(1);
    // Replaced by a good cache: the next run needs no request.
    expect(JSON.parse(JSON.parse(readFileSync(cache, 'utf8')).msal)).toHaveProperty('AccessToken');
    const again = await cli(world.args('--token-cache', cache, '--json'));
    expect(JSON.parse(again.stdout).token).toMatchObject({ requests: 0, fromCache: true });
  });
});

describe('logout deletes only an imap-oauth cache', () => {
  it('notes.txt is refused and left byte for byte; a FIFO and a link too; a real cache is removed', async () => {
    const d = caseDir();
    const notes = join(d, 'notes.txt');
    writeFileSync(notes, 'meeting notes\n');
    const run = await cli(['logout', '--token-cache', notes]);
    expect(run.code).toBe(2);
    expect(oneLine(run)).toMatch(/--token-cache .*notes\.txt is not an imap-oauth token cache/);
    expect(readFileSync(notes, 'utf8')).toBe('meeting notes\n');

    const fifo = mkfifo(join(d, 'fifo'));
    expect((await cli(['logout', '--token-cache', fifo])).code).toBe(2);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    const link = join(d, 'link.json');
    symlinkSync(notes, link);
    expect((await cli(['logout', '--token-cache', link])).code).toBe(2);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect((await cli(['logout', '--token-cache', '/dev/null'])).code).toBe(2);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);

    const cache = join(d, 'cache.json');
    expect((await cli(world.args('--token-cache', cache))).code).toBe(0);
    const out = await cli(['logout', '--token-cache', cache]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^Removed .*cache\.json/);
    expect(existsSync(cache)).toBe(false);
    expect(readFileSync(notes, 'utf8')).toBe('meeting notes\n');
  });
});

describe('report files (--junit) are checked before any mailbox is probed', () => {
  it.each([
    ['a missing directory', (d: string) => join(d, 'no-such-dir', 'report.xml'), /cannot write --junit .*report\.xml: its directory .*no-such-dir does not exist/],
    ['a file as directory', (d: string) => (writeFileSync(join(d, 'file'), ''), join(d, 'file', 'report.xml')), /a part of the path is not a directory/],
    ['a symbolic link', (d: string) => (writeFileSync(join(d, 'target'), 'keep'), symlinkSync(join(d, 'target'), join(d, 'r.xml')), join(d, 'r.xml')), /--junit .*r\.xml is a symbolic link: refusing to write to it/],
    ['a FIFO', (d: string) => mkfifo(join(d, 'r.xml')), /is a FIFO \(named pipe\)/],
    ['/dev/null', () => '/dev/null', /--junit \/dev\/null is a device/],
  ])('%s: exit 2 at once, no token request, no connection', async (_, make, expected) => {
    const d = caseDir();
    const path = make(d);
    const before = { tokens: tokenRequests(), connections };
    const run = await cli(counterArgs('--junit', path));
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(oneLine(run)).toMatch(expected);
    expect({ tokens: tokenRequests(), connections }).toEqual(before);
    if (existsSync(join(d, 'target'))) expect(readFileSync(join(d, 'target'), 'utf8')).toBe('keep');
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('an empty --junit= is a usage error (2)', async () => {
    const run = await cli(counterArgs('--junit='));
    expect(run.code).toBe(2);
    expect(oneLine(run)).toBe('imap-oauth: --junit needs a path: the file to write the report to');
  });

  it('an existing regular report file is replaced whole (what a report path is for)', async () => {
    const d = caseDir();
    const junit = join(d, 'report.xml');
    writeFileSync(junit, 'old report');
    const run = await cli(world.args('--junit', junit));
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(junit, 'utf8')).toMatch(/^<\?xml /);
    expect(readdirSync(d)).toEqual(['report.xml']);
  });
});

describe('input files: FIFOs allowed within --timeout, a BOM dropped', () => {
  it('--client-secret-file <(printf …) (bash process substitution) works', async () => {
    const args = world.args('--json').map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    // Asynchronous on purpose: the identity stand-in runs in this process and must keep answering.
    const child = spawn('bash', ['--norc', '--noprofile', '-c', `exec "${process.execPath}" "${BIN}" ${args} --client-secret-file <(printf '%s\\n' "$S")`], {
      env: { PATH: process.env.PATH, S: world.secret }, cwd: world.dir,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    runs.push({ code, stdout, stderr, ms: 0 });
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout).token).toMatchObject({ ok: true, source: 'client-secret' });
  });

  it('a FIFO nobody writes to, as the secret file, ends within --timeout with exit 2', async () => {
    const fifo = mkfifo(join(caseDir(), 'secret.fifo'));
    const before = tokenRequests();
    const run = await runCli([...counterArgs('--timeout', '1'), '--client-secret-file', fifo], { cwd: world.dir, timeoutMs: 20_000 });
    runs.push(run);
    expect(run.code, run.stderr).toBe(2);
    expect(oneLine(run)).toMatch(/cannot read .*secret\.fifo \(--client-secret-file\): nothing arrived within 1 s/);
    expect(tokenRequests()).toBe(before);
  });

  it('a .env with a UTF-8 BOM keeps its first variable', async () => {
    const d = caseDir();
    writeFileSync(join(d, '.env'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`IMAP_OAUTH_CLIENT_SECRET=${world.secret}\r\n`)]));
    const run = await runCli(world.args('--json'), { cwd: d, timeoutMs: 20_000 });
    runs.push(run);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).token.source).toBe('client-secret');
  });

  it('--dotenv PATH: a missing file is our one line and exit 2 (Node never sees the flag)', async () => {
    const run = await cli([...counterArgs(), '--dotenv', '/missing.env']);
    expect(run.code).toBe(2);
    expect(oneLine(run)).toBe('imap-oauth: cannot read --dotenv /missing.env: no such file');
  });

  it('--env-file, the old spelling, still reads an existing file and says to use --dotenv', async () => {
    const d = caseDir();
    writeFileSync(join(d, 'settings.env'), `IMAP_OAUTH_CLIENT_SECRET=${world.secret}\n`);
    const run = await runCli([...world.args(), '--env-file', join(d, 'settings.env')], { cwd: d, timeoutMs: 20_000 });
    runs.push(run);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: --env-file is also read by Node itself.*use --dotenv PATH/);
  });
});

describe('secrets', () => {
  it('no output of any run above holds the secret or a token', () => {
    expect(runs.length).toBeGreaterThan(15);
    expect(findLeak(runs.flatMap((r) => [r.stdout, r.stderr]), [world.secret, ...world.identity.issuedTokens])).toBeNull();
  });
});
