// One TLS secure context per run. Passing `ca: [...rootCertificates, extra]` to every connection
// makes Node parse the whole root store again each time: with --ca-file, a 200-mailbox batch
// spent most of its CPU there. The context is built once and shared by every connection.
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

let cached: { caPem: string; context: SecureContext } | undefined;

/** The shared context trusting the system roots plus `caPem`; undefined means Node's default. */
export function trustContext(caPem: string | undefined): SecureContext | undefined {
  if (!caPem) return undefined;
  if (cached?.caPem !== caPem) {
    cached = { caPem, context: createSecureContext({ ca: [...rootCertificates, caPem], minVersion: 'TLSv1.2' }) };
  }
  return cached.context;
}
