// `imap-oauth cert new`: the files it writes, what it prints, and what it refuses.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCertificate, parseDays, parseSubject, runCertNew, shellArg } from '../../src/commands/cert.js';
import { ConfigError } from '../../src/errors.js';
import { loadCertificatePem } from '../../src/token/certificate.js';

const DAY = 86_400_000;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

async function configError(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a ConfigError');
}

const mode = (path: string) => statSync(path).mode & 0o777;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-cert-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('runCertNew', () => {
  it('writes the key, the certificate and both together, with the right modes, into the current directory', async () => {
    const c = capture();
    const oldUmask = process.umask(0o277); // the modes are set after writing too: a umask cannot change them
    let code: number;
    try {
      code = await runCertNew({}, c.io, dir);
    } finally {
      process.umask(oldUmask);
    }
    expect(code).toBe(0);
    const key = join(dir, 'imap-oauth.key');
    const cer = join(dir, 'imap-oauth.cer');
    const pem = join(dir, 'imap-oauth.pem');
    expect(mode(key)).toBe(0o600);
    expect(mode(pem)).toBe(0o600);
    expect(mode(cer)).toBe(0o644);

    const keyText = readFileSync(key, 'utf8');
    expect(keyText).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    const keyObject = createPrivateKey(keyText);
    expect(keyObject.asymmetricKeyType).toBe('rsa');
    expect(keyObject.asymmetricKeyDetails?.modulusLength).toBe(2048);

    const cerText = readFileSync(cer, 'utf8');
    expect(cerText).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    expect(cerText).not.toContain('PRIVATE KEY');
    const cert = new X509Certificate(cerText);
    expect(cert.checkPrivateKey(keyObject)).toBe(true);
    expect(cert.subject).toBe('CN=imap-oauth');
    expect(cert.issuer).toBe('CN=imap-oauth');
    expect(cert.verify(cert.publicKey)).toBe(true); // self-signed

    // The file `imap-oauth test --cert` takes loads, and is that key and that certificate.
    const loaded = loadCertificatePem(readFileSync(pem, 'utf8'), pem);
    expect(loaded.thumbprintSha1).toBe(cert.fingerprint.replace(/:/g, ''));
    expect(createPrivateKey(loaded.privateKeyPem).export({ format: 'der', type: 'pkcs8' })).toEqual(
      keyObject.export({ format: 'der', type: 'pkcs8' }),
    );

    const out = c.out();
    expect(out).toContain(key);
    expect(out).toContain(cer);
    expect(out).toContain(pem);
    expect(out).toContain('CN=imap-oauth');
    expect(out).toContain(cert.fingerprint.replace(/:/g, ''));
    expect(out).toContain(cert.fingerprint256.replace(/:/g, ''));
    expect(out).toContain(new Date(cert.validFrom).toISOString());
    expect(out).toContain(new Date(cert.validTo).toISOString());
    expect(out).toContain('Certificates & secrets');
    expect(out).toContain('Upload certificate');
    expect(out).toContain('imap-oauth test --cert imap-oauth.pem --tenant');
    expect(c.err()).toBe('');
  });

  it('prints no private key, anywhere', async () => {
    const c = capture();
    await runCertNew({ days: '10' }, c.io, dir);
    const keyBody = readFileSync(join(dir, 'imap-oauth.key'), 'utf8').split('\n')[1]!;
    for (const text of [c.out(), c.err()]) {
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain(keyBody);
    }
  });

  it('makes the certificate valid for --days from now, with an RSA 2048 SHA-256 signature, digitalSignature and clientAuth', async () => {
    const before = Date.now();
    await runCertNew({ days: '90', subject: 'CN=mail-probe, O=Contoso' }, capture().io, dir);
    const after = Date.now();
    const cert = new x509.X509Certificate(readFileSync(join(dir, 'imap-oauth.cer'), 'utf8'));
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(90 * DAY);
    expect(cert.notBefore.getTime()).toBeLessThanOrEqual(before);
    expect(cert.notBefore.getTime()).toBeGreaterThan(before - 2 * 60_000);
    expect(cert.notAfter.getTime()).toBeLessThanOrEqual(after + 90 * DAY);
    expect(cert.subject).toBe('CN=mail-probe, O=Contoso');
    expect(cert.signatureAlgorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' } });
    expect(cert.publicKey.algorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048 });
    const ku = cert.getExtension(x509.KeyUsagesExtension);
    expect(ku?.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
    expect(eku?.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
    expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(await cert.isSelfSigned()).toBe(true);
  });

  it('defaults to 365 days, and warns only when the certificate expires within 30 days', async () => {
    const c365 = capture();
    await runCertNew({}, c365.io, dir);
    const cert = new x509.X509Certificate(readFileSync(join(dir, 'imap-oauth.cer'), 'utf8'));
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(365 * DAY);
    expect(c365.err()).toBe('');

    const c31 = capture();
    await runCertNew({ days: '31', force: true }, c31.io, dir);
    expect(c31.err()).toBe('');

    for (const days of ['10', '30', '1']) {
      const c = capture();
      expect(await runCertNew({ days, force: true }, c.io, dir)).toBe(0);
      const lines = c.err().trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^imap-oauth: warning: .*expires within 30 days/);
      expect(lines[0]).toContain(`--days ${days}`);
    }
  });

  it('creates --out DIR when missing, relative to the current directory, and names that file in the next step', async () => {
    const c = capture();
    expect(await runCertNew({ out: 'creds/new' }, c.io, dir)).toBe(0);
    const pem = join(dir, 'creds', 'new', 'imap-oauth.pem');
    expect(mode(pem)).toBe(0o600);
    expect(existsSync(join(dir, 'imap-oauth.pem'))).toBe(false);
    loadCertificatePem(readFileSync(pem, 'utf8'), pem);
    expect(c.out()).toContain('imap-oauth test --cert creds/new/imap-oauth.pem --tenant');
    expect(c.out()).toContain(`Upload creds/new/imap-oauth.cer`);
  });

  it('quotes a --cert path that needs it, and names a directory outside the current one absolutely', async () => {
    const c = capture();
    const other = mkdtempSync(join(tmpdir(), 'imap-oauth-cert other '));
    try {
      await runCertNew({ out: other }, c.io, dir);
      expect(c.out()).toContain(`imap-oauth test --cert '${join(other, 'imap-oauth.pem')}' --tenant`);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    expect(shellArg('a/b.pem')).toBe('a/b.pem');
    expect(shellArg("it's/x.pem")).toBe(`"it's/x.pem"`);
    expect(shellArg("it's $x")).toBe(`'it'\\''s $x'`);
  });

  it('refuses to overwrite any of the three files without --force, and changes nothing', async () => {
    await runCertNew({}, capture().io, dir);
    const before = ['key', 'cer', 'pem'].map((ext) => readFileSync(join(dir, `imap-oauth.${ext}`), 'utf8'));
    const message = await configError(() => runCertNew({}, capture().io, dir));
    expect(message).toContain('refusing to overwrite');
    expect(message).toContain(join(dir, 'imap-oauth.key'));
    expect(message).toContain('--force');
    const after = ['key', 'cer', 'pem'].map((ext) => readFileSync(join(dir, `imap-oauth.${ext}`), 'utf8'));
    expect(after).toEqual(before);

    // Just one of them present is enough to refuse, and nothing else is written.
    const lone = mkdtempSync(join(tmpdir(), 'imap-oauth-cert-'));
    try {
      writeFileSync(join(lone, 'imap-oauth.cer'), 'keep me');
      const m = await configError(() => runCertNew({}, capture().io, lone));
      expect(m).toContain(join(lone, 'imap-oauth.cer'));
      expect(existsSync(join(lone, 'imap-oauth.key'))).toBe(false);
      expect(existsSync(join(lone, 'imap-oauth.pem'))).toBe(false);
      expect(readFileSync(join(lone, 'imap-oauth.cer'), 'utf8')).toBe('keep me');
    } finally {
      rmSync(lone, { recursive: true, force: true });
    }
  });

  it('overwrites with --force: a new key, still mode 0600 even when the old file was wider', async () => {
    await runCertNew({}, capture().io, dir);
    const oldKey = readFileSync(join(dir, 'imap-oauth.key'), 'utf8');
    writeFileSync(join(dir, 'imap-oauth.pem'), 'stale', { mode: 0o644 });
    const c = capture();
    expect(await runCertNew({ force: true }, c.io, dir)).toBe(0);
    const newKey = readFileSync(join(dir, 'imap-oauth.key'), 'utf8');
    expect(newKey).not.toBe(oldKey);
    expect(mode(join(dir, 'imap-oauth.key'))).toBe(0o600);
    expect(mode(join(dir, 'imap-oauth.pem'))).toBe(0o600);
    const pem = join(dir, 'imap-oauth.pem');
    const loaded = loadCertificatePem(readFileSync(pem, 'utf8'), pem);
    expect(c.out()).toContain(loaded.thumbprintSha256);
  });

  it('with --force replaces a symlink rather than writing through it', async () => {
    const target = join(dir, 'elsewhere.txt');
    writeFileSync(target, 'untouched');
    symlinkSync(target, join(dir, 'imap-oauth.key'));
    await configError(() => runCertNew({}, capture().io, dir));
    await runCertNew({ force: true }, capture().io, dir);
    expect(readFileSync(target, 'utf8')).toBe('untouched');
    expect(statSync(join(dir, 'imap-oauth.key')).isFile()).toBe(true);
    expect(mode(join(dir, 'imap-oauth.key'))).toBe(0o600);
  });

  it('rejects bad --days with one line and writes nothing', async () => {
    for (const days of ['0', '731', '-5', '1.5', 'abc', '', '365d', '1e2']) {
      const message = await configError(() => runCertNew({ days }, capture().io, dir));
      expect(message).toContain('--days');
      expect(message).toContain('1 to 730');
    }
    expect(await configError(() => runCertNew({ days: '9999' }, capture().io, dir))).toMatch(/short-lived/);
    expect(existsSync(join(dir, 'imap-oauth.key'))).toBe(false);
  });

  it('rejects a --subject that is not a distinguished name with one line', async () => {
    for (const subject of ['', 'garbage', 'CN=', 'cn=lower', 'FOO=bar', 'CN=a, garbage', 'CN = a', 'CN=a\nO=b', 'CN=a,,O=b']) {
      const message = await configError(() => runCertNew({ subject }, capture().io, dir));
      expect(message).toContain('--subject');
      expect(message).toContain('CN=imap-oauth');
    }
    expect(existsSync(join(dir, 'imap-oauth.key'))).toBe(false);
  });

  it('rejects --out naming a file', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(await configError(() => runCertNew({ out: file }, capture().io, dir))).toContain('not a directory');
  });
});

describe('parseSubject / parseDays', () => {
  it('accepts distinguished names and whole numbers of days', () => {
    expect(parseSubject(undefined)).toBe('CN=imap-oauth');
    expect(parseSubject(' CN=imap-oauth ')).toBe('CN=imap-oauth');
    expect(parseSubject('CN=a, O=Contoso, C=US')).toBe('CN=a, O=Contoso, C=US');
    expect(parseSubject('CN=a+OU=b')).toBe('CN=a+OU=b');
    expect(parseSubject('CN=Contoso\\, Ltd')).toBe('CN=Contoso\\, Ltd');
    expect(parseSubject('2.5.4.3=by-oid')).toBe('2.5.4.3=by-oid');
    expect(parseDays(undefined)).toBe(365);
    expect(parseDays('730')).toBe(730);
    expect(parseDays(1)).toBe(1);
  });
});

describe('createCertificate', () => {
  it('is valid from one minute before now for exactly the given days, with that subject', async () => {
    const now = new Date('2030-01-15T12:00:00.750Z');
    const { keyPem, certPem } = await createCertificate({ subject: 'CN=Contoso\\, Ltd', days: 730, now });
    const cert = new X509Certificate(certPem);
    expect(new Date(cert.validFrom).toISOString()).toBe('2030-01-15T11:59:00.000Z');
    expect(new Date(cert.validTo).toISOString()).toBe('2032-01-15T11:59:00.000Z');
    expect(cert.subject).toBe('CN=Contoso\\, Ltd');
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('makes a new key and serial number every time', async () => {
    const a = await createCertificate({ subject: 'CN=imap-oauth', days: 1 });
    const b = await createCertificate({ subject: 'CN=imap-oauth', days: 1 });
    expect(a.keyPem).not.toBe(b.keyPem);
    expect(new X509Certificate(a.certPem).serialNumber).not.toBe(new X509Certificate(b.certPem).serialNumber);
  });

  it('validates its input too', async () => {
    await configError(() => createCertificate({ subject: 'nope', days: 30 }));
    await configError(() => createCertificate({ subject: 'CN=x', days: 0 }));
  });
});
