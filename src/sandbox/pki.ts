// Throwaway X.509 material for the sandbox and the tests: a CA, server certificates it signs,
// and self-signed client certificates (the "upload a .cer" credential of an app registration).
// Generated in memory at run time so nothing secret is ever committed.
import { webcrypto, X509Certificate } from 'node:crypto';
import { exportPkcs8Pem, randomSerial, RSA_SHA256, selfSignedClientCertificate, x509, type KeyAndCert } from '../x509.js';

export type { KeyAndCert };

const RSA = RSA_SHA256;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface TestPki {
  ca: KeyAndCert;
  /** A certificate for the given hosts, signed by `ca`. */
  issueServerCert(hosts: string[], opts?: { notBefore?: Date; notAfter?: Date }): Promise<KeyAndCert>;
}

const DAY = 86_400_000;

/** A CA (RSA) that can issue TLS server certificates (ECDSA P-256, fast to make). */
export async function createTestPki(name = 'imap-oauth sandbox CA'): Promise<TestPki> {
  const caKeys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${name}`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
    signingAlgorithm: RSA,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const ca: KeyAndCert = { keyPem: await exportPkcs8Pem(caKeys.privateKey), certPem: caCert.toString('pem') + '\n' };

  return {
    ca,
    async issueServerCert(hosts, opts = {}) {
      const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: randomSerial(),
        subject: `CN=${hosts[0] ?? 'localhost'}`,
        issuer: caCert.subject,
        notBefore: opts.notBefore ?? new Date(now - DAY),
        notAfter: opts.notAfter ?? new Date(now + 30 * DAY),
        signingAlgorithm: RSA,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension(
            hosts.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h })),
          ),
          await x509.AuthorityKeyIdentifierExtension.create(caCert),
        ],
      });
      return { keyPem: await exportPkcs8Pem(keys.privateKey), certPem: cert.toString('pem') + '\n' };
    },
  };
}

/** A self-signed RSA certificate, as an admin would upload to an app registration. */
export async function createSelfSignedCert(
  subject = 'CN=imap-oauth',
  opts: { days?: number; notBefore?: Date } = {},
): Promise<KeyAndCert> {
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  return selfSignedClientCertificate(subject, notBefore, new Date(notBefore.getTime() + (opts.days ?? 365) * DAY));
}

/** SHA-256 thumbprint of a certificate, upper-case hex without separators. */
export function thumbprintSha256(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256.replace(/:/g, '');
}
