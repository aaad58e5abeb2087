// An in-process SMTP client-submission server that answers like Exchange Online
// (smtp.office365.com:587, STARTTLS) for OAuth logins, with each refusal worded as Exchange words
// it. Sources of the wording (exact strings; "[…]" is Exchange's trailer naming its server):
// - Microsoft, "Authenticate an IMAP, POP or SMTP connection using OAuth": "334", "235 2.7.0
//   Authentication successful", "535 5.7.3 Authentication unsuccessful [SN2PR00CA0018.…]".
// - "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.
//   Visit https://aka.ms/smtp_auth_disabled for more information." — simonrob/email-oauth2-proxy#193,
//   nodemailer/nodemailer#1484, MicrosoftDocs/OfficeDocs-Exchange#3124; "… for the Mailbox" in
//   Microsoft's Exchange Online troubleshooting page for SMTP ("SmtpClientAuthentication is
//   disabled for the Mailbox") and public reports.
// - "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security
//   defaults policy. Contact your administrator." and "… the request did not meet the criteria to
//   be authenticated successfully. Contact your administrator." — public reports (gophish#3220 in
//   Portuguese with the same trailer) and troubleshooting guides.
// - "530 5.7.57 Client not authenticated to send mail", "550 5.7.30 Basic authentication is not
//   supported for Client Submission.", "504 5.7.4 Unrecognized authentication type", "550 5.7.60
//   SMTP; Client does not have permissions to send as this sender" — Microsoft's "Fix issues with
//   printers, scanners, and LOB applications that send email" (MicrosoftDocs/OfficeDocs-Exchange#2648)
//   and public code that handles them.
// - "554 5.2.252 SendAsDenied; X not allowed to send as Y; STOREDRV.Submission.Exception:
//   SendAsDeniedException.MapiExceptionSendAsDenied; …" after DATA — gophish/gophish#2900,
//   MicrosoftDocs/OfficeDocs-Support#1187 (older "554 5.2.0 STOREDRV…" form).
// - Greeting, EHLO keywords, STARTTLS/MAIL/RCPT/RSET/QUIT replies: public transcripts
//   (email-oauth2-proxy#95, #297).
import tls from 'node:tls';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { SandboxMailbox, TokenCheck } from './imap-server.js';

export interface SmtpSandboxMailbox extends SandboxMailbox {
  /** Set-CASMailbox -SmtpClientAuthenticationDisabled: set, it overrides the tenant's setting. */
  smtpClientAuthenticationDisabled?: boolean;
  /** Object IDs granted SendAs on this mailbox (Add-RecipientPermission -AccessRights SendAs). */
  sendAs?: string[];
}

export type SmtpFault = 'no-starttls' | 'error-challenge';

export interface SmtpSandboxOptions {
  tls: { keyPem: string; certPem: string };
  host?: string;
  port?: number;
  verifyToken(token: string): TokenCheck;
  servicePrincipals: string[];
  mailboxes: SmtpSandboxMailbox[];
  /** Set-TransportConfig -SmtpClientAuthenticationDisabled (default false). */
  tenantSmtpAuthDisabled?: boolean;
  /** Entra security defaults are on: SMTP AUTH is blocked. */
  securityDefaults?: boolean;
  /** A Conditional Access policy refuses the sign-in. */
  conditionalAccess?: boolean;
  fault?: SmtpFault | null;
  backendName?: string;
}

export interface SmtpSessionRecord {
  /** Client lines; SASL payloads '<redacted>'; message lines are not recorded here (see `messages`). */
  commands: string[];
  /** Any AUTH line arrived before STARTTLS. */
  authBeforeTls: boolean;
  tls: boolean;
  authenticated: boolean;
  messages: { from: string; to: string[]; data: string }[];
}

export interface SmtpSandbox {
  host: string;
  port: number;
  sessions: SmtpSessionRecord[];
  setFault(f: SmtpFault | null): void;
  close(): Promise<void>;
}

