// X.509 generation shared by `cert new` (the product) and the sandbox PKI: one RSA algorithm, one
// serial-number rule, one way to export keys, one self-signed client certificate.
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };

/** RSA 2048 with SHA-256: Entra ID accepts only RSA keys for client certificates. */
export const RSA_SHA256 = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;

/** 16 random bytes, positive, no leading zero byte (RFC 5280: at most 20 octets, positive). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

/** A webcrypto private key as PKCS#8 PEM. */
export async function exportPkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
}

export interface KeyAndCert {
  /** PKCS#8 PEM private key. */
  keyPem: string;
  /** Certificate PEM. */
  certPem: string;
}

/** A self-signed RSA client certificate, as an admin uploads to an app registration. */
export async function selfSignedClientCertificate(subject: string, notBefore: Date, notAfter: Date): Promise<KeyAndCert> {
  const keys = (await webcrypto.subtle.generateKey(RSA_SHA256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subject,
    notBefore,
    notAfter,
    signingAlgorithm: RSA_SHA256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keyPem: await exportPkcs8Pem(keys.privateKey), certPem: `${cert.toString('pem')}\n` };
}
