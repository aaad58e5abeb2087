// The bundled CLI (scripts/bundle.mjs) drives every path a check takes against real servers — IMAP
// login over implicit TLS and STARTTLS, the FETCH-less open, a non-ASCII folder (modified UTF-7),
// an HTTP proxy, a SOCKS5 proxy, the client-secret, certificate and ready-token credentials,
// several mailboxes — and fails if a module left out of the bundle is reached (its stub says so on
// stderr), or if the run did not come from the bundle at all.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, findLeak, runNode } from '../support/cli.js';
import { startE2eWorld, type E2eWorld } from '../support/e2e-world.js';
import { startMicrosocks, type Microsocks } from '../support/microsocks.js';
import { startTinyproxy, type Tinyproxy } from '../support/tinyproxy.js';

const TRACE = fileURLToPath(new URL('../support/import-trace.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const PROXY_USER = 'dave';
const PROXY_PASSWORD = `pw-${Math.random().toString(36).slice(2)}-socks`;

let world: E2eWorld;
let proxy: Tinyproxy;
let socks: Microsocks;

beforeAll(async () => {
  world = await startE2eWorld();
  const identity = new URL(world.identity.url);
  proxy = await startTinyproxy({ connectPorts: [Number(identity.port), world.dovecot.port] });
  socks = await startMicrosocks({ user: PROXY_USER, password: PROXY_PASSWORD });
});

afterAll(async () => {
  await Promise.all([proxy?.stop(), socks?.stop(), world?.close()]);
});

interface Traced {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stderr without the trace's own lines: what a user sees. */
  userStderr: string;
  loaded: string[];
}

/** The built CLI under the import trace, asynchronously (the identity stand-in runs in this process). */
async function traced(args: string[], env: Record<string, string> = {}): Promise<Traced> {
  const run = await runNode(['--import', TRACE, BIN, ...args], { env });
  const lines = run.stderr.split('\n');
  const loaded = lines.filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length));
  const userStderr = lines.filter((l) => !/^(LOADED|HEAVY-IMPORT) /.test(l)).join('\n');
  return { code: run.code, stdout: run.stdout, stderr: run.stderr, userStderr, loaded };
}

function expectFromBundle(r: Traced) {
  expect(r.stderr, 'a left-out module was reached').not.toContain('left-out module');
  expect(r.loaded.some((u) => u.endsWith('/dist/cli-bundle.cjs')), r.loaded.join('\n')).toBe(true);
  // Only the bundle: none of tsc's per-file output (dist/*.js), nothing else of dist/.
  const stray = r.loaded.filter((u) => u.startsWith('file:') && !/\/dist\/(cli-bundle\.cjs$|chunks\/[\w-]+\.cjs$)/.test(u) && !u.endsWith('/bin/imap-oauth.js'));
  expect(stray).toEqual([]);
}

const secretRun = (...extra: string[]) => traced(world.args('--json', ...extra), { IMAP_OAUTH_CLIENT_SECRET: world.secret });
const ok = (r: Traced) => {
  expect(r.code, r.stdout + r.userStderr).toBe(0);
  expect(JSON.parse(r.stdout).ok).toBe(true);
};