const APP_ROLE = 'SMTP.SendAsApp';
const USER_SCOPE = 'SMTP.Send';
const MAX_LINE = 64 * 1024;
const TENANT_DISABLED = '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.';
const MAILBOX_DISABLED = '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.';
const SECURITY_DEFAULTS = "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator.";
const CONDITIONAL_ACCESS = '535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.';
const AUTH_FAILED = '535 5.7.3 Authentication unsuccessful';
const NOT_AUTHENTICATED = '530 5.7.57 Client not authenticated to send mail.';
const BASIC_NOT_SUPPORTED = '550 5.7.30 Basic authentication is not supported for Client Submission.';
const UNRECOGNIZED_AUTH = '504 5.7.4 Unrecognized authentication type';
const SEND_AS_MAIL_FROM = '550 5.7.60 SMTP; Client does not have permissions to send as this sender';

type Decision = { ok: true; user: string; oid: string; delegatedUpn?: string } | { ok: false; reply: string };

/** Exchange's AUTH XOAUTH2 verdict for one payload. */
export function decideSmtp(payload: string, opts: SmtpSandboxOptions): Decision {
  const text = Buffer.from(payload, 'base64').toString('utf8');
  const m = /^user=([^\x01]+)\x01auth=Bearer ([^\x01]+)\x01\x01$/.exec(text);
  if (!m) return { ok: false, reply: AUTH_FAILED };
  const [, user, token] = m as unknown as [string, string, string];
  let check: TokenCheck;
  try {
    check = opts.verifyToken(token);
  } catch {
    check = { ok: false, reason: 'verifyToken threw' };
  }
  if (!check.ok) return { ok: false, reply: AUTH_FAILED };
  if (opts.securityDefaults) return { ok: false, reply: SECURITY_DEFAULTS };
  if (opts.conditionalAccess) return { ok: false, reply: CONDITIONAL_ACCESS };
  const mailbox = opts.mailboxes.find((mb) => mb.upn.toLowerCase() === user.toLowerCase());
  // The mailbox's setting, when set, wins over the organization's (Microsoft: "the mailbox setting overrides").
  if (mailbox?.smtpClientAuthenticationDisabled === true) return { ok: false, reply: MAILBOX_DISABLED };
  if (mailbox?.smtpClientAuthenticationDisabled === undefined && opts.tenantSmtpAuthDisabled) return { ok: false, reply: TENANT_DISABLED };
  if (!mailbox) return { ok: false, reply: AUTH_FAILED };
  const { roles, appid, azp, oid, scp, upn } = check.claims;
  const objectId = String(oid ?? '').toLowerCase();
  const fullAccess = mailbox.fullAccess.some((id) => id.toLowerCase() === objectId);
  if (scp !== undefined) {
    const scopes = typeof scp === 'string' ? scp.split(' ') : [];
    const own = typeof upn === 'string' && upn.toLowerCase() === mailbox.upn.toLowerCase();
    return scopes.includes(USER_SCOPE) && (own || fullAccess) ? { ok: true, user, oid: objectId, delegatedUpn: String(upn) } : { ok: false, reply: AUTH_FAILED };
  }
  const appId = String(appid ?? azp ?? '').toLowerCase();
  const registered = opts.servicePrincipals.some((sp) => sp.toLowerCase() === appId);
  return Array.isArray(roles) && roles.includes(APP_ROLE) && registered && fullAccess ? { ok: true, user, oid: objectId } : { ok: false, reply: AUTH_FAILED };
}

class SmtpSession {
  private buf = '';
  private secure = false;
  private auth: { user: string; oid: string; delegatedUpn?: string } | null = null;
  private envelope: { from: string; to: string[] } | null = null;
  private waiter: ((line: string) => void) | null = null;
  private data: string[] | null = null;
  private closed = false;
  private readonly backend: string;

  constructor(
    private socket: Socket,
    private readonly opts: SmtpSandboxOptions,
    private readonly fault: SmtpFault | null,
    private readonly record: SmtpSessionRecord,
  ) {
    this.backend = opts.backendName ?? 'AM3PR05CA0094.outlook.office365.com';
    this.listen(socket);
    this.send(`220 ${this.backend} Microsoft ESMTP MAIL Service ready at ${new Date().toUTCString().replace('GMT', '+0000')}`);
  }

  private readonly onData = (chunk: Buffer) => {
    this.buf += chunk.toString('latin1');
    if (this.buf.length > MAX_LINE && this.data === null) return this.end('500 5.3.3 Line too long');
    for (let nl = this.buf.indexOf('\n'); nl >= 0 && !this.closed; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      this.onLine(line);
      if (this.upgrading) return; // the rest of the bytes belong to the TLS handshake
    }
  };
  private upgrading = false;

