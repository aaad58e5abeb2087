// --auth-mode generic in the configuration: a ready token (JWT or opaque) for a server that must be
// named; Microsoft's sign-in settings are refused rather than silently ignored.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import type { Config } from '../../src/config/types.js';
import { ConfigError } from '../../src/errors.js';

const USER = 'me@gmail.com';
const OPAQUE = 'ya29.a0AfB_byC-opaque_token-value';
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-oauth-auth-mode-'));
  fs.writeFileSync(path.join(dir, 'token.txt'), `${OPAQUE}\n`);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const resolve = (flags: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Config =>
  resolveConfig({ flags: { user: [USER], ...flags }, env, cwd: dir, stdoutIsTTY: false });

function fails(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string {
  try {
    resolve(flags, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toMatch(/\n/);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('--auth-mode', () => {
  it('defaults to entra', () => {
    expect(resolve({}, { IMAP_OAUTH_TENANT_ID: 'contoso.com', IMAP_OAUTH_CLIENT_ID: '3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21', IMAP_OAUTH_CLIENT_SECRET: 's' }).authMode).toBe('entra');
  });

  it('generic takes an opaque token and the host given, with no tenant or client', () => {
    const c = resolve({ authMode: 'generic', accessTokenFile: 'token.txt', host: 'imap.gmail.com' });
    expect(c).toMatchObject({ authMode: 'generic', host: 'imap.gmail.com', port: 993, tenant: undefined, clientId: undefined });
    expect(c.credential).toMatchObject({ kind: 'access-token-file', token: OPAQUE });
  });

  it('comes from IMAP_OAUTH_AUTH_MODE too, case-insensitively', () => {
    expect(resolve({ accessTokenFile: 'token.txt', host: 'imap.gmail.com' }, { IMAP_OAUTH_AUTH_MODE: 'Generic' }).authMode).toBe('generic');
  });

  it('generic needs --host: there is no default server', () => {
    expect(fails({ authMode: 'generic', accessTokenFile: 'token.txt' })).toBe(
      'missing IMAP host (--auth-mode generic has no default server; Gmail: imap.gmail.com): pass --host HOST or set IMAP_OAUTH_HOST (environment or .env)',
    );
  });

  it('generic needs a ready token, not a Microsoft credential', () => {
    expect(fails({ authMode: 'generic', host: 'imap.gmail.com' }, { IMAP_OAUTH_CLIENT_SECRET: 's3cret' })).toMatch(/^--auth-mode generic tests a ready token: pass --access-token-file PATH\|- .*, not IMAP_OAUTH_CLIENT_SECRET/);
    expect(fails({ authMode: 'generic', host: 'imap.gmail.com' })).toMatch(/^--auth-mode generic tests a ready token/);
  });

  it('generic refuses --flow and --cloud instead of ignoring them', () => {
    expect(fails({ authMode: 'generic', host: 'imap.gmail.com', flow: 'device-code' })).toMatch(/--flow device-code signs in to Microsoft Entra ID: it cannot be combined with --auth-mode generic/);
    expect(fails({ authMode: 'generic', host: 'imap.gmail.com', accessTokenFile: 'token.txt', cloud: 'usgov' })).toMatch(/--cloud names a Microsoft 365 cloud: it cannot be combined with --auth-mode generic/);
  });

  it('entra still wants a JWT, and says how to test an opaque one', () => {
    expect(fails({ accessTokenFile: 'token.txt' })).toMatch(/is not a JWT .*: Microsoft 365 access tokens are JWTs; for a server with opaque tokens \(Gmail\) add --auth-mode generic$/);
  });

  it('warns about Microsoft sign-in flags it does not use, not about the environment', () => {
    const c = resolve({ authMode: 'generic', accessTokenFile: 'token.txt', host: 'imap.gmail.com', tenant: 'contoso.com', scope: 'https://mail.google.com/' }, { IMAP_OAUTH_CLIENT_ID: '3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21' });
    expect(c.warnings).toEqual(['--tenant, --scope are not used with --auth-mode generic: the token is ready and no Microsoft sign-in takes place']);
  });

  it('rejects an unknown mode', () => {
    expect(fails({ authMode: 'gmail', accessTokenFile: 'token.txt' })).toBe('invalid auth mode "gmail" (from --auth-mode): expected entra or generic');
  });
});
