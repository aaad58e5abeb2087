// Personal Microsoft accounts (outlook.com, hotmail.com): tenant consumers/common/organizations for a
// user's sign-in, and their opaque delegated tokens accepted in entra mode.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import * as validate from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';

const CLIENT = '3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-oauth-msa-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const resolve = (flags: Record<string, unknown>) => resolveConfig({ flags, env: {}, cwd: dir, stdoutIsTTY: false });
// The shape of an MSA compact ticket: base64 starting "Ew" (no real token).
const MSA_TOKEN = `EwBwA8l6BAAU${'A'.repeat(60)}+/${'b'.repeat(120)}=`;

describe('tenant aliases', () => {
  it.each(['consumers', 'common', 'organizations', 'Consumers'])('--flow device-code accepts --tenant %s', (alias) => {
    expect(resolve({ flow: 'device-code', tenant: alias, clientId: CLIENT }).tenant).toBe(alias.toLowerCase());
  });

  it.each(['interactive', 'refresh-token'])('--flow %s accepts --tenant consumers', (flow) => {
    expect(resolve({ flow, tenant: 'consumers', clientId: CLIENT, tokenCache: path.join(dir, 'cache.json') }).tenant).toBe('consumers');
  });

  it('client credentials still refuse them, naming app-only', () => {
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'abc8Q~aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n');
    expect(() => resolve({ user: ['a@contoso.com'], tenant: 'consumers', clientId: CLIENT, clientSecretFile: path.join(dir, 'secret.txt') })).toThrow(/app-only/);
  });

  it('delegatedTenant still validates everything else', () => {
    expect(validate.delegatedTenant('contoso.onmicrosoft.com')).toBe('contoso.onmicrosoft.com');
    expect(() => validate.delegatedTenant('not a tenant')).toThrow(/tenant GUID or a verified domain/);
  });
});

describe('opaque personal-account tokens in entra mode', () => {
  it('an "Ew…" ticket is accepted as a ready token', () => {
    const file = path.join(dir, 'msa.txt');
    fs.writeFileSync(file, `${MSA_TOKEN}\n`);
    const config = resolve({ user: ['someone@outlook.com'], accessTokenFile: file });
    expect(config.credential).toMatchObject({ kind: 'access-token-file', token: MSA_TOKEN });
    expect(config.authMode).toBe('entra');
  });

  it('another opaque token (Gmail\'s) is still refused in entra mode, with the hint', () => {
    const file = path.join(dir, 'gmail.txt');
    fs.writeFileSync(file, 'ya29.a0AfB_byC-opaque-token-value\n');
    expect(() => resolve({ user: ['me@gmail.com'], accessTokenFile: file })).toThrow(ConfigError);
    expect(() => resolve({ user: ['me@gmail.com'], accessTokenFile: file })).toThrow(/--auth-mode generic/);
  });

  it('isPersonalAccountToken: shape only', () => {
    expect(validate.isPersonalAccountToken(MSA_TOKEN)).toBe(true);
    expect(validate.isPersonalAccountToken(`Bearer ${MSA_TOKEN}`)).toBe(true);
    expect(validate.isPersonalAccountToken('EwB short')).toBe(false);
    expect(validate.isPersonalAccountToken('eyJhbGciOi.eyJhdWQiOi.sig')).toBe(false);
  });
});
