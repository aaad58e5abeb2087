// Turns "one PEM file holding the private key and the certificate" into what MSAL needs,
// with a clear message for every way such a file goes wrong.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';

export interface LoadedCertificate {
  /** Unencrypted PKCS#8 PEM, for MSAL. */
  privateKeyPem: string;
  /** The leaf certificate PEM (sent as x5c only when asked). */
  certPem: string;
  /** SHA-256 thumbprint, upper-case hex, no separators (MSAL's thumbprintSha256). */
  thumbprintSha256: string;
  /** SHA-1 thumbprint as the Entra portal shows it. */
  thumbprintSha1: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Parses PEM text; `label` names the file in messages. Throws plain Errors with one-line messages. */
export function loadCertificatePem(text: string, label: string, passphrase?: string): LoadedCertificate {
  const blocks = [...text.matchAll(BLOCK)].map((m) => ({ type: m[1]!, pem: m[0] }));
  if (blocks.length === 0) throw new Error(`${label} is not a PEM file (no -----BEGIN …----- block found)`);
  const keyBlock = blocks.find((b) => b.type.endsWith('PRIVATE KEY'));
  const certBlock = blocks.find((b) => b.type === 'CERTIFICATE');
  if (!keyBlock) throw new Error(`${label} holds no private key: put the key and the certificate in one PEM file`);
  if (!certBlock) throw new Error(`${label} holds no certificate: put the key and the certificate in one PEM file`);
  const encrypted = keyBlock.type === 'ENCRYPTED PRIVATE KEY' || /Proc-Type: 4,ENCRYPTED/.test(keyBlock.pem);
  if (encrypted && passphrase === undefined) {
    throw new Error(`the private key in ${label} is encrypted: give its passphrase with --cert-passphrase-file PATH|- or IMAP_OAUTH_CERT_PASSPHRASE`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyBlock.pem, format: 'pem', ...(encrypted ? { passphrase } : {}) });
  } catch {
    throw new Error(encrypted ? `the passphrase does not decrypt the private key in ${label}` : `the private key in ${label} cannot be read (damaged PEM)`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new Error(`the private key in ${label} is ${String(key.asymmetricKeyType).toUpperCase()}: Entra ID client certificates must be RSA`);
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certBlock.pem);
  } catch {
    throw new Error(`the certificate in ${label} cannot be read (damaged PEM)`);
  }
  if (!cert.checkPrivateKey(key)) throw new Error(`the certificate and the private key in ${label} do not belong together`);
  return {
    privateKeyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
    certPem: certBlock.pem,
    thumbprintSha256: cert.fingerprint256.replace(/:/g, ''),
    thumbprintSha1: cert.fingerprint.replace(/:/g, ''),
    subject: cert.subject.replace(/\n/g, ', '),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
}
