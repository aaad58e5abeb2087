// Bad input of every kind: one clear line on stderr, its documented exit code, never a stack trace.
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedCert } from '../../src/sandbox/pki.js';
import { runCli } from '../support/cli.js';

const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const CLIENT = '3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21';
let dir: string;
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-bad-'));
  const { keyPem, certPem } = await createSelfSignedCert();
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const encrypted = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }).toString();
  file('malformed.pem', '-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n' + certPem);
  file('encrypted.pem', encrypted + certPem);
  file('ec.pem', ec + certPem);
  file('key-only.pem', keyPem);
  file('empty-secret.txt', '\n');
  file('not-a-jwt.txt', 'ya29.this-is-an-opaque-token\n');
  const unreadable = file('unreadable.txt', 'secret');
  chmodSync(unreadable, 0o000);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = ['test', '--user', 'someone@contoso.com', '--tenant', TENANT, '--client-id', CLIENT];

describe('bad input → one line, exit 2, no stack trace', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['malformed PEM', () => [...base, '--cert', join(dir, 'malformed.pem')], /private key in .*malformed\.pem cannot be read/],
    ['encrypted key without passphrase', () => [...base, '--cert', join(dir, 'encrypted.pem')], /is encrypted/],
    ['EC key', () => [...base, '--cert', join(dir, 'ec.pem')], /is EC: Entra ID client certificates must be RSA/],
    ['key without certificate', () => [...base, '--cert', join(dir, 'key-only.pem')], /holds no certificate/],
    ['empty secret file', () => [...base, '--client-secret-file', join(dir, 'empty-secret.txt')], /is empty/],
    ['non-JWT token', () => ['test', '--user', 'someone@contoso.com', '--access-token-file', join(dir, 'not-a-jwt.txt')], /is not a JWT/],
    ['missing file', () => [...base, '--cert', join(dir, 'nope.pem')], /no such file/],
    ['bad port', () => [...base, '--port', '99999'], /invalid IMAP port "99999"/],
    ['unicode in the address', () => ['test', '--user', 'jürgen@contoso.com', '--tenant', TENANT, '--client-id', CLIENT], /non-ASCII/],
    ['client ID not a GUID', () => ['test', '--user', 'a@contoso.com', '--tenant', TENANT, '--client-id', 'my-app'], /expected a GUID/],
    ['http authority', () => [...base, '--authority-host', 'http://login.example'], /https/],
    ['timeout out of range', () => [...base, '--timeout', '0'], /seconds/],
    ['unknown cloud', () => [...base, '--cloud', 'germany'], /invalid cloud "germany" \(from --cloud\): expected one of global, usgov, usgov-dod, china/],
    ['connect-to with three fields', () => [...base, '--connect-to', 'outlook.office365.com:993:127.0.0.1'], /invalid --connect-to rule .*expected HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT/],
  ];
  if (process.getuid?.() !== 0) cases.push(['unreadable file', () => [...base, '--client-secret-file', join(dir, 'unreadable.txt')], /permission denied/]);

  it.each(cases)('%s', async (_name, args, message) => {
    const run = await runCli(args(), { cwd: dir });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^imap-oauth: /);
    expect(lines[0]).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at |Error:/);
  });
});
