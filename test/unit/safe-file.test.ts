// safe-file: nothing but a regular file is replaced, no write follows a link, no read blocks past
// its deadline. Real files, links, FIFOs and devices (Linux: mkfifo and /dev/null, /dev/zero).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, fileErrorReason } from '../../src/errors.js';
import { checkWritable, inspectExisting, readBounded, resolveReportPath, writeAtomic, writeFileAtomic } from '../../src/safe-file.js';
import { decodeText } from '../../src/config/files.js';
import { envFileFlag, loadEnvFile } from '../../src/config/sources.js';
import { inspectTokenCache, resolveTokenCachePath } from '../../src/token/cache.js';

let dir: string;
let n = 0;
const fresh = (name = 'f') => join(dir, `${name}-${++n}`);
function mkfifo(path: string): string {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`); // a missing tool is a failure, not a skip
  return path;
}
/** Only the names a write may leave behind: no temporary file survives. */
const leftovers = () => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-safe-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => expect(leftovers()).toEqual([]));

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('inspectExisting', () => {
  it('tells a regular file, a link (even a dangling one), a FIFO, a directory and a device apart', () => {
    const file = fresh();
    writeFileSync(file, 'x');
    const link = fresh('link');
    symlinkSync(join(dir, 'nowhere'), link);
    expect(inspectExisting(file)).toBe('regular');
    expect(inspectExisting(link)).toBe('symlink');
    expect(inspectExisting(mkfifo(fresh('fifo')))).toBe('fifo');
    expect(inspectExisting(dir)).toBe('directory');
    expect(inspectExisting('/dev/null')).toBe('device');
    expect(inspectExisting(fresh('missing'))).toBe('missing');
  });
});

describe('writeAtomic / writeFileAtomic', () => {
  it('creates a file and replaces a regular one whole', () => {
    const path = fresh();
    writeAtomic(path, 'first', 0o644);
    expect(readFileSync(path, 'utf8')).toBe('first');
    writeAtomic(path, 'second', 0o644);
    expect(readFileSync(path, 'utf8')).toBe('second');
  });

  it('a secret is 0600 from the start (never wider), and exactly 0600 even under a narrowing umask', () => {
    const old = process.umask(0o277);
    try {
      const path = fresh();
      writeAtomic(path, 'secret', 0o600);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });

  it('a report is created under the umask', () => {
    const old = process.umask(0o027);
    try {
      const path = fresh();
      writeAtomic(path, 'report', 0o644);
      expect(statSync(path).mode & 0o777).toBe(0o640);
    } finally {
      process.umask(old);
    }
  });

  it('refuses a symbolic link: neither the link nor its target changes', () => {
    const target = fresh('target');
    writeFileSync(target, 'precious');
    const link = fresh('link');
    symlinkSync(target, link);
    const err = errorOf(() => writeAtomic(link, 'token', 0o600));
    expect(fileErrorReason(err)).toMatch(/^it is a symbolic link: refusing to write to it/);
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('refuses a FIFO without blocking on it, and leaves it a FIFO', () => {
    const fifo = mkfifo(fresh('fifo'));
    const err = errorOf(() => writeFileAtomic(fifo, 'x', { mode: 0o644, what: '--junit' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/cannot write --junit .*fifo.*: it is a FIFO \(named pipe\): refusing/);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('refuses a device: /dev/null stays a character device', () => {
    expect(() => writeAtomic('/dev/null', 'x', 0o600)).toThrow(/it is a device/);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('refuses a directory', () => {
    const sub = fresh('dir');
    mkdirSync(sub);
    expect(() => writeAtomic(sub, 'x', 0o644)).toThrow(/it is a directory/);
  });

  it('a beforeReplace that throws keeps the old file and removes the temporary one', () => {
    const path = fresh();
    writeFileSync(path, 'old');
    expect(() => writeAtomic(path, 'new', 0o600, () => { throw new Error('no'); })).toThrow('no');
    expect(readFileSync(path, 'utf8')).toBe('old');
  });

  it('a missing directory is one line naming it', () => {
    const err = errorOf(() => writeFileAtomic(join(dir, 'no-such-dir', 'r.xml'), 'x', { mode: 0o644, what: '--junit' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(`cannot write --junit ${join(dir, 'no-such-dir', 'r.xml')}: its directory ${join(dir, 'no-such-dir')} does not exist`);
  });
});

describe('checkWritable / resolveReportPath', () => {
  it('accepts a new path and an existing regular file, and leaves nothing behind', () => {
    const existing = fresh();
    writeFileSync(existing, 'keep');
    checkWritable(fresh(), '--junit');
    checkWritable(existing, '--junit');
    expect(readFileSync(existing, 'utf8')).toBe('keep');
  });

  it('refuses a link, a FIFO, a device and a directory in one line naming the path as typed', () => {
    const link = fresh('link');
    symlinkSync('/etc/passwd', link);
    expect(() => checkWritable(link, '--junit', 'report.xml')).toThrow(/^--junit report\.xml is a symbolic link: refusing to write to it/);
    expect(() => checkWritable(mkfifo(fresh('fifo')), '--junit')).toThrow(/is a FIFO \(named pipe\)/);
    expect(() => checkWritable('/dev/null', '--junit')).toThrow(/^--junit \/dev\/null is a device/);
    expect(() => checkWritable(dir, '--junit')).toThrow(/is a directory/);
  });

  it('a directory that is missing, a file, or not writable is found before anything runs', () => {
    expect(() => checkWritable(join(dir, 'missing', 'r.xml'), '--junit', 'missing/r.xml')).toThrow(/^cannot write --junit missing\/r\.xml: its directory .* does not exist$/);
    const file = fresh();
    writeFileSync(file, '');
    expect(() => checkWritable(join(file, 'r.xml'), '--junit')).toThrow(/a part of the path is not a directory/);
    if (process.getuid?.() !== 0) {
      // As root, permissions do not stop a write; the two cases above stand for it there.
      const ro = fresh('ro');
      mkdirSync(ro);
      chmodSync(ro, 0o500);
      expect(() => checkWritable(join(ro, 'r.xml'), '--junit')).toThrow(/permission denied/);
    }
  });

  it('an empty report path is a usage error, not an internal one', () => {
    const err = errorOf(() => resolveReportPath('--junit', '', dir));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe('--junit needs a path: the file to write the report to');
    expect(resolveReportPath('--junit', 'r.xml', dir)).toBe(join(dir, 'r.xml'));
  });
});

describe('readBounded', () => {
  const opts = { maxBytes: 1024, waitMs: 300 };

  it('reads a regular file, and through a link unless noFollow', () => {
    const file = fresh();
    writeFileSync(file, 'content');
    const link = fresh('link');
    symlinkSync(file, link);
    expect(readBounded(link, opts).toString()).toBe('content');
    expect(fileErrorReason(errorOf(() => readBounded(link, { ...opts, noFollow: true })))).toBe('it is a symbolic link');
  });

  it('a FIFO nobody writes to ends with an error at the deadline instead of hanging', () => {
    const err = errorOf(() => readBounded(mkfifo(fresh('fifo')), opts));
    expect((err as NodeJS.ErrnoException).code).toBe('ETIMEDOUT');
    expect(fileErrorReason(err)).toBe('nothing arrived within 0.3 s (a FIFO nobody finished writing to)');
  });

  it('a FIFO whose writer comes later is read whole (as `<(pass show x)` would be)', () => {
    const fifo = mkfifo(fresh('fifo'));
    // Another process: this one blocks in readBounded meanwhile.
    const child = spawn('sh', ['-c', `sleep 0.1; printf 'piped secret' > '${fifo}'`], { stdio: 'ignore' });
    child.unref();
    expect(readBounded(fifo, { maxBytes: 1024, waitMs: 5000 }).toString()).toBe('piped secret');
  });

  it('/dev/null reads empty; /dev/zero is cut off at the size cap', () => {
    expect(readBounded('/dev/null', opts).length).toBe(0);
    expect(fileErrorReason(errorOf(() => readBounded('/dev/zero', { maxBytes: 1024 * 1024, waitMs: 300 })))).toBe('larger than 1 MiB');
  });

  it('a directory is refused', () => {
    expect(fileErrorReason(errorOf(() => readBounded(dir, opts)))).toBe('it is a directory');
  });
});

describe('text inputs', () => {
  it('a UTF-8 byte order mark is not part of the text', () => {
    expect(decodeText(Buffer.from('\uFEFFUserPrincipalName\n'))).toBe('UserPrincipalName\n');
    expect(decodeText(Buffer.from('a\uFEFF'))).toBe('a\uFEFF');
  });

  it('a .env with a BOM keeps its first variable', () => {
    const env = fresh('env');
    writeFileSync(env, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('IMAP_OAUTH_TENANT_ID=contoso.onmicrosoft.com\nIMAP_OAUTH_HOST=h\n')]));
    expect(loadEnvFile(env, dir)?.vars).toEqual({ IMAP_OAUTH_TENANT_ID: 'contoso.onmicrosoft.com', IMAP_OAUTH_HOST: 'h' });
  });

  it('--dotenv is the spelling; --env-file still works with a warning; both, or an empty path, are usage errors', () => {
    expect(envFileFlag({ dotenv: 'a.env' })).toEqual({ path: 'a.env', flag: '--dotenv' });
    expect(envFileFlag({ envFile: 'a.env' })).toMatchObject({ path: 'a.env', flag: '--env-file', warning: expect.stringContaining('use --dotenv PATH') });
    expect(() => envFileFlag({ dotenv: 'a', envFile: 'b' })).toThrow(ConfigError);
    expect(() => loadEnvFile('', dir, '--dotenv')).toThrow('--dotenv needs a path: the .env file to read');
    expect(() => loadEnvFile('missing.env', dir, '--dotenv')).toThrow('cannot read --dotenv missing.env: no such file');
  });

  it('an .env that is a FIFO nobody writes to is an error, not a hang', async () => {
    const { setInputWaitMs } = await import('../../src/config/files.js');
    setInputWaitMs(200);
    try {
      expect(() => loadEnvFile(mkfifo(fresh('fifo')), dir)).toThrow(/^cannot read --dotenv .*: nothing arrived within 0.2 s/);
    } finally {
      setInputWaitMs(undefined);
    }
  });
});

describe('token cache paths', () => {
  const ours = JSON.stringify({ format: 'imap-oauth-token-cache/1', credential: 'c', msal: '{}' });

  it('missing, empty (mktemp) and our own caches are accepted; a later format version too', () => {
    expect(inspectTokenCache(fresh())).toEqual({ kind: 'missing' });
    const empty = fresh();
    writeFileSync(empty, '');
    expect(inspectTokenCache(empty)).toEqual({ kind: 'empty' });
    const cache = fresh();
    writeFileSync(cache, ours);
    expect(inspectTokenCache(cache).kind).toBe('ours');
    writeFileSync(cache, JSON.stringify({ format: 'imap-oauth-token-cache/2' }));
    expect(inspectTokenCache(cache).kind).toBe('ours');
  });

  it('a foreign file (a .env, notes, other JSON) is refused, never read as a cache', () => {
    for (const text of ['SECRET=1\n', 'notes', '{"format":"something-else"}', 'null', '[]', '"imap-oauth-token-cache/1"']) {
      const file = fresh();
      writeFileSync(file, text);
      expect(() => inspectTokenCache(file, 'notes.txt'), text).toThrow(/^--token-cache notes\.txt is not an imap-oauth token cache \(it holds something else\): refusing to touch it/);
    }
  });

  it('a link, a FIFO, a device or a directory is refused naming what it is', () => {
    const link = fresh('link');
    symlinkSync(fresh('target'), link);
    expect(() => inspectTokenCache(link, 'c.json')).toThrow(/^--token-cache c\.json is a symbolic link, not an imap-oauth token cache/);
    expect(() => inspectTokenCache(mkfifo(fresh('fifo')))).toThrow(/is a FIFO \(named pipe\), not an imap-oauth token cache/);
    expect(() => inspectTokenCache('/dev/null')).toThrow(/is a device, not an imap-oauth token cache/);
    expect(() => inspectTokenCache(dir)).toThrow(/is a directory, not an imap-oauth token cache/);
  });

  it('resolveTokenCachePath: an empty value is a usage error; a missing directory is found at config time', () => {
    const err = errorOf(() => resolveTokenCachePath('', dir));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe('--token-cache needs a path: the file to keep the token in');
    expect(() => resolveTokenCachePath('nodir/c.json', dir)).toThrow(/^cannot write --token-cache nodir\/c\.json: its directory .* does not exist$/);
    expect(resolveTokenCachePath('c.json', dir)).toBe(join(dir, 'c.json'));
  });
});
