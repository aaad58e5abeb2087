// PKCS#12 (.pfx / .p12, what Windows and the Azure portal export) → the PEM pair the rest of the
// tool uses. Node cannot read PKCS#12 itself; node-forge is loaded only for such files.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Key and certificate PEM from PFX bytes; throws a one-line Error naming `label`. */
export function pkcs12ToPem(bytes: Buffer, passphrase: string | undefined, label: string): string {
  const forge = require('node-forge') as typeof import('node-forge');
  let p12: import('node-forge').pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(bytes.toString('binary')), passphrase ?? '');
  } catch (err) {
    const text = String((err as Error)?.message ?? err);
    if (/password|MAC|decrypt/i.test(text)) {
      throw new Error(passphrase === undefined
        ? `${label} is protected by a password: give it with --cert-passphrase-file PATH|- or IMAP_OAUTH_CERT_PASSPHRASE`
        : `the passphrase does not open ${label}`);
    }
    throw new Error(`${label} is not a readable PKCS#12 (.pfx/.p12) file`);
  }
  const keyBag = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? []),
  ].find((bag) => bag.key);
  const certBag = (p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? []).find((bag) => bag.cert);
  if (!keyBag?.key) throw new Error(`${label} holds no private key`);
  if (!certBag?.cert) throw new Error(`${label} holds no certificate`);
  return forge.pki.privateKeyToPem(keyBag.key) + forge.pki.certificateToPem(certBag.cert);
}
