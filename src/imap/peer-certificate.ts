// When TLS verification fails, imapflow has already dropped the socket: fetch the certificate the
// server presents with a second, unverified handshake (nothing is sent over it) so the diagnosis
// can name its subject and issuer.
import { checkServerIdentity, connect, type PeerCertificate as NodePeerCertificate, type TLSSocket } from 'node:tls';
import type { PeerCertificate } from './types.js';

// Decoding a peer certificate builds a JS object from the DER each time (getPeerCertificate(true):
// the whole chain). Once per connection is enough: Node's own name check decodes it at the
// handshake, and what we describe is taken from that same object or kept per socket.
const seen = new WeakMap<TLSSocket, { cert: NodePeerCertificate; peer: PeerCertificate | undefined }>();

/** The socket's peer certificate and its description, decoded once per socket. */
export function peerOf(socket: TLSSocket): { cert: NodePeerCertificate; peer: PeerCertificate | undefined } {
  let hit = seen.get(socket);
  if (!hit) {
    const cert = socket.getPeerCertificate();
    hit = { cert, peer: describeCertificate(cert) };
    seen.set(socket, hit);
  }
  return hit;
}

/**
 * TLS options that keep the certificate Node decodes for its own name check (checkServerIdentity
 * runs with it after a verified handshake), so `peer()` needs no second decode. One per connection.
 */
export function recordingIdentityCheck() {
  let cert: NodePeerCertificate | undefined;
  return {
    checkServerIdentity(host: string, c: NodePeerCertificate) {
      cert = c;
      return checkServerIdentity(host, c);
    },
    /** The description of that certificate; `fallback` decodes it when Node did not (e.g. --insecure). */
    peer(fallback: () => NodePeerCertificate | undefined): PeerCertificate | undefined {
      return describeCertificate(cert ?? fallback());
    },
  };
}

/** A batch meets the same few certificates at every connection: each is described once (frozen: shared). */
const described = new Map<string, PeerCertificate>();
const MAX_DESCRIBED = 64;

export function describeCertificate(cert: NodePeerCertificate | undefined): PeerCertificate | undefined {
  if (!cert || !cert.subject) return undefined;
  const key = cert.fingerprint256;
  const known = key ? described.get(key) : undefined;
  if (known) return known;
  const name = (dn: Record<string, unknown> | undefined) =>
    dn ? Object.entries(dn).map(([k, val]) => `${k}=${Array.isArray(val) ? val.join('+') : String(val)}`).join(', ') : '';
  const peer = Object.freeze({
    subject: name(cert.subject as unknown as Record<string, unknown>),
    issuer: name(cert.issuer as unknown as Record<string, unknown>),
    validFrom: new Date(cert.valid_from).toISOString(),
    validTo: new Date(cert.valid_to).toISOString(),
    altNames: cert.subjectaltname,
  });
  if (key && described.size < MAX_DESCRIBED) described.set(key, peer);
  return peer;
}

export function fetchPeerCertificate(host: string, port: number, servername: string | undefined, timeoutMs: number): Promise<PeerCertificate | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, servername, rejectUnauthorized: false, timeout: timeoutMs });
    const done = (cert?: PeerCertificate) => {
      socket.destroy();
      resolve(cert);
    };
    socket.once('secureConnect', () => done(describeCertificate(socket.getPeerCertificate())));
    socket.once('error', () => done());
    socket.once('timeout', () => done());
  });
}