  private listen(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  /** Exchange's trailer: its server, the time, a session ID. */
  private trailer(): string {
    return ` [${this.backend.replace('.outlook.office365.com', '.prod.outlook.com')} ${new Date().toISOString()} ${randomBytes(8).toString('hex').toUpperCase()}]`;
  }

  private send(line: string): void {
    if (!this.closed && this.socket.writable) this.socket.write(`${line}\r\n`);
  }

  private end(line: string): void {
    this.send(line);
    this.closed = true;
    this.socket.end();
  }

  private ehloLines(): string[] {
    const tlsOrAuth = this.secure ? 'AUTH LOGIN XOAUTH2' : this.fault === 'no-starttls' ? null : 'STARTTLS';
    return ['SIZE 157286400', 'PIPELINING', 'DSN', 'ENHANCEDSTATUSCODES', ...(tlsOrAuth ? [tlsOrAuth] : []), '8BITMIME', 'BINARYMIME', 'CHUNKING', 'SMTPUTF8'];
  }

  private onLine(line: string): void {
    if (this.data !== null) {
      if (line !== '.') return void this.data.push(line.startsWith('.') ? line.slice(1) : line);
      return this.endOfData();
    }
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      this.record.commands.push(line === '' || line === '*' ? line : '<redacted>');
      return w(line);
    }
    const [verb = '', ...rest] = line.split(' ');
    const cmd = verb.toUpperCase();
    this.record.commands.push(cmd === 'AUTH' && rest.length > 1 ? `${verb} ${rest[0]} <redacted>` : line);
    switch (cmd) {
      case 'EHLO': {
        const lines = [`${this.backend} Hello [${this.socket.remoteAddress ?? '127.0.0.1'}]`, ...this.ehloLines()];
        lines.forEach((l, i) => this.send(`250${i === lines.length - 1 ? ' ' : '-'}${l}`));
        return;
      }
      case 'HELO':
        return this.send(`250 ${this.backend} Hello [${this.socket.remoteAddress ?? '127.0.0.1'}]`);
      case 'STARTTLS':
        if (this.secure || this.fault === 'no-starttls') return this.send('500 5.3.3 Unrecognized command \'STARTTLS\'');
        return this.startTls();
      case 'AUTH':
        return this.authenticate(rest);
      case 'MAIL':
        return this.mailFrom(line);
      case 'RCPT': {
        if (!this.auth) return this.send(`${NOT_AUTHENTICATED}${this.trailer()}`);
        if (!this.envelope) return this.send('503 5.5.2 Need mail command');
        const to = /^RCPT TO:\s*<([^>]*)>/i.exec(line)?.[1];
        if (!to) return this.send('501 5.5.4 Invalid arguments');
        this.envelope.to.push(to);
        return this.send('250 2.1.5 Recipient OK');
      }
      case 'DATA':
        if (!this.auth) return this.send(`${NOT_AUTHENTICATED}${this.trailer()}`);
        if (!this.envelope?.to.length) return this.send('503 5.5.2 Need rcpt command');
        this.data = [];
        return this.send('354 Start mail input; end with <CRLF>.<CRLF>');
      case 'RSET':
        this.envelope = null;
        return this.send('250 2.0.0 Resetting');
      case 'NOOP':
        return this.send('250 2.0.0 OK');
      case 'QUIT':
        return this.end('221 2.0.0 Service closing transmission channel');
      default:
        return this.send(`500 5.3.3 Unrecognized command '${verb.slice(0, 32)}'`);
    }
  }

