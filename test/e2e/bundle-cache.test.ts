// The launcher's code cache (bin/imap-oauth.js): in a 0700 directory of our own under
// XDG_CACHE_HOME, reused by the next run, never holding the token, refused when the directory is
// open to others, off with NODE_DISABLE_COMPILE_CACHE.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, findLeak } from '../support/cli.js';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const TOKEN = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ aud: 'https://outlook.office365.com', exp: 4102444800, oid: 'cache-test-oid-4b1d' })}.c2lnbmF0dXJlLWNhY2hlLXRlc3Q`;
let work: string;
let tokenFile: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'imap-oauth-cache-test-'));
  tokenFile = join(work, 'token.txt');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A ready-token check against a closed port: the whole IMAP path is loaded, nothing listens (exit 4). */
function check(env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, 'test', '--user', 'a@contoso.com', '--access-token-file', tokenFile, '--host', '127.0.0.1', '--port', '1', '--timeout', '2', '--json'], {
    encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, ...env },
  });
  expect(r.status, r.stderr).toBe(4);
  expect(JSON.parse(r.stdout).results[0].failedStage).toBe('connect');
  return r;
}

const files = (dir: string) => readdirSync(dir).sort();

describe('the code cache', () => {
  it('is written to XDG_CACHE_HOME/imap-oauth/compile-cache (0700), reused, and holds no token', () => {
    const xdg = join(work, 'xdg');
    mkdirSync(xdg);
    const first = check({ XDG_CACHE_HOME: xdg });
    const dir = join(xdg, 'imap-oauth', 'compile-cache');
    expect(statSync(join(xdg, 'imap-oauth')).mode & 0o777).toBe(0o700);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const written = files(dir);
    expect(written.length).toBeGreaterThan(0);
    const mtimes = written.map((f) => statSync(join(dir, f)).mtimeMs);
    // The second run finds every chunk it loads in the cache and V8 takes it: nothing is rewritten.
    const second = check({ XDG_CACHE_HOME: xdg });
    expect(JSON.parse(second.stdout).exitCode).toBe(JSON.parse(first.stdout).exitCode);
    expect(files(dir)).toEqual(written);
    expect(written.map((f) => statSync(join(dir, f)).mtimeMs)).toEqual(mtimes);
    const contents = written.map((f) => readFileSync(join(dir, f)).toString('latin1'));
    expect(findLeak(contents, [TOKEN])).toBeNull();
    expect(contents.join('')).not.toContain('cache-test-oid-4b1d');
    for (const f of written) expect(statSync(join(dir, f)).mode & 0o077).toBe(0);
  });

  it('is not used when its directory is open to others', () => {
    const xdg = join(work, 'xdg-open');
    mkdirSync(join(xdg, 'imap-oauth', 'compile-cache'), { recursive: true });
    chmodSync(join(xdg, 'imap-oauth'), 0o777);
    check({ XDG_CACHE_HOME: xdg });
    expect(files(join(xdg, 'imap-oauth', 'compile-cache'))).toEqual([]);
  });

  it('NODE_DISABLE_COMPILE_CACHE=1 turns it off', () => {
    const xdg = join(work, 'xdg-off');
    mkdirSync(xdg);
    check({ XDG_CACHE_HOME: xdg, NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(files(xdg)).toEqual([]);
  });
});
