// One TLS secure context per run, shared by every connection (IMAP and the token endpoint): built
// per connection, Node would parse the whole root store each time (a 200-mailbox batch with
// --ca-file spent most of its CPU there).
//
// --ca-file adds to the trust the run already has: Node's default store (its bundled Mozilla roots,
// or the operating system's with --use-openssl-ca / --use-system-ca), plus NODE_EXTRA_CA_CERTS.
// `createSecureContext({ ca })` would replace all of that, so the CA is added to a default context.
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

let cached: { caPem: string; context: SecureContext } | undefined;

/** The shared context trusting the run's roots plus `caPem`; undefined means Node's default. */
export function trustContext(caPem: string | undefined): SecureContext | undefined {
  if (!caPem) return undefined;
  if (cached?.caPem !== caPem) cached = { caPem, context: buildContext([...extraCaCertificates(), caPem]) };
  return cached.context;
}

/** NODE_EXTRA_CA_CERTS as Node read it at start-up (Node already warned if it could not). */
function extraCaCertificates(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    return [];
  }
}

interface NativeContext {
  addCACert?(pem: string): void;
}

function buildContext(extra: string[]): SecureContext {
  const context = createSecureContext({ minVersion: 'TLSv1.2' });
  // Node has no public call to add a CA to its default store. The native context's addCACert (what
  // the `ca` option itself uses) copies the default store — bundled or the system's, but without
  // NODE_EXTRA_CA_CERTS, which is why those are added again here — and adds to the copy.
  const native = (context as unknown as { context?: NativeContext }).context;
  if (typeof native?.addCACert === 'function') {
    for (const pem of extra) native.addCACert(pem);
    return context;
  }
  // Should a Node version lack it: the bundled roots by name (a system store would be lost).
  return createSecureContext({ ca: [...rootCertificates, ...extra], minVersion: 'TLSv1.2' });
}
