// The sandbox: a Microsoft-like identity platform and Exchange-like IMAP server on loopback, with
// one tenant, one app (secret and certificate), one service principal and one mailbox. `demo`
// runs the real `test` path against it; the end-to-end tests use it as well.
import { generateKeyPairSync, randomUUID, createPublicKey } from 'node:crypto';
import { startIdentityServer, type IdentityServer, type SandboxApp } from './identity-server.js';
import { startImapSandbox, type ImapSandbox, type TokenCheck } from './imap-server.js';
import { startPopSandbox, type PopSandbox, type PopSandboxMailbox } from './pop3-server.js';
import { startSmtpSandbox, type SmtpSandbox, type SmtpSandboxMailbox, type SmtpSandboxOptions } from './smtp-server.js';
import { verifyJwt } from './jwt.js';
import { createSelfSignedCert, createTestPki, type KeyAndCert } from './pki.js';

export const SANDBOX = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  tenantDomain: 'contoso.onmicrosoft.com',
  clientId: '11111111-2222-4333-8444-555555555555',
  servicePrincipalId: '66666666-7777-4888-9999-aaaaaaaaaaaa',
  user: 'someone@contoso.com',
  messages: 3,
} as const;

export interface WorldOptions {
  /** Changes to the app registration, e.g. { roles: [] } for a missing permission. */
  app?: Partial<SandboxApp>;
  /** The mailbox's settings, for every protocol (imapEnabled, popEnabled, smtpClientAuthenticationDisabled, sendAs, …). */
  mailbox?: Partial<PopSandboxMailbox & SmtpSandboxMailbox>;
  /** Tenant-wide SMTP AUTH settings: Set-TransportConfig, security defaults, Conditional Access. */
  smtp?: Pick<SmtpSandboxOptions, 'tenantSmtpAuthDisabled' | 'securityDefaults' | 'conditionalAccess'>;
  /** Register the service principal in "Exchange" (New-ServicePrincipal); default true. */
  servicePrincipalRegistered?: boolean;
  /** The app's one client secret has expired. */
  secretExpired?: boolean;
  /** More names the servers' TLS certificate covers, e.g. graph.microsoft.com for --check-app via --connect-to. */
  tlsNames?: string[];
  /** What the Graph route shows as the secret's end (default a year ahead); certificates uploaded besides the client's. */
  secretEndDateTime?: string;
  extraCertificates?: string[];
  /** Device code polling interval (Entra: 5 s); tests shorten it. */
  deviceCodeIntervalSeconds?: number;
  /** How long a device code lives (Entra: 900 s); tests shorten it. */
  deviceCodeExpiresSeconds?: number;
}

export interface SandboxWorld {
  identity: IdentityServer;
  imap: ImapSandbox;
  /** Exchange-like POP3 (implicit TLS) and SMTP AUTH submission (STARTTLS) on the same mailbox. */
  pop: PopSandbox;
  smtp: SmtpSandbox;
  caPem: string;
  clientSecret: string;
  clientCertificate: KeyAndCert;
  close(): Promise<void>;
}

// App-only tokens are for outlook.office365.com, delegated ones for outlook.office.com; Exchange also
// accepts its other identifier, https://ps.outlook.com (MailKit's guide requests that one).
const EXCHANGE_AUDIENCES = ['https://outlook.office365.com', 'https://outlook.office.com', 'https://ps.outlook.com'];

export async function startSandbox(options: WorldOptions = {}): Promise<SandboxWorld> {
  const pki = await createTestPki('imap-oauth sandbox CA');
  const [serverCert, clientCertificate] = await Promise.all([pki.issueServerCert(['localhost', '127.0.0.1', ...(options.tlsNames ?? [])]), createSelfSignedCert('CN=imap-oauth sandbox app')]);
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID().replace(/-/g, '').slice(0, 27);
  // A fresh random secret each run, shaped like Entra's (40 characters with a "~").
  const clientSecret = `${randomUUID().replace(/-/g, '').slice(0, 3)}8Q~${randomUUID().replace(/-/g, '')}`.slice(0, 40);

  const identity = await startIdentityServer({
    deviceCodeIntervalSeconds: options.deviceCodeIntervalSeconds,
    deviceCodeExpiresSeconds: options.deviceCodeExpiresSeconds,
    tls: serverCert,
    signingKey: { kid, privateKeyPem: signing.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() },
    tenants: [{ id: SANDBOX.tenantId, domains: [SANDBOX.tenantDomain], displayName: 'Contoso' }],
    apps: [
      {
        clientId: SANDBOX.clientId,
        tenantId: SANDBOX.tenantId,
        displayName: 'imap-oauth sandbox app',
        secrets: [{ value: clientSecret, expired: options.secretExpired === true, displayName: 'sandbox secret', ...(options.secretEndDateTime ? { endDateTime: options.secretEndDateTime } : {}) }],
        certificates: [clientCertificate.certPem, ...(options.extraCertificates ?? [])],
        roles: ['IMAP.AccessAsApp', 'POP.AccessAsApp', 'SMTP.SendAsApp'],
        servicePrincipalId: SANDBOX.servicePrincipalId,
        ...options.app,
      },
    ],
  });

  const publicKey = createPublicKey(signing.privateKey);
  const verifyToken = (token: string): TokenCheck => {
    try {
      const { payload } = verifyJwt(token, publicKey);
      const now = Date.now() / 1000;
      if (typeof payload.exp !== 'number' || payload.exp < now) return { ok: false, reason: 'expired' };
      if (typeof payload.nbf === 'number' && payload.nbf > now + 300) return { ok: false, reason: 'not yet valid' };
      if (!EXCHANGE_AUDIENCES.includes(String(payload.aud))) return { ok: false, reason: 'wrong audience' };
      return { ok: true, claims: payload };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  };

  const servicePrincipals = options.servicePrincipalRegistered === false ? [] : [SANDBOX.clientId];
  const mailboxes = [{ upn: SANDBOX.user, messages: SANDBOX.messages, fullAccess: [SANDBOX.servicePrincipalId], sendAs: [SANDBOX.servicePrincipalId], ...options.mailbox }];
  const [imap, pop, smtp] = await Promise.all([
    startImapSandbox({ tls: serverCert, verifyToken, servicePrincipals, mailboxes }),
    startPopSandbox({ tls: serverCert, verifyToken, servicePrincipals, mailboxes }),
    startSmtpSandbox({ tls: serverCert, verifyToken, servicePrincipals, mailboxes, ...options.smtp }),
  ]);

  return {
    identity,
    imap,
    pop,
    smtp,
    caPem: pki.ca.certPem,
    clientSecret,
    clientCertificate,
    async close() {
      await Promise.all([identity.close(), imap.close(), pop.close(), smtp.close()]);
    },
  };
}
