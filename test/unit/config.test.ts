// resolveConfig: flags + environment + one .env file → one validated Config. Every case runs in
// its own temp directory and passes env explicitly, so nothing leaks in from the machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { readInputFile, readSecret } from '../../src/config/files.js';
import { Sources, flagKey, loadEnvFile } from '../../src/config/sources.js';
import * as validate from '../../src/config/validate.js';
import { DEFAULTS, type Config } from '../../src/config/types.js';
import { CLOUDS } from '../../src/config/clouds.js';
import { ConfigError } from '../../src/errors.js';
import { createSelfSignedCert, type KeyAndCert } from '../../src/sandbox/pki.js';
import { signJwt } from '../../src/sandbox/jwt.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const USER = 'alice@contoso.com';
const SECRET = 'abc8Q~secret-value_0123456789';

let pem: KeyAndCert;
let jwt: string;

beforeAll(async () => {
  pem = await createSelfSignedCert('CN=imap-oauth unit test');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  jwt = signJwt(
    { alg: 'RS256', typ: 'JWT' },
    { aud: 'https://outlook.office365.com', exp: Math.floor(Date.now() / 1000) + 3600 },
    privateKeyPem,
  );
});

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-oauth-test-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

function write(name: string, content: string, base = dir): string {
  const file = path.join(base, name);
  fs.writeFileSync(file, content);
  return file;
}

function dotenv(vars: Record<string, string | undefined>, name = '.env', base = dir): string {
  return write(name, Object.entries(vars).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', base);
}

interface Run {
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  tty?: boolean;
  cwd?: string;
}

function resolve({ flags = {}, env = {}, tty = false, cwd = dir }: Run): Config {
  return resolveConfig({ flags, env, cwd, stdoutIsTTY: tty });
}

/** A complete client-secret setup in the environment, to which a case adds or overrides. */
function secretEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    IMAP_OAUTH_USER: USER,
    IMAP_OAUTH_TENANT_ID: TENANT,
    IMAP_OAUTH_CLIENT_ID: CLIENT_ID,
    IMAP_OAUTH_CLIENT_SECRET: SECRET,
    ...extra,
  };
}

