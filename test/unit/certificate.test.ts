// loadCertificatePem: one PEM file with the private key and the certificate → what MSAL needs.
import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCertificatePem } from '../../src/token/certificate.js';
import { createSelfSignedCert, type KeyAndCert } from '../../src/sandbox/pki.js';

const LABEL = 'certs/app-client.pem';

let a: KeyAndCert;
let b: KeyAndCert;

beforeAll(async () => {
  [a, b] = await Promise.all([createSelfSignedCert('CN=imap-oauth test A'), createSelfSignedCert('CN=imap-oauth test B')]);
});

/** Expects a plain Error with a one-line message that names the label and matches `reason`. */
function failure(text: string, reason: RegExp): string {
  let caught: unknown;
  try {
    loadCertificatePem(text, LABEL);
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected loadCertificatePem to throw').toBeInstanceOf(Error);
  const message = (caught as Error).message;
  expect(message).not.toMatch(/[\r\n]/);
  expect(message).toContain(LABEL);
  expect(message).toMatch(reason);
  return message;
}

describe('loadCertificatePem: good files', () => {
  it('key then certificate', () => {
    const loaded = loadCertificatePem(a.keyPem + a.certPem, LABEL);
    const x509 = new X509Certificate(a.certPem);
    expect(loaded.thumbprintSha256).toBe(x509.fingerprint256.replace(/:/g, ''));
    expect(loaded.thumbprintSha256).toMatch(/^[0-9A-F]{64}$/);
    expect(loaded.thumbprintSha1).toBe(x509.fingerprint.replace(/:/g, ''));
    expect(loaded.thumbprintSha1).toMatch(/^[0-9A-F]{40}$/);
    expect(loaded.subject).toBe('CN=imap-oauth test A');
    expect(loaded.notBefore.getTime()).toBe(new Date(x509.validFrom).getTime());
    expect(loaded.notAfter.getTime()).toBeGreaterThan(loaded.notBefore.getTime());
    expect(loaded.certPem.trim()).toBe(a.certPem.trim());
  });

  it('certificate then key gives the same result', () => {
    const keyFirst = loadCertificatePem(a.keyPem + a.certPem, LABEL);
    const certFirst = loadCertificatePem(`${a.certPem}\n${a.keyPem}`, LABEL);
    expect(certFirst).toEqual(keyFirst);
  });

  it('returns the key as unencrypted PKCS#8 matching the certificate', () => {
    const loaded = loadCertificatePem(a.keyPem + a.certPem, LABEL);
    expect(loaded.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(new X509Certificate(loaded.certPem).checkPrivateKey(createPrivateKey(loaded.privateKeyPem))).toBe(true);
  });

  it('accepts a PKCS#1 ("RSA PRIVATE KEY") key and converts it to PKCS#8', () => {
    const pkcs1 = createPrivateKey(a.keyPem).export({ format: 'pem', type: 'pkcs1' }).toString();
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
    const loaded = loadCertificatePem(pkcs1 + a.certPem, LABEL);
    expect(loaded.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    expect(loaded.thumbprintSha256).toBe(new X509Certificate(a.certPem).fingerprint256.replace(/:/g, ''));
  });

  it('accepts Windows line endings and text around the blocks', () => {
    const text = `Bag Attributes\n    friendlyName: app\n${a.keyPem}subject=CN=x\n${a.certPem}`.replace(/\n/g, '\r\n');
    expect(loadCertificatePem(text, LABEL).subject).toBe('CN=imap-oauth test A');
  });

  it('uses the first certificate of a chain', () => {
    const loaded = loadCertificatePem(a.keyPem + a.certPem + b.certPem, LABEL);
    expect(loaded.subject).toBe('CN=imap-oauth test A');
  });
});

describe('loadCertificatePem: bad files', () => {
  it('no key', () => {
    failure(a.certPem, /holds no private key/);
  });

  it('no certificate', () => {
    failure(a.keyPem, /holds no certificate/);
  });

  it('not PEM at all', () => {
    failure('MIIC... this is a DER file or random text', /is not a PEM file/);
    failure('', /is not a PEM file/);
  });

  it('damaged key (truncated body)', () => {
    const lines = a.keyPem.trim().split('\n');
    const damaged = [lines[0], lines[1], lines[2], lines.at(-1)].join('\n') + '\n';
    failure(damaged + a.certPem, /private key .* cannot be read/);
  });

  it('damaged certificate', () => {
    const lines = a.certPem.trim().split('\n');
    const damaged = [lines[0], lines[1], lines[2], lines.at(-1)].join('\n') + '\n';
    failure(a.keyPem + damaged, /certificate .* cannot be read/);
  });

  it('EC key', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    failure(ecPem + a.certPem, /is EC: .*must be RSA/);
  });

  it('encrypted PKCS#8 key', () => {
    const encrypted = createPrivateKey(a.keyPem)
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' })
      .toString();
    expect(encrypted).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    failure(encrypted + a.certPem, /is encrypted/);
  });

  it('encrypted traditional (Proc-Type) key', () => {
    const encrypted = createPrivateKey(a.keyPem)
      .export({ format: 'pem', type: 'pkcs1', cipher: 'aes-256-cbc', passphrase: 'x' })
      .toString();
    expect(encrypted).toContain('Proc-Type: 4,ENCRYPTED');
    failure(encrypted + a.certPem, /is encrypted/);
  });

  it('key and certificate that do not belong together', () => {
    failure(a.keyPem + b.certPem, /do not belong together/);
  });
});