  private startTls(): void {
    this.send('220 2.0.0 SMTP server ready');
    const plain = this.socket;
    plain.off('data', this.onData);
    this.upgrading = true;
    this.buf = ''; // anything pipelined after STARTTLS is discarded (RFC 3207 §4.2)
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: tls.createSecureContext({ key: this.opts.tls.keyPem, cert: this.opts.tls.certPem }) });
    secure.on('error', () => secure.destroy());
    secure.once('secure', () => {
      this.socket = secure;
      this.secure = true;
      this.record.tls = true;
      this.upgrading = false;
      this.auth = null;
      this.envelope = null;
      this.listen(secure);
    });
  }

  private authenticate(args: string[]): void {
    if (!this.secure) this.record.authBeforeTls = true;
    const mech = (args[0] ?? '').toUpperCase();
    if (this.auth) return this.send('503 5.5.2 Already authenticated');
    // Before STARTTLS Exchange offers no AUTH at all, so every mechanism is "unrecognized".
    if (!this.secure || (mech !== 'XOAUTH2' && mech !== 'LOGIN' && mech !== 'PLAIN')) return this.send(`${UNRECOGNIZED_AUTH}${this.trailer()}`);
    if (mech === 'LOGIN' || mech === 'PLAIN') {
      // Basic authentication (a password) is retired for client submission.
      const prompts = mech === 'LOGIN' ? ['334 VXNlcm5hbWU6', '334 UGFzc3dvcmQ6'] : args[1] ? [] : ['334 '];
      const next = (): void => {
        const prompt = prompts.shift();
        if (!prompt) return this.send(`${BASIC_NOT_SUPPORTED}${this.trailer()}`);
        this.send(prompt);
        this.waiter = () => next();
      };
      return next();
    }
    const verdict = (payload: string) => {
      if (payload === '*') return this.send('501 5.7.0 Authentication cancelled');
      if (this.fault === 'error-challenge') {
        this.send(`334 ${Buffer.from(JSON.stringify({ status: '401', schemes: 'bearer', scope: 'https://outlook.office365.com/.default' })).toString('base64')}`);
        this.waiter = () => this.send(`${AUTH_FAILED}${this.trailer()}`);
        return;
      }
      const decision = decideSmtp(payload, this.opts);
      if (!decision.ok) return this.send(`${decision.reply}${this.trailer()}`);
      this.auth = decision;
      this.record.authenticated = true;
      this.send('235 2.7.0 Authentication successful');
    };
    if (args[1] !== undefined) return verdict(args[1]);
    this.send('334 ');
    this.waiter = verdict;
  }

  private mailFrom(line: string): void {
    if (!this.auth) return this.send(`${NOT_AUTHENTICATED}${this.trailer()}`);
    const from = /^MAIL FROM:\s*<([^>]*)>/i.exec(line)?.[1];
    if (from === undefined) return this.send('501 5.5.4 Invalid arguments');
    // Another address than the one logged in as needs SendAs on it.
    if (from.toLowerCase() !== this.auth.user.toLowerCase() && !this.canSendAs(from)) return this.send(SEND_AS_MAIL_FROM);
    this.envelope = { from, to: [] };
    this.send('250 2.1.0 Sender OK');
  }

  private canSendAs(address: string): boolean {
    const mailbox = this.opts.mailboxes.find((mb) => mb.upn.toLowerCase() === address.toLowerCase());
    if (!mailbox || !this.auth) return false;
    if (this.auth.delegatedUpn?.toLowerCase() === mailbox.upn.toLowerCase()) return true;
    return (mailbox.sendAs ?? []).some((id) => id.toLowerCase() === this.auth!.oid);
  }

  private endOfData(): void {
    const data = this.data!.join('\r\n');
    this.data = null;
    const envelope = this.envelope!;
    this.envelope = null;
    // The store submits the message as its From mailbox: without SendAs, refused after DATA.
    if (!this.canSendAs(envelope.from)) {
      return this.send(
        `554 5.2.252 SendAsDenied; ${this.auth!.user} not allowed to send as ${envelope.from}; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message.${this.trailer()}`,
      );
    }
    this.record.messages.push({ from: envelope.from, to: envelope.to, data });
    this.send(`250 2.0.0 OK <${randomBytes(12).toString('hex')}@${this.backend}> [Hostname=${this.backend.split('.')[0]}]`);
  }
}

export async function startSmtpSandbox(opts: SmtpSandboxOptions): Promise<SmtpSandbox> {
  const { createServer } = await import('node:net');
  let fault = opts.fault ?? null;
  const sessions: SmtpSessionRecord[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const record: SmtpSessionRecord = { commands: [], authBeforeTls: false, tls: false, authenticated: false, messages: [] };
    sessions.push(record);
    try {
      new SmtpSession(socket, opts, fault, record);
    } catch {
      socket.destroy();
    }
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => (server.off('error', reject), resolve()));
  });
  server.on('error', () => undefined);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    sessions,
    setFault: (f) => void (fault = f),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      })),
  };
}
