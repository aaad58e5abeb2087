// The Exchange-like POP3 and SMTP sandboxes with a test CA and a signing key, for the probe tests:
// tokens are real RS256 JWTs, checked by the sandboxes' verifyToken like Exchange would.
import { generateKeyPairSync } from 'node:crypto';
import { createTestPki } from '../../src/sandbox/pki.js';
import { signJwt, verifyJwt } from '../../src/sandbox/jwt.js';
import type { TokenCheck } from '../../src/sandbox/imap-server.js';
import { startPopSandbox, type PopSandbox, type PopSandboxOptions } from '../../src/sandbox/pop3-server.js';
import { startSmtpSandbox, type SmtpSandbox, type SmtpSandboxOptions } from '../../src/sandbox/smtp-server.js';

export const AUD = 'https://outlook.office365.com';
export const APP_ID = '6f1b2c3d-0000-4000-8000-0000000000a1';
export const SP_OID = '9a8b7c6d-0000-4000-8000-0000000000b2';
export const MAILBOX = 'shared@contoso.onmicrosoft.com';
export const BACKEND = 'AM0PR01CA0042.eurprd01.prod.exchangelabs.com';

export interface MailFixture {
  caPem: string;
  serverTls: { keyPem: string; certPem: string };
  /** A certificate for another name (TLS verification must fail). */
  wrongNameTls: { keyPem: string; certPem: string };
  token(claims?: Record<string, unknown>, opts?: { otherKey?: boolean }): string;
  verifyToken(token: string): TokenCheck;
  pop(extra?: Partial<PopSandboxOptions>): Promise<PopSandbox>;
  smtp(extra?: Partial<SmtpSandboxOptions>): Promise<SmtpSandbox>;
  closeAll(): Promise<void>;
}

export async function createMailFixture(): Promise<MailFixture> {
  const pki = await createTestPki('imap-oauth mail probe CA');
  const [serverTls, wrongNameTls] = await Promise.all([pki.issueServerCert(['localhost', '127.0.0.1']), pki.issueServerCert(['elsewhere.example'])]);
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = signing.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const open: { close(): Promise<void> }[] = [];
  const verifyToken = (t: string): TokenCheck => {
    try {
      const { payload } = verifyJwt(t, publicPem);
      if (typeof payload.exp !== 'number' || payload.exp * 1000 < Date.now()) return { ok: false, reason: 'expired' };
      if (payload.aud !== AUD && payload.aud !== 'https://outlook.office.com') return { ok: false, reason: 'wrong audience' };
      return { ok: true, claims: payload };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  };
  const mailboxes = [{ upn: MAILBOX, messages: 7, fullAccess: [SP_OID], sendAs: [SP_OID] }];
  return {
    caPem: pki.ca.certPem,
    serverTls,
    wrongNameTls,
    verifyToken,
    token(claims = {}, opts = {}) {
      const now = Math.floor(Date.now() / 1000);
      return signJwt(
        { alg: 'RS256', typ: 'JWT', kid: 'k1' },
        { aud: AUD, appid: APP_ID, oid: SP_OID, sub: SP_OID, roles: ['IMAP.AccessAsApp', 'POP.AccessAsApp', 'SMTP.SendAsApp'], iat: now - 60, nbf: now - 60, exp: now + 3600, ...claims },
        opts.otherKey ? other.privateKey : signing.privateKey,
      );
    },
    async pop(extra = {}) {
      const s = await startPopSandbox({ tls: serverTls, verifyToken, servicePrincipals: [APP_ID], mailboxes, backendName: BACKEND, ...extra });
      open.push(s);
      return s;
    },
    async smtp(extra = {}) {
      const s = await startSmtpSandbox({ tls: serverTls, verifyToken, servicePrincipals: [APP_ID], mailboxes, ...extra });
      open.push(s);
      return s;
    },
    async closeAll() {
      await Promise.all(open.splice(0).map((s) => s.close()));
    },
  };
}