/** Runs a resolve that must fail with a one-line ConfigError containing every `part`. */
function configError(run: Run, ...parts: string[]): string {
  let caught: unknown;
  try {
    resolve(run);
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected resolveConfig to throw').toBeInstanceOf(ConfigError);
  const err = caught as ConfigError;
  expect(err.exitCode).toBe(2);
  expect(err.message).not.toMatch(/[\r\n]/);
  for (const part of parts) expect(err.message).toContain(part);
  return err.message;
}

describe('precedence: flag > environment > .env', () => {
  it('takes a setting from ./.env when nothing else gives it', () => {
    dotenv({ IMAP_OAUTH_HOST: 'dotenv.example.com', IMAP_OAUTH_PORT: '1993' });
    const config = resolve({ env: secretEnv() });
    expect(config.host).toBe('dotenv.example.com');
    expect(config.port).toBe(1993);
  });

  it('prefers the environment over ./.env', () => {
    dotenv({ IMAP_OAUTH_HOST: 'dotenv.example.com' });
    expect(resolve({ env: secretEnv({ IMAP_OAUTH_HOST: 'env.example.com' }) }).host).toBe('env.example.com');
  });

  it('prefers a flag over the environment and ./.env', () => {
    dotenv({ IMAP_OAUTH_HOST: 'dotenv.example.com' });
    const config = resolve({ flags: { host: 'flag.example.com' }, env: secretEnv({ IMAP_OAUTH_HOST: 'env.example.com' }) });
    expect(config.host).toBe('flag.example.com');
  });

  it('takes a whole configuration from ./.env', () => {
    dotenv(secretEnv());
    const config = resolve({});
    expect(config.users).toEqual([USER]);
    expect(config.tenant).toBe(TENANT);
    expect(config.clientId).toBe(CLIENT_ID);
    expect(config.credential).toMatchObject({ kind: 'client-secret', secret: SECRET, origin: 'IMAP_OAUTH_CLIENT_SECRET in ./.env' });
  });

  it('an empty environment variable does not hide the .env value', () => {
    dotenv({ IMAP_OAUTH_HOST: 'dotenv.example.com' });
    expect(resolve({ env: secretEnv({ IMAP_OAUTH_HOST: '' }) }).host).toBe('dotenv.example.com');
  });

  it('reads only --env-file when given, not ./.env', () => {
    dotenv({ IMAP_OAUTH_HOST: 'cwd.example.com' });
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-oauth-test-'));
    try {
      const file = dotenv({ ...secretEnv(), IMAP_OAUTH_PORT: '2993' }, 'custom.env', other);
      const config = resolve({ flags: { envFile: file } });
      expect(config.host).toBe(CLOUDS.global.imapHost);
      expect(config.port).toBe(2993);
      expect(config.credential.origin).toBe(`IMAP_OAUTH_CLIENT_SECRET in ${file}`);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('a missing explicit --env-file is an error naming the file', () => {
    const missing = path.join(dir, 'nope.env');
    configError({ flags: { envFile: missing }, env: secretEnv() }, '--env-file', missing);
  });

  it('a missing ./.env is fine', () => {
    expect(fs.existsSync(path.join(dir, '.env'))).toBe(false);
    expect(resolve({ env: secretEnv() }).host).toBe(CLOUDS.global.imapHost);
  });

  it('resolves a relative --env-file against the given cwd', () => {
    dotenv(secretEnv({ IMAP_OAUTH_HOST: 'relative.example.com' }), 'relative.env');
    expect(resolve({ flags: { envFile: 'relative.env' } }).host).toBe('relative.example.com');
  });

  it('understands .env syntax: quotes, comments, export', () => {
    write('.env', [
      '# a comment',
      `export IMAP_OAUTH_USER=${USER}`,
      `IMAP_OAUTH_TENANT_ID="${TENANT}"`,
      `IMAP_OAUTH_CLIENT_ID='${CLIENT_ID}'`,
      `IMAP_OAUTH_CLIENT_SECRET=${SECRET} # trailing comment`,
      '',
    ].join('\n'));
    const config = resolve({});
    expect(config.users).toEqual([USER]);
    expect(config.tenant).toBe(TENANT);
    expect(config.clientId).toBe(CLIENT_ID);
    expect(config.credential).toMatchObject({ kind: 'client-secret', secret: SECRET });
  });
});

describe('hermetic: values only from the given flags, env and .env', () => {
  it('ignores a .env in another directory', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-oauth-test-'));
    try {
      dotenv({ IMAP_OAUTH_HOST: 'other.example.com', IMAP_OAUTH_PORT: '1143' }, '.env', other);
      const config = resolve({ env: secretEnv() });
      expect(config.host).toBe(CLOUDS.global.imapHost);
      expect(config.port).toBe(DEFAULTS.port);
      // …and the same .env does apply when that directory is the cwd.
      expect(resolve({ env: secretEnv(), cwd: other }).host).toBe('other.example.com');
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('ignores process.env: only the env passed in counts', () => {
    vi.stubEnv('IMAP_OAUTH_HOST', 'leaked.example.com');
    vi.stubEnv('IMAP_OAUTH_USER', 'leaked@contoso.com');
    vi.stubEnv('NO_COLOR', '1');
    const config = resolve({ env: secretEnv(), tty: true });
    expect(config.host).toBe(CLOUDS.global.imapHost);
    expect(config.users).toEqual([USER]);
    expect(config.output.color).toBe(true);
  });
});

describe('tenant and client ID', () => {
  it('are not needed with an access token file', () => {
    write('token.jwt', `${jwt}\n`);
    const config = resolve({ flags: { user: [USER], accessTokenFile: 'token.jwt' } });
    expect(config.tenant).toBeUndefined();
    expect(config.clientId).toBeUndefined();
    expect(config.credential).toEqual({ kind: 'access-token-file', token: jwt, path: 'token.jwt', origin: '--access-token-file' });
  });

  it('are still validated when given with an access token file', () => {
    write('token.jwt', jwt);
    configError({ flags: { user: [USER], accessTokenFile: 'token.jwt', clientId: 'nope' } }, 'client ID', '--client-id');
  });

  it('a missing tenant with a client secret names the flag and the variable', () => {
    const env = secretEnv();
    delete env.IMAP_OAUTH_TENANT_ID;
    configError({ env }, 'missing tenant', '--tenant', 'IMAP_OAUTH_TENANT_ID', 'client secret');
  });

  it('a missing client ID with a client secret names the flag and the variable', () => {
    const env = secretEnv();
    delete env.IMAP_OAUTH_CLIENT_ID;
    configError({ env }, 'missing client ID', '--client-id', 'IMAP_OAUTH_CLIENT_ID');
  });

  it('a missing tenant with a certificate names the flag and the variable', () => {
    write('client.pem', pem.keyPem + pem.certPem);
    configError({ flags: { user: [USER], clientId: CLIENT_ID, cert: 'client.pem' } }, '--tenant', 'IMAP_OAUTH_TENANT_ID', 'certificate');
  });

  it('normalises a GUID to lower case and accepts a verified domain', () => {
    const config = resolve({ flags: { tenant: TENANT.toUpperCase(), clientId: CLIENT_ID.toUpperCase() }, env: secretEnv() });
    expect(config.tenant).toBe(TENANT);
    expect(config.clientId).toBe(CLIENT_ID);
    expect(resolve({ flags: { tenant: 'Contoso.onmicrosoft.com' }, env: secretEnv() }).tenant).toBe('contoso.onmicrosoft.com');
  });
});

describe('credential: exactly one', () => {
  it('none is an error listing the ways to give one', () => {
    const env = secretEnv();
    delete env.IMAP_OAUTH_CLIENT_SECRET;
    configError({ env }, 'missing credential', 'IMAP_OAUTH_CLIENT_SECRET', '--client-secret-file', '--cert', '--access-token-file');
  });

  it('a flag credential wins over one in the environment and .env', () => {
    write('client.pem', pem.keyPem + pem.certPem);
    dotenv({ IMAP_OAUTH_ACCESS_TOKEN_FILE: 'token.jwt' });
    const config = resolve({ flags: { cert: 'client.pem' }, env: secretEnv() });
    expect(config.credential.kind).toBe('certificate');
    expect(config.credential.origin).toBe('--cert');
  });

  it('a flag access token file wins over a secret in .env', () => {
    write('token.jwt', jwt);
    dotenv(secretEnv());
    expect(resolve({ flags: { accessTokenFile: 'token.jwt' } }).credential.kind).toBe('access-token-file');
  });

  it('an environment credential wins over one in .env', () => {
    write('client.pem', pem.keyPem + pem.certPem);
    dotenv({ IMAP_OAUTH_CERT_PATH: 'client.pem' });
    expect(resolve({ env: secretEnv() }).credential).toMatchObject({ kind: 'client-secret', origin: 'IMAP_OAUTH_CLIENT_SECRET' });
  });

  it('two in .env is an error naming both', () => {
    write('client.pem', pem.keyPem + pem.certPem);
    dotenv(secretEnv({ IMAP_OAUTH_CERT_PATH: 'client.pem' }));
    configError({}, 'two credentials', 'IMAP_OAUTH_CLIENT_SECRET in ./.env', 'IMAP_OAUTH_CERT_PATH in ./.env');
  });

  it('two in the environment is an error naming both', () => {
    write('secret.txt', 'other\n');
    configError({ env: secretEnv({ IMAP_OAUTH_CLIENT_SECRET_FILE: 'secret.txt' }) }, 'two credentials', 'IMAP_OAUTH_CLIENT_SECRET', 'IMAP_OAUTH_CLIENT_SECRET_FILE');
  });

  it('two flags is an error naming both', () => {
    write('client.pem', pem.keyPem + pem.certPem);
    write('token.jwt', jwt);
    configError({ flags: { user: [USER], cert: 'client.pem', accessTokenFile: 'token.jwt' } }, 'two credentials', '--cert', '--access-token-file');
  });
});

describe('client secret', () => {
  it('from --client-secret-file, relative to cwd, without the trailing newline', () => {
    write('secret.txt', `${SECRET}\n`);
    const env = secretEnv();
    delete env.IMAP_OAUTH_CLIENT_SECRET;
    expect(resolve({ flags: { clientSecretFile: 'secret.txt' }, env }).credential).toEqual({
      kind: 'client-secret',
      secret: SECRET,
      origin: '--client-secret-file',
    });
  });

  it('from IMAP_OAUTH_CLIENT_SECRET_FILE in .env', () => {
    write('secret.txt', `  ${SECRET}\r\n`);
    const env = secretEnv();
    delete env.IMAP_OAUTH_CLIENT_SECRET;
    dotenv({ IMAP_OAUTH_CLIENT_SECRET_FILE: 'secret.txt' });
    expect(resolve({ env }).credential).toMatchObject({ secret: SECRET, origin: 'IMAP_OAUTH_CLIENT_SECRET_FILE in ./.env' });
  });

  it('the value in IMAP_OAUTH_CLIENT_SECRET is trimmed', () => {
    expect(resolve({ env: secretEnv({ IMAP_OAUTH_CLIENT_SECRET: ` ${SECRET}\n` }) }).credential).toMatchObject({ secret: SECRET });
  });

  it('a blank IMAP_OAUTH_CLIENT_SECRET is an error', () => {
    configError({ env: secretEnv({ IMAP_OAUTH_CLIENT_SECRET: '   ' }) }, 'client secret', 'empty', 'IMAP_OAUTH_CLIENT_SECRET');
  });

  it('an empty secret file is an error', () => {
    write('secret.txt', '\n');
    configError({ flags: { user: [USER], tenant: TENANT, clientId: CLIENT_ID, clientSecretFile: 'secret.txt' } }, 'secret.txt', '--client-secret-file', 'is empty');
  });

  it('a multi-line secret file is an error', () => {
    write('secret.txt', `${SECRET}\nsecond line\n`);
    configError({ flags: { user: [USER], tenant: TENANT, clientId: CLIENT_ID, clientSecretFile: 'secret.txt' } }, 'secret.txt', 'more than one line');
  });

  it('a missing secret file is a one-line error naming the file and the flag', () => {
    configError({ flags: { user: [USER], tenant: TENANT, clientId: CLIENT_ID, clientSecretFile: 'missing.txt' } }, 'cannot read missing.txt', '--client-secret-file', 'no such file');
  });

  it('a directory as secret file is a one-line error', () => {
    fs.mkdirSync(path.join(dir, 'adir'));
    configError({ flags: { user: [USER], tenant: TENANT, clientId: CLIENT_ID, clientSecretFile: 'adir' } }, 'cannot read adir', 'it is a directory');
  });
});

describe('certificate and access token files', () => {
  it('loads key + certificate from --cert', () => {
    write('client.pem', pem.certPem + pem.keyPem);
    const config = resolve({ flags: { user: [USER], tenant: TENANT, clientId: CLIENT_ID, cert: 'client.pem' } });
    expect(config.credential.kind).toBe('certificate');
    if (config.credential.kind !== 'certificate') throw new Error('unreachable');
    expect(config.credential.path).toBe('client.pem');
    expect(config.credential.certificate.thumbprintSha256).toBe(new X509Certificate(pem.certPem).fingerprint256.replace(/:/g, ''));
  });

  it('a certificate-only PEM is a one-line error naming the file and the variable', () => {
    write('cert-only.pem', pem.certPem);
    configError({ env: { IMAP_OAUTH_USER: USER, IMAP_OAUTH_TENANT_ID: TENANT, IMAP_OAUTH_CLIENT_ID: CLIENT_ID, IMAP_OAUTH_CERT_PATH: 'cert-only.pem' } }, 'cert-only.pem', 'no private key', 'IMAP_OAUTH_CERT_PATH');
  });

  it('a missing --cert file is an error', () => {
    configError({ flags: { user: [USER], tenant: TENANT, clientId: CLIENT_ID, cert: 'gone.pem' } }, 'cannot read gone.pem', '--cert');
  });

  it('accepts a token file holding the token endpoint JSON', () => {
    write('token.json', JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: jwt }, null, 2));
    const config = resolve({ flags: { user: [USER], accessTokenFile: 'token.json' } });
    expect(config.credential).toMatchObject({ kind: 'access-token-file', token: jwt });
  });

  it('a token file without a JWT is an error naming the file', () => {
    write('token.txt', 'ya29.opaque-token\n');
    configError({ flags: { user: [USER], accessTokenFile: 'token.txt' } }, 'token.txt', '--access-token-file', 'is not a JWT');
  });

  it('an empty token file is an error', () => {
    write('token.txt', '\n\n');
    configError({ flags: { user: [USER], accessTokenFile: 'token.txt' } }, 'token.txt', 'is empty');
  });
});

describe('malformed values', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['client ID not a GUID', { clientId: 'my-app' }, ['invalid client ID', '"my-app"', '--client-id', 'GUID']],
    ['tenant common', { tenant: 'common' }, ['invalid tenant', 'common', '--tenant']],
    ['tenant organizations', { tenant: 'Organizations' }, ['invalid tenant', '--tenant']],
    ['tenant not a domain', { tenant: 'contoso' }, ['invalid tenant', '--tenant']],
    ['user with unicode', { user: ['jürgen@contoso.com'] }, ['invalid mailbox', '--user', 'non-ASCII']],
    ['user with a space', { user: ['alice smith@contoso.com'] }, ['invalid mailbox', '--user', 'spaces']],
    ['user without @', { user: ['alice'] }, ['invalid mailbox', '--user']],
    ['user without domain', { user: ['alice@'] }, ['invalid mailbox', '--user']],
    ['user without local part', { user: ['@contoso.com'] }, ['invalid mailbox', '--user']],
    ['port 0', { port: '0' }, ['invalid IMAP port', '--port']],
    ['port 70000', { port: '70000' }, ['invalid IMAP port', '--port']],
    ['port abc', { port: 'abc' }, ['invalid IMAP port', '--port']],
    ['port -1', { port: '-1' }, ['invalid IMAP port']],
    ['timeout 0', { timeout: '0' }, ['invalid timeout', '--timeout']],
    ['timeout -1', { timeout: '-1' }, ['invalid timeout', '--timeout']],
    ['timeout abc', { timeout: 'abc' }, ['invalid timeout', '--timeout']],
    ['timeout 601', { timeout: '601' }, ['invalid timeout', '--timeout', '600']],
    ['authority host http', { authorityHost: 'http://login.microsoftonline.com' }, ['invalid authority host', '--authority-host', 'https']],
    ['authority host with a path', { authorityHost: 'https://login.microsoftonline.com/contoso' }, ['invalid authority host', '--authority-host']],
    ['authority host not a URL', { authorityHost: 'login.microsoftonline.com' }, ['invalid authority host']],
    ['host with a space', { host: 'outlook office365.com' }, ['invalid IMAP host', '--host']],
    ['scope with two scopes', { scope: 'a b' }, ['invalid scope', '--scope']],
    ['blank folder', { folder: '  ' }, ['invalid folder', '--folder']],
  ];
  it.each(cases)('%s → one-line ConfigError', (_name, flags, parts) => {
    configError({ flags, env: secretEnv() }, ...parts);
  });

  it('names the variable when the bad value comes from the environment', () => {
    configError({ env: secretEnv({ IMAP_OAUTH_PORT: 'abc' }) }, 'invalid IMAP port "abc" (from IMAP_OAUTH_PORT)');
  });

  it('names the .env file when the bad value comes from it', () => {
    dotenv({ IMAP_OAUTH_CLIENT_ID: 'not-a-guid' });
    const env = secretEnv();
    delete env.IMAP_OAUTH_CLIENT_ID;
    configError({ env }, 'invalid client ID', 'IMAP_OAUTH_CLIENT_ID in ./.env');
  });

  it('a missing mailbox names the flag and the variable', () => {
    const env = secretEnv();
    delete env.IMAP_OAUTH_USER;
    configError({ env }, 'missing mailbox', '--user', 'IMAP_OAUTH_USER');
  });

  it('a bad value containing a newline still gives a one-line message', () => {
    write('.env', `IMAP_OAUTH_TENANT_ID="contoso.com\nfabrikam.com"\n`);
    const env = secretEnv();
    delete env.IMAP_OAUTH_TENANT_ID;
    configError({ env }, 'invalid tenant');
  });

  it('accepts edge values', () => {
    const config = resolve({
      flags: { port: '65535', timeout: '600', authorityHost: 'https://login.example.com:8443/', host: '192.0.2.10', scope: ' api://x/.default ' },
      env: secretEnv(),
    });
    expect(config.port).toBe(65535);
    expect(config.timeoutMs).toBe(600_000);
    expect(config.authorityHost).toBe('https://login.example.com:8443');
    expect(config.host).toBe('192.0.2.10');
    expect(config.scope).toBe('api://x/.default');
    expect(resolve({ flags: { port: '1', timeout: '0.5' }, env: secretEnv() })).toMatchObject({ port: 1, timeoutMs: 500 });
  });
});

describe('defaults and users', () => {
  it('fills in the defaults', () => {
    const config = resolve({ env: secretEnv() });
    expect(config).toMatchObject({
      authorityHost: 'https://login.microsoftonline.com',
      scope: 'https://outlook.office365.com/.default',
      host: 'outlook.office365.com',
      port: 993,
      folder: 'INBOX',
      timeoutMs: 15_000,
      insecure: false,
      caPem: undefined,
      warnings: [],
    });
    expect(config.output).toMatchObject({ json: false, verbose: false, debug: false, color: false });
  });

  it('--user is repeatable, keeps order and drops duplicates', () => {
    const config = resolve({ flags: { user: [USER, 'bob@contoso.com', USER] }, env: secretEnv() });
    expect(config.users).toEqual([USER, 'bob@contoso.com']);
  });

  it('--user replaces IMAP_OAUTH_USER', () => {
    expect(resolve({ flags: { user: ['bob@contoso.com'] }, env: secretEnv() }).users).toEqual(['bob@contoso.com']);
  });

  it('a bad second --user is reported', () => {
    configError({ flags: { user: [USER, 'bob'] }, env: secretEnv() }, '"bob"', '--user');
  });
});

describe('output options', () => {
  it('colour is on for a terminal', () => {
    expect(resolve({ env: secretEnv(), tty: true }).output.color).toBe(true);
  });

  it('colour is off when stdout is not a terminal', () => {
    expect(resolve({ env: secretEnv(), tty: false }).output.color).toBe(false);
  });

  it('--no-color turns colour off', () => {
    expect(resolve({ flags: { color: false }, env: secretEnv(), tty: true }).output.color).toBe(false);
  });

  it('NO_COLOR turns colour off; an empty NO_COLOR does not', () => {
    expect(resolve({ env: secretEnv({ NO_COLOR: '1' }), tty: true }).output.color).toBe(false);
    expect(resolve({ env: secretEnv({ NO_COLOR: '' }), tty: true }).output.color).toBe(true);
  });

  it('--json turns colour off and sets json', () => {
    const config = resolve({ flags: { json: true }, env: secretEnv(), tty: true });
    expect(config.output).toMatchObject({ json: true, color: false });
  });

  it('--verbose is passed through', () => {
    expect(resolve({ flags: { verbose: true }, env: secretEnv() }).output.verbose).toBe(true);
  });

  it('--insecure sets insecure and adds a warning', () => {
    const config = resolve({ flags: { insecure: true }, env: secretEnv() });
    expect(config.insecure).toBe(true);
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain('--insecure');
  });
});

describe('--ca-file', () => {
  it('reads a PEM CA relative to cwd', () => {
    write('ca.pem', pem.certPem);
    expect(resolve({ flags: { caFile: 'ca.pem' }, env: secretEnv() }).caPem).toBe(pem.certPem);
  });

  it('a missing CA file is an error', () => {
    configError({ flags: { caFile: 'ca.pem' }, env: secretEnv() }, '--ca-file ca.pem', 'no such file');
  });

  it('a file without a certificate is an error', () => {
    write('ca.pem', 'hello\n');
    configError({ flags: { caFile: 'ca.pem' }, env: secretEnv() }, '--ca-file ca.pem', 'no PEM certificate');
  });
});

describe('sources.ts', () => {
  it('flagKey gives commander camelCase keys', () => {
    expect(flagKey('--client-secret-file')).toBe('clientSecretFile');
    expect(flagKey('--cert')).toBe('cert');
    expect(flagKey('--authority-host')).toBe('authorityHost');
  });

  it('Sources.get walks flag, environment, .env; atLevel reports one level', () => {
    const sources = new Sources({ clientId: 'F' }, { IMAP_OAUTH_CLIENT_ID: 'E' }, { path: './.env', vars: { IMAP_OAUTH_CLIENT_ID: 'D' } });
    expect(sources.get('--client-id', 'IMAP_OAUTH_CLIENT_ID')).toEqual({ value: 'F', level: 'flag', origin: '--client-id' });
    expect(sources.get(null, 'IMAP_OAUTH_CLIENT_ID')).toEqual({ value: 'E', level: 'environment', origin: 'IMAP_OAUTH_CLIENT_ID' });
    expect(sources.atLevel('env-file', '--client-id', 'IMAP_OAUTH_CLIENT_ID')).toEqual({
      value: 'D',
      level: 'env-file',
      origin: 'IMAP_OAUTH_CLIENT_ID in ./.env',
    });
    expect(sources.get('--tenant', 'IMAP_OAUTH_TENANT_ID')).toBeUndefined();
  });

  it('Sources ignores non-string flags (booleans, arrays)', () => {
    const sources = new Sources({ insecure: true, user: ['a@b.com'] }, {}, null);
    expect(sources.get('--insecure', null)).toBeUndefined();
    expect(sources.get('--user', null)).toBeUndefined();
  });

  it('loadEnvFile returns null for a missing ./.env and parses one that exists', () => {
    expect(loadEnvFile(undefined, dir)).toBeNull();
    dotenv({ A: '1' });
    expect(loadEnvFile(undefined, dir)).toEqual({ path: './.env', vars: { A: '1' } });
  });

  it('loadEnvFile: an unreadable ./.env (a directory) is an error', () => {
    fs.mkdirSync(path.join(dir, '.env'));
    expect(() => loadEnvFile(undefined, dir)).toThrow(ConfigError);
  });
});

describe('files.ts', () => {
  it('readInputFile resolves relative to cwd', () => {
    write('x.txt', 'content');
    expect(readInputFile('x.txt', '--x', dir)).toBe('content');
  });

  it('readSecret trims and rejects empty and multi-line content', () => {
    write('ok.txt', '  s3cret \n');
    write('empty.txt', ' \n\t\n');
    write('two.txt', 'a\r\nb');
    expect(readSecret('ok.txt', '--x', dir, 'secret')).toBe('s3cret');
    expect(() => readSecret('empty.txt', '--x', dir, 'secret')).toThrow(/empty\.txt \(--x\) is empty: expected the secret/);
    expect(() => readSecret('two.txt', '--x', dir, 'secret')).toThrow(/more than one line/);
  });
});

describe('validate.ts', () => {
  it('guid', () => {
    expect(validate.guid(CLIENT_ID.toUpperCase())).toBe(CLIENT_ID);
    expect(() => validate.guid(`${CLIENT_ID}0`)).toThrow(/GUID/);
    expect(() => validate.guid(`{${CLIENT_ID}}`)).toThrow(/GUID/);
    expect(validate.isGuid(TENANT)).toBe(true);
    expect(validate.isGuid('common')).toBe(false);
  });

  it('tenant', () => {
    expect(validate.tenant('contoso.onmicrosoft.com')).toBe('contoso.onmicrosoft.com');
    for (const bad of ['common', 'consumers', 'organizations', 'COMMON']) expect(() => validate.tenant(bad)).toThrow(/app-only/);
    expect(() => validate.tenant('')).toThrow();
    expect(() => validate.tenant('https://login.microsoftonline.com/contoso')).toThrow();
  });

  it('mailAddress', () => {
    for (const ok of ['a@b.co', "o'brien+tag@contoso.onmicrosoft.com", 'first.last@sub.contoso.com']) expect(validate.mailAddress(ok)).toBe(ok);
    for (const bad of ['', 'a@b', 'a@@b.com', 'a b@c.com', 'a@b.com ', 'ä@b.com', 'a@ä.com', 'a\t@b.com', '"a"@b.com', `${'x'.repeat(114)}@b.com`]) {
      expect(() => validate.mailAddress(bad), bad).toThrow();
    }
  });

  it('hostname', () => {
    expect(validate.hostname('outlook.office365.com.')).toBe('outlook.office365.com');
    expect(validate.hostname('localhost')).toBe('localhost');
    expect(validate.hostname('[::1]')).toBe('::1');
    expect(() => validate.hostname('imap://x')).toThrow();
    expect(() => validate.hostname('-bad.example.com')).toThrow();
  });

  it('port and seconds', () => {
    expect(validate.port('993')).toBe(993);
    for (const bad of ['', '0', '65536', '1e3', '99.5', '0x10', '123456']) expect(() => validate.port(bad), bad).toThrow();
    expect(validate.seconds('15')).toBe(15);
    for (const bad of ['', '0', '0.0', '600.5', '1e2', 'Infinity', 'NaN', '-5']) expect(() => validate.seconds(bad), bad).toThrow();
  });

  it('httpsOrigin', () => {
    expect(validate.httpsOrigin('https://LOGIN.microsoftonline.com/')).toBe('https://login.microsoftonline.com');
    for (const bad of ['http://x.com', 'https://x.com/a', 'https://x.com?a=1', 'https://x.com#f', 'https://u:p@x.com', 'x.com']) {
      expect(() => validate.httpsOrigin(bad), bad).toThrow();
    }
  });
});

describe('near misses (issue 12: help that teaches)', () => {
  it.each([
    ['interactiv', 'interactive'],
    ['device-cod', 'device-code'],
    ['refresh_token', 'refresh-token'],
  ])('--flow %s suggests %s', (typed, meant) => {
    expect(() => validate.flow(typed)).toThrow(`(did you mean ${meant}?)`);
  });

  it('suggests nothing for a word far from every name, or close to two', () => {
    expect(() => validate.flow('banana')).toThrow(/^expected client-credentials, device-code, interactive, refresh-token$/);
    expect(validate.nearest('po', ['pop', 'poo'])).toBeUndefined();
    expect(validate.nearest('imao', ['imap', 'pop', 'smtp'])).toBe('imap');
  });

  it('--cloud and --protocol suggest too', () => {
    expect(() => validate.cloud('usgv')).toThrow('(did you mean usgov?)');
    expect(() => validate.protocols(['imap,smpt'])).toThrow('(did you mean smtp?)');
  });
});
