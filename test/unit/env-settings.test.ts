// IMAP_OAUTH_CA_FILE, IMAP_OAUTH_TIMEOUT, IMAP_OAUTH_CONCURRENCY and IMAP_OAUTH_TOKEN_CACHE: read like
// every other setting — the flag wins over the environment, which wins over the .env file — and a
// bad value names the variable it came from. And each enumerated value's near miss gets "did you mean …?".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { ENV } from '../../src/config/sources.js';
import { createTestPki } from '../../src/sandbox/pki.js';

const BASE = { user: ['alice@contoso.com'], tenant: '11111111-2222-3333-4444-555555555555', clientId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' };
const SECRET = { IMAP_OAUTH_CLIENT_SECRET: 'abc8Q~secret-value_0123456789' };
let caPem: string;
let otherPem: string;
let dir: string;

beforeAll(async () => {
  [caPem, otherPem] = await Promise.all([createTestPki('env CA one'), createTestPki('env CA two')]).then((p) => p.map((x) => x.ca.certPem));
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-oauth-env-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};
const resolve = (flags: Record<string, unknown>, env: Record<string, string>, dotenv: Record<string, string> = {}) => {
  if (Object.keys(dotenv).length) file('.env', Object.entries(dotenv).map(([k, v]) => `${k}=${v}`).join('\n'));
  return resolveConfig({ flags: { ...BASE, ...flags }, env: { ...SECRET, ...env }, cwd: dir, stdoutIsTTY: false });
};

describe('the four settings that gained a variable', () => {
  it('are named as the help and README name them', () => {
    expect([ENV.caFile, ENV.timeout, ENV.concurrency, ENV.tokenCache]).toEqual(['IMAP_OAUTH_CA_FILE', 'IMAP_OAUTH_TIMEOUT', 'IMAP_OAUTH_CONCURRENCY', 'IMAP_OAUTH_TOKEN_CACHE']);
  });

  it('.env alone sets them', () => {
    const c = resolve({}, {}, { IMAP_OAUTH_CA_FILE: file('a.pem', caPem), IMAP_OAUTH_TIMEOUT: '7', IMAP_OAUTH_CONCURRENCY: '3', IMAP_OAUTH_TOKEN_CACHE: 'cache.json' });
    expect(c.caPem).toBe(caPem);
    expect(c.timeoutMs).toBe(7000);
    expect(c.concurrency).toBe(3);
    expect(c.tokenCachePath).toBe(path.join(dir, 'cache.json'));
  });

  it('the environment wins over .env', () => {
    const c = resolve(
      {},
      { IMAP_OAUTH_CA_FILE: file('b.pem', otherPem), IMAP_OAUTH_TIMEOUT: '9', IMAP_OAUTH_CONCURRENCY: '5', IMAP_OAUTH_TOKEN_CACHE: 'env-cache.json' },
      { IMAP_OAUTH_CA_FILE: file('a.pem', caPem), IMAP_OAUTH_TIMEOUT: '7', IMAP_OAUTH_CONCURRENCY: '3', IMAP_OAUTH_TOKEN_CACHE: 'cache.json' },
    );
    expect(c.caPem).toBe(otherPem);
    expect(c.timeoutMs).toBe(9000);
    expect(c.concurrency).toBe(5);
    expect(c.tokenCachePath).toBe(path.join(dir, 'env-cache.json'));
  });

  it('the flag wins over both', () => {
    const c = resolve(
      { caFile: file('c.pem', caPem), timeout: '2', concurrency: '1', tokenCache: 'flag-cache.json' },
      { IMAP_OAUTH_CA_FILE: file('b.pem', otherPem), IMAP_OAUTH_TIMEOUT: '9', IMAP_OAUTH_CONCURRENCY: '5', IMAP_OAUTH_TOKEN_CACHE: 'env-cache.json' },
      { IMAP_OAUTH_TIMEOUT: '7' },
    );
    expect(c.caPem).toBe(caPem);
    expect(c.timeoutMs).toBe(2000);
    expect(c.concurrency).toBe(1);
    expect(c.tokenCachePath).toBe(path.join(dir, 'flag-cache.json'));
  });

  it('an empty variable is unset, as for the other settings', () => {
    const c = resolve({}, { IMAP_OAUTH_CA_FILE: '', IMAP_OAUTH_TIMEOUT: '', IMAP_OAUTH_CONCURRENCY: '', IMAP_OAUTH_TOKEN_CACHE: '' });
    expect([c.caPem, c.timeoutMs, c.concurrency, c.tokenCachePath]).toEqual([undefined, 15000, 8, undefined]);
  });

  it('a bad value names the variable (and the .env file) it came from', () => {
    expect(() => resolve({}, { IMAP_OAUTH_TIMEOUT: 'soon' })).toThrow(/invalid timeout "soon" \(from IMAP_OAUTH_TIMEOUT\)/);
    expect(() => resolve({}, { IMAP_OAUTH_CA_FILE: path.join(dir, 'missing.pem') })).toThrow(/^cannot read IMAP_OAUTH_CA_FILE .*missing\.pem/);
    expect(() => resolve({}, { IMAP_OAUTH_CA_FILE: file('notes.txt', 'hello') })).toThrow(/IMAP_OAUTH_CA_FILE .*notes\.txt holds no PEM certificate/);
    fs.writeFileSync(path.join(dir, 'notes.md'), 'my notes, not a cache');
    expect(() => resolve({}, { IMAP_OAUTH_TOKEN_CACHE: 'notes.md' })).toThrow(/\(from IMAP_OAUTH_TOKEN_CACHE\)$/);
    expect(() => resolve({}, {}, { IMAP_OAUTH_CONCURRENCY: '500' })).toThrow(/invalid concurrency "500" \(from IMAP_OAUTH_CONCURRENCY in \.\/\.env\)/);
  });

  it('--flow refresh-token accepts the cache from the variable', () => {
    const c = resolve({ flow: 'refresh-token' }, { IMAP_OAUTH_TOKEN_CACHE: 'cache.json' });
    expect(c.credential.kind).toBe('refresh-token');
    expect(c.tokenCachePath).toBe(path.join(dir, 'cache.json'));
  });
});

describe('a near miss of an enumerated value gets a suggestion', () => {
  it.each([
    [{ flow: 'interactiv' }, 'did you mean interactive?'],
    [{ authMode: 'generc' }, 'did you mean generic?'],
    [{ cloud: 'usgv' }, 'did you mean usgov?'],
    [{ protocol: ['smpt'] }, 'did you mean smtp?'],
    [{ mech: 'xoauth' }, 'did you mean xoauth2?'],
  ])('%o', (flags, hint) => {
    expect(() => resolve(flags, {})).toThrow(hint);
  });
});
