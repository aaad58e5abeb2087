// When TLS verification fails, imapflow has already dropped the socket: fetch the certificate the
// server presents with a second, unverified handshake (nothing is sent over it) so the diagnosis
// can name its subject and issuer.
import { connect, type PeerCertificate as NodePeerCertificate } from 'node:tls';
import type { PeerCertificate } from './types.js';

export function describeCertificate(cert: NodePeerCertificate | undefined): PeerCertificate | undefined {
  if (!cert || !cert.subject) return undefined;
  const name = (dn: Record<string, unknown> | undefined) =>
    dn ? Object.entries(dn).map(([k, val]) => `${k}=${Array.isArray(val) ? val.join('+') : String(val)}`).join(', ') : '';
  return {
    subject: name(cert.subject as unknown as Record<string, unknown>),
    issuer: name(cert.issuer as unknown as Record<string, unknown>),
    validFrom: new Date(cert.valid_from).toISOString(),
    validTo: new Date(cert.valid_to).toISOString(),
    altNames: cert.subjectaltname,
  };
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
