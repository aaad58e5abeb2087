// The servers an end-to-end test talks to: the identity-platform stand-in (HTTPS, MSAL-compatible)
// and a real Dovecot that trusts the stand-in's signing key, both behind one test CA. Files the
// CLI reads (CA, certificate PEM, secret) are written to a temp dir.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startIdentityServer, type IdentityServer } from '../../src/sandbox/identity-server.js';
import { signJwt } from '../../src/sandbox/jwt.js';
import { createSelfSignedCert, createTestPki } from '../../src/sandbox/pki.js';
import { startDovecot, type Dovecot } from './dovecot.js';

export const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
export const CLIENT_ID = '3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21';
export const SP_ID = 'b7c4a1e2-5d3f-4e8a-9c1b-2a3d4e5f6a7b';
export const USER = 'someone@contoso.com';
export const AUDIENCE = 'https://outlook.office365.com';

export interface E2eWorld {
  identity: IdentityServer;
  dovecot: Dovecot;
  dir: string;
  caFile: string;
  certFile: string;
  secret: string;
  secretFile: string;
  kid: string;
  signingKeyPem: string;
  /** An app-only token signed like the stand-in's (or by another key), written to a file. */
  tokenFile(opts?: { expiresIn?: number; otherKey?: boolean; claims?: Record<string, unknown> }): { path: string; token: string };
  /** Common flags for a secret-based run against these servers (no credential). */
  args(...extra: string[]): string[];
  /** args() with the single --user replaced by a users file. */
  batchArgs(file: string, ...extra: string[]): string[];
  close(): Promise<void>;
}

/** `uploadedCertificates`: more certificates "uploaded" to the app registration (PEM). */
export async function startE2eWorld(opts: { uploadedCertificates?: string[]; publicClient?: boolean; delegatedDovecot?: boolean } = {}): Promise<E2eWorld> {
  const pki = await createTestPki('imap-oauth e2e CA');
  const [serverCert, appCert] = await Promise.all([pki.issueServerCert(['localhost', '127.0.0.1']), createSelfSignedCert('CN=imap-oauth e2e app')]);
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKeyPem = signing.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const kid = 'e2e-kid-1';
  const secret = `e2e~${randomUUID()}${randomUUID()}`.replace(/-/g, '');

  const identity = await startIdentityServer({
    tls: serverCert,
    signingKey: { kid, privateKeyPem: signingKeyPem },
    tenants: [{ id: TENANT, domains: ['contoso.onmicrosoft.com'] }],
    apps: [{ clientId: CLIENT_ID, tenantId: TENANT, displayName: 'e2e app', secrets: [{ value: secret }], certificates: [appCert.certPem, ...(opts.uploadedCertificates ?? [])], roles: ['IMAP.AccessAsApp'], servicePrincipalId: SP_ID, publicClient: opts.publicClient }],
    deviceCodeIntervalSeconds: 0.1,
  });
  // Delegated tokens are for outlook.office.com and name their user (upn).
  const dovecot = await startDovecot({
    tls: serverCert,
    jwtKeys: [{ kid, publicKeyPem: signing.publicKey.export({ format: 'pem', type: 'spki' }).toString() }],
    audience: opts.delegatedDovecot ? 'https://outlook.office.com' : AUDIENCE,
    delegated: opts.delegatedDovecot,
  });

  const dir = mkdtempSync(join(tmpdir(), 'imap-oauth-e2e-'));
  const caFile = join(dir, 'ca.pem');
  const certFile = join(dir, 'app.pem');
  const secretFile = join(dir, 'secret.txt');
  writeFileSync(caFile, pki.ca.certPem);
  writeFileSync(certFile, appCert.keyPem + appCert.certPem);
  writeFileSync(secretFile, `${secret}\n`);
  let n = 0;
  const args = (...extra: string[]): string[] => [
    'test', '--user', USER, '--tenant', TENANT, '--client-id', CLIENT_ID, '--authority-host', identity.url,
    '--host', dovecot.host, '--port', String(dovecot.port), '--ca-file', caFile, '--timeout', '5', ...extra,
  ];

  return {
    identity,
    dovecot,
    dir,
    caFile,
    certFile,
    secret,
    secretFile,
    kid,
    signingKeyPem,
    tokenFile(opts = {}) {
      const now = Math.floor(Date.now() / 1000);
      const token = signJwt(
        { alg: 'RS256', typ: 'JWT', kid },
        {
          aud: AUDIENCE, iss: `https://sts.windows.net/${TENANT}/`, iat: now - 60, nbf: now - 60, exp: now + (opts.expiresIn ?? 3600),
          appid: CLIENT_ID, oid: SP_ID, sub: SP_ID, tid: TENANT, roles: ['IMAP.AccessAsApp'], ver: '1.0', ...opts.claims,
        },
        opts.otherKey ? other.privateKey : signingKeyPem,
      );
      const path = join(dir, `token-${++n}.txt`);
      writeFileSync(path, `${token}\n`);
      return { path, token };
    },
    args,
    batchArgs(file, ...extra) {
      const list = args(...extra);
      list.splice(list.indexOf('--user'), 2, '--users-file', file);
      return list;
    },
    async close() {
      await Promise.all([identity.close(), dovecot.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