describe('the bundle runs every path of a check without reaching a left-out module', () => {
  it('client secret (MSAL) + IMAP over TLS: login, EXAMINE, LOGOUT', async () => {
    const r = await secretRun();
    ok(r);
    expectFromBundle(r);
    expect(findLeak([r.stdout, r.stderr], [world.secret])).toBeNull();
  });

  it('STARTTLS on the plain port', async () => {
    const args = world.args('--json', '--starttls');
    args[args.indexOf('--port') + 1] = String(world.dovecot.starttlsPort);
    const r = await traced(args, { IMAP_OAUTH_CLIENT_SECRET: world.secret });
    ok(r);
    expectFromBundle(r);
  });

  it('a ready token (no MSAL chunk loaded)', async () => {
    const token = world.tokenFile();
    const args = world.args('--json', '--access-token-file', token.path);
    const r = await traced(args);
    ok(r);
    expectFromBundle(r);
    expect(r.stderr).toMatch(/HEAVY-IMPORT .*imapflow/);
    expect(r.stderr).not.toMatch(/HEAVY-IMPORT .*msal-node/);
  });

  it('a certificate credential', async () => {
    const r = await traced(world.args('--json', '--cert', world.certFile));
    ok(r);
    expectFromBundle(r);
  });

  it('a non-ASCII folder goes out in modified UTF-7 (the one charset kept from iconv-lite)', async () => {
    const r = await secretRun('--folder', 'Entwürfe & Co', '--verbose');
    expectFromBundle(r);
    // Dovecot has no such folder: the check fails on the folder, and the wire shows the encoding.
    expect(r.code, r.userStderr).not.toBe(0);
    expect(r.stdout).toContain('Entw&APw-rfe &- Co');
  });

  it('through an HTTP proxy (tinyproxy): token request and IMAP tunnelled', async () => {
    const before = proxy.connects().length;
    const r = await secretRun('--proxy', proxy.url);
    ok(r);
    expectFromBundle(r);
    expect(proxy.connects().length - before).toBeGreaterThanOrEqual(2);
  });

  it('through a SOCKS5 proxy (microsocks): the socks chunk is loaded on demand', async () => {
    const r = await traced(world.args('--json'), { IMAP_OAUTH_CLIENT_SECRET: world.secret, IMAP_OAUTH_PROXY: `socks5://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${socks.port}` });
    ok(r);
    expectFromBundle(r);
    const manifest = JSON.parse(readFileSync(join(DIST, 'bundle-manifest.json'), 'utf8')) as Record<string, { packages: string[] }>;
    const socksChunks = Object.entries(manifest).filter(([, v]) => v.packages.includes('socks')).map(([k]) => k);
    expect(socksChunks.length).toBeGreaterThan(0);
    expect(r.loaded.some((u) => socksChunks.some((c) => u.endsWith(`/dist/${c}`)))).toBe(true);
    expect(findLeak([r.stdout, r.stderr], [PROXY_PASSWORD, world.secret])).toBeNull();
  });

  it('several mailboxes from a users file, JSON lines', async () => {
    const users = join(world.dir, 'bundle-users.txt');
    writeFileSync(users, 'a@contoso.com\nb@contoso.com\nc@contoso.com\n');
    const args = world.args('--jsonl', '--users-file', users, '--concurrency', '3');
    args.splice(args.indexOf('--user'), 2);
    const r = await traced(args, { IMAP_OAUTH_CLIENT_SECRET: world.secret });
    expect(r.code, r.stdout + r.userStderr).toBe(0);
    expectFromBundle(r);
    expect(r.userStderr.trim()).toBe('');
  });
});

describe('the package', () => {
  it('npm pack ships the bundle: the entry and every chunk of this build, and the manifest', () => {
    const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' } });
    expect(packed.status, packed.stderr).toBe(0);
    const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { files: { path: string }[] }[];
    const files = new Set(info[0]!.files.map((f) => f.path));
    const manifest = JSON.parse(readFileSync(join(DIST, 'bundle-manifest.json'), 'utf8')) as Record<string, unknown>;
    for (const chunk of Object.keys(manifest)) expect(files.has(`dist/${chunk}`), chunk).toBe(true);
    expect(files.has('dist/bundle-manifest.json')).toBe(true);
  });
});

describe('the left-out modules', () => {
  it('a stub that is reached says so on stderr and throws', async () => {
    const stub = fileURLToPath(new URL('../../scripts/bundle-stubs/left-out.mjs', import.meta.url));
    const code = `import { leftOut } from ${JSON.stringify(stub)}; const m = leftOut('libmime'); const f = m.decodeWords; try { f('x'); } catch (e) { console.log('threw: ' + e.message); }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise((r) => child.on('close', r));
    expect(err).toContain('left-out module libmime reached (libmime.decodeWords())');
    expect(out).toContain('threw: left-out module libmime reached');
  });

  it('the bundle holds no code of the left-out packages and no MSAL in the entry', () => {
    const manifest = JSON.parse(readFileSync(join(DIST, 'bundle-manifest.json'), 'utf8')) as Record<string, { packages: string[] }>;
    const all = new Set(Object.values(manifest).flatMap((v) => v.packages));
    for (const p of ['pino', 'libmime', 'libqp', 'libbase64', 'iconv-lite', 'encoding-japanese', '@zone-eu/mailsplit']) expect(all.has(p), p).toBe(false);
    expect(manifest['cli-bundle.cjs']?.packages).not.toContain('@azure/msal-node');
    expect(manifest['cli-bundle.cjs']?.packages).not.toContain('imapflow');
  });
});
