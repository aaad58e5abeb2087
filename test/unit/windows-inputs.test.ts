// Files as Windows writes them: PowerShell 5.1's `>` (UTF-16LE with a BOM), Notepad's UTF-8 BOM,
// CRLF line ends. Each must read the same as the plain UTF-8/LF file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeText } from '../../src/config/decode-text.js';
import { readInputFile, readSecret } from '../../src/config/files.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { parseUsersFile } from '../../src/config/users-file.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const TEXT = '# mailboxes\r\nalice@contoso.com\r\nbob@contoso.com\r\n';

const encodings: [string, (text: string) => Buffer][] = [
  ['UTF-8', (t) => Buffer.from(t, 'utf8')],
  ['UTF-8 with BOM (Notepad, Set-Content -Encoding UTF8)', (t) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t, 'utf8')])],
  ['UTF-16LE with BOM (Windows PowerShell 5.1 `>`)', (t) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')])],
  ['UTF-16BE with BOM', (t) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(t, 'utf16le').swap16()])],
  ['UTF-16LE without BOM', (t) => Buffer.from(t, 'utf16le')],
];

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-oauth-windows-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('decodeText', () => {
  it.each(encodings)('%s', (_name, encode) => {
    expect(decodeText(encode(TEXT))).toBe(TEXT);
  });

  it('keeps non-ASCII text in every encoding', () => {
    const text = 'rené@contoso.com\r\nzoë@contoso.com';
    for (const [, encode] of encodings.slice(0, 4)) expect(decodeText(encode(text))).toBe(text);
  });

  it('an empty file and a one-byte file are fine', () => {
    expect(decodeText(Buffer.alloc(0))).toBe('');
    expect(decodeText(Buffer.from('a'))).toBe('a');
  });
});

describe('a users file written on Windows', () => {
  it.each(encodings)('%s, CRLF: the same mailboxes', (_name, encode) => {
    const file = path.join(dir, 'users.txt');
    fs.writeFileSync(file, encode(TEXT));
    const users = parseUsersFile(readInputFile(file, '--users-file', dir)).users.map((u) => u.value);
    expect(users).toEqual(['alice@contoso.com', 'bob@contoso.com']);
  });

  it('an Exchange CSV export (Export-Csv in PowerShell 5.1 writes UTF-16LE with -Encoding Unicode)', () => {
    const csv = '"DisplayName","PrimarySmtpAddress"\r\n"Alice","alice@contoso.com"\r\n"Bob","bob@contoso.com"\r\n';
    const file = path.join(dir, 'users.csv');
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]));
    const config = resolveConfig({
      flags: { usersFile: file, tenant: TENANT, clientId: CLIENT_ID },
      env: { IMAP_OAUTH_CLIENT_SECRET: 'abc8Q~secret-value_0123456789' },
      cwd: dir,
      stdoutIsTTY: false,
      noEnvFile: true,
    });
    expect(config.users).toEqual(['alice@contoso.com', 'bob@contoso.com']);
  });

  it('a secret written by `$secret > secret.txt` in PowerShell 5.1 is the value, without BOM or CRLF', () => {
    const file = path.join(dir, 'secret.txt');
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('abc8Q~value\r\n', 'utf16le')]));
    expect(readSecret(file, '--client-secret-file', dir, 'client secret value')).toBe('abc8Q~value');
  });
});

describe('noEnvFile', () => {
  it('reads no ./.env at all (demo), where a broken one would otherwise fail the run', () => {
    fs.writeFileSync(path.join(dir, '.env'), 'IMAP_OAUTH_PORT=not-a-port\r\n');
    const run = (noEnvFile: boolean) =>
      resolveConfig({ flags: { user: ['alice@contoso.com'], tenant: TENANT, clientId: CLIENT_ID }, env: { IMAP_OAUTH_CLIENT_SECRET: 'abc8Q~secret-value_0123456789' }, cwd: dir, stdoutIsTTY: false, noEnvFile });
    expect(() => run(false)).toThrow(/IMAP_OAUTH_PORT in \.\/\.env/);
    expect(run(true).port).toBe(993);
  });
});
