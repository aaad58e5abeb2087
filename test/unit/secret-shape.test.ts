// Issue 9: every secret is registered before anything can print it, and values that look like one
// are described, never echoed.
import { describe, expect, it } from 'vitest';
import { withoutValues } from '../../src/cli.js';
import { privateKeyLines, resolveConfig } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/errors.js';
import { looksLikeSecret } from '../../src/secret-shape.js';
import { secretsInMsalCache } from '../../src/token/cache.js';
import { secretsInForm, secretsInReply } from '../../src/token/network-client.js';

const SECRET = 'Q3x8Q~hT2.vL_9mRk-4pZsW1~yN6cB0dF7gJ5eA2';

describe('looksLikeSecret', () => {
  it.each([
    SECRET,
    'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9',
    'abcDEF0123456789ghiJKL45', // 24 characters mixing cases and digits
    'abcdefghijklmn~o', // 16 characters with an Entra "~"
    'abcdefghijklmnop~q', // "~" alone is enough, under 24 and one case only
    'eyJhbGciOiJub25lIn0', // a JWT header: "eyJ" alone is enough
    `  ${SECRET}\n`, // pasted with spaces and a newline around it
  ])('is true for %j', (value) => expect(looksLikeSecret(value)).toBe(true));

  it.each([
    'short~value',
    'outlook.office365.com',
    'someone@contoso.com',
    '00000000-0000-0000-0000-000000000000',
    'https://login.microsoftonline.com',
    'two words with~tilde in them',
    'abcDEF0123456789ghiJKL4', // 23 characters
    'abcDEF0123456789ghiJKL45@x',
    'abcdefghijklmnopqrstuvwxyz0123', // no upper case
    'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123', // no lower case
    'abcdefghijklmnopqrstuvwxyzABCD', // no digit
    'abcdefghijklmnopeyJ', // "eyJ" at the end is nothing
    'abcdefghijklm~o', // 15 characters
  ])('is false for %s', (value) => expect(looksLikeSecret(value)).toBe(false));
});

describe("commander's messages keep no value", () => {
  it('drops the value of an unknown --option=VALUE', () => {
    expect(withoutValues(`unknown option '--client-secrets=${SECRET}'`)).toBe("unknown option '--client-secrets'");
    expect(withoutValues(`unknown option '-x=${SECRET}'`)).toBe("unknown option '-x'");
  });

  it('describes a secret-shaped unknown command, keeps an ordinary one', () => {
    expect(withoutValues(`unknown command '${SECRET}'`)).toBe('unknown command (40 characters, not shown)');
    expect(withoutValues("unknown command 'tset'")).toBe("unknown command 'tset'");
    expect(withoutValues("unknown command 'outlook.office365.com'")).toBe("unknown command 'outlook.office365.com'");
  });
});

describe('secrets a token request sends or a reply holds', () => {
  it('reads every credential field of a form body', () => {
    const body = new URLSearchParams({
      client_id: 'app', scope: 'https://outlook.office365.com/.default', client_secret: SECRET, client_assertion: 'eyJassertion', refresh_token: 'rt-value',
      code: 'auth-code', code_verifier: 'verifier', device_code: 'dc', grant_type: 'client_credentials',
    }).toString();
    expect(secretsInForm(body).sort()).toEqual([SECRET, 'auth-code', 'dc', 'eyJassertion', 'rt-value', 'verifier'].sort());
    expect(secretsInForm('client_id=app&scope=x')).toEqual([]);
  });

  it('reads every token of a reply', () => {
    expect(secretsInReply({ access_token: 'at', refresh_token: 'rt', id_token: 'it', device_code: 'dc', user_code: 'ABCD-EFGH', expires_in: 3599 }).sort()).toEqual(['at', 'dc', 'it', 'rt']);
    expect(secretsInReply({ access_token: 42 })).toEqual([]);
    expect(secretsInReply(['access_token'])).toEqual([]);
    expect(secretsInReply(null)).toEqual([]);
  });

  it('reads every token of a serialised MSAL cache', () => {
    const cache = JSON.stringify({
      Account: { a: { username: 'someone@contoso.com' } },
      AccessToken: { k1: { secret: 'access-1' } },
      RefreshToken: { k2: { secret: 'refresh-1' }, k3: { secret: '' } },
      IdToken: { k4: { secret: 'id-1' } },
      AppMetadata: { k5: { secret: 'not-a-token-section' } },
    });
    expect(secretsInMsalCache(cache).sort()).toEqual(['access-1', 'id-1', 'refresh-1']);
    expect(secretsInMsalCache('not json')).toEqual([]);
    expect(secretsInMsalCache('null')).toEqual([]);
  });
});

describe('privateKeyLines', () => {
  it('returns the key body and its lines, not the certificate', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nAAAAline1\nBBBBline2\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nCCCCcert\n-----END CERTIFICATE-----\n';
    expect(privateKeyLines(pem)).toEqual(['AAAAline1BBBBline2', 'AAAAline1', 'BBBBline2']);
    expect(privateKeyLines('-----BEGIN ENCRYPTED PRIVATE KEY-----\r\nProc-Type: 4\r\nDDDD\r\n-----END ENCRYPTED PRIVATE KEY-----')).toEqual(['DDDD', 'DDDD']);
  });
});

describe('resolveConfig registers secrets before it validates', () => {
  const base = { cwd: '/nonexistent-cwd-for-tests', stdoutIsTTY: false };

  it('hears the secret in the environment even when another setting is invalid', () => {
    const heard: string[] = [];
    expect(() =>
      resolveConfig({ ...base, flags: { user: ['a@contoso.com'], envFile: undefined }, env: { IMAP_OAUTH_CLIENT_SECRET: SECRET, IMAP_OAUTH_CLIENT_ID: 'not-a-guid', IMAP_OAUTH_TENANT_ID: 'contoso.com' }, onSecret: (v) => heard.push(v) }),
    ).toThrow(ConfigError);
    expect(heard).toContain(SECRET);
  });

  it('never echoes a secret-shaped value in an invalid setting', () => {
    try {
      resolveConfig({ ...base, flags: { user: ['a@contoso.com'] }, env: { IMAP_OAUTH_CLIENT_SECRET: 'x'.repeat(20), IMAP_OAUTH_CLIENT_ID: SECRET, IMAP_OAUTH_TENANT_ID: 'contoso.com' } });
      throw new Error('expected an error');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/^invalid client ID \(40 characters, not shown: it has the shape of a secret/);
      expect((err as Error).message).not.toContain(SECRET.slice(0, 16));
    }
  });

  it.each([
    [{ usersFile: '-', clientSecretFile: '-' }, {}],
    [{ user: ['a@contoso.com'], accessTokenFile: '-' }, { IMAP_OAUTH_CERT_PASSPHRASE_FILE: '-' }],
  ])('refuses two readers of standard input (%j)', (flags, env) => {
    expect(() => resolveConfig({ ...base, flags, env })).toThrow(/would all read standard input/);
  });
});
