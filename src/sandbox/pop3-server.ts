// An in-process POP3 server that answers like Exchange Online (outlook.office365.com:995, implicit
// TLS) for an OAuth login, so the demo and the tests run without a Microsoft account. Wording from
// Microsoft's "Authenticate an IMAP, POP or SMTP connection using OAuth" (the POP exchange: "+",
// "+OK User successfully authenticated.", "-ERR Authentication failure: unknown user name or bad
// password.") and public transcripts (greeting, CAPA: email-oauth2-proxy#62, kisli/vmime#267; the
// one-line AUTH refusal: getmail6#256). Never writes to stdout/stderr; per-connection errors are
// swallowed (clients drop connections mid-command all the time).
import tls from 'node:tls';
import type { Socket } from 'node:net';
import type { SandboxMailbox, TokenCheck } from './imap-server.js';

export interface PopSandboxMailbox extends SandboxMailbox {
  /** Set-CASMailbox -PopEnabled; default true. */
  popEnabled?: boolean;
}

export type PopFault =
  | 'hang-at-greeting' // TLS up, never a greeting
  | 'no-xoauth2' // CAPA without XOAUTH2 in its SASL line
  | 'error-challenge' // "+ <base64 JSON>" to the payload, then -ERR after the client's answer
  | 'close-mid-auth'; // read the payload, then drop the connection

export interface PopSandboxOptions {
  tls: { keyPem: string; certPem: string };
  host?: string;
  port?: number;
  verifyToken(token: string): TokenCheck;
  /** App IDs registered with New-ServicePrincipal. */
  servicePrincipals: string[];
  mailboxes: PopSandboxMailbox[];
  fault?: PopFault | null;
  backendName?: string;
}

export interface PopSessionRecord {
  /** Client lines; SASL payloads are '<redacted>'. */
  commands: string[];
  authenticated: boolean;
  user?: string;
}

export interface PopSandbox {
  host: string;
  port: number;
  sessions: PopSessionRecord[];
  setFault(f: PopFault | null): void;
  close(): Promise<void>;
}

const AUTH_FAILED = '-ERR Authentication failure: unknown user name or bad password.';
const PROTOCOL_ERROR = '-ERR Protocol error. Connection is closed. 10';
const APP_ROLE = 'POP.AccessAsApp';
const USER_SCOPE = 'POP.AccessAsUser.All';
const MAX_LINE = 64 * 1024;

export function exchangePopGreeting(backendName: string): string {
  return `+OK The Microsoft Exchange POP3 service is ready. [${Buffer.from(backendName, 'utf16le').toString('base64')}]`;
}

/** The mailbox an XOAUTH2 payload may open, or null (Exchange's one answer for every refusal). */
export function decidePop(payload: string, opts: Pick<PopSandboxOptions, 'verifyToken' | 'servicePrincipals' | 'mailboxes'>): { user: string; mailbox: PopSandboxMailbox } | null {
  const text = Buffer.from(payload, 'base64').toString('utf8');
  const m = /^user=([^\x01]+)\x01auth=Bearer ([^\x01]+)\x01\x01$/.exec(text);
  if (!m) return null;
  const [, user, token] = m as unknown as [string, string, string];
  let check: TokenCheck;
  try {
    check = opts.verifyToken(token);
  } catch {
    return null;
  }
  if (!check.ok) return null;
  const { roles, appid, azp, oid, scp, upn } = check.claims;
  const mailbox = opts.mailboxes.find((mb) => mb.upn.toLowerCase() === user.toLowerCase());
  if (!mailbox || mailbox.popEnabled === false) return null;
  const objectId = String(oid ?? '').toLowerCase();
  const fullAccess = mailbox.fullAccess.some((id) => id.toLowerCase() === objectId);
  if (scp !== undefined) {
    const scopes = typeof scp === 'string' ? scp.split(' ') : [];
    const own = typeof upn === 'string' && upn.toLowerCase() === mailbox.upn.toLowerCase();
    return scopes.includes(USER_SCOPE) && (own || fullAccess) ? { user, mailbox } : null;
  }
  const appId = String(appid ?? azp ?? '').toLowerCase();
  const registered = opts.servicePrincipals.some((sp) => sp.toLowerCase() === appId);
  return Array.isArray(roles) && roles.includes(APP_ROLE) && registered && fullAccess ? { user, mailbox } : null;
}

class PopSession {
  private buf = '';
  private waiter: ((line: string) => void) | null = null;
  private mailbox: PopSandboxMailbox | null = null;
  private closed = false;

  constructor(
    private readonly socket: tls.TLSSocket,
    private readonly opts: PopSandboxOptions,
    private readonly fault: PopFault | null,
    private readonly record: PopSessionRecord,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buf += chunk.toString('latin1');
      if (this.buf.length > MAX_LINE) return this.end(PROTOCOL_ERROR);
      for (let nl = this.buf.indexOf('\n'); nl >= 0 && !this.closed; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl).replace(/\r$/, '');
        this.buf = this.buf.slice(nl + 1);
        this.onLine(line);
      }
    });
    socket.on('close', () => (this.closed = true));
    if (fault !== 'hang-at-greeting') this.send(exchangePopGreeting(opts.backendName ?? 'SN6PR01CA0001.namprd01.prod.outlook.com'));
  }

  private send(line: string): void {
    if (!this.closed && this.socket.writable) this.socket.write(`${line}\r\n`);
  }

  private end(line: string): void {
    this.send(line);
    this.closed = true;
    this.socket.end();
  }

  private onLine(line: string): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      this.record.commands.push(line === '' || line === '*' ? line : '<redacted>');
      return w(line);
    }
    const [verb = '', ...rest] = line.split(' ');
    const cmd = verb.toUpperCase();
    this.record.commands.push(cmd === 'AUTH' && rest.length > 1 ? `${verb} ${rest[0]} <redacted>` : cmd === 'PASS' ? 'PASS <redacted>' : line);
    if (this.fault === 'hang-at-greeting') return;
    switch (cmd) {
      case 'CAPA':
        this.send('+OK');
        for (const c of ['TOP', 'UIDL', this.fault === 'no-xoauth2' ? 'SASL PLAIN' : 'SASL PLAIN XOAUTH2', 'USER', '.']) this.send(c);
        return;
      case 'AUTH':
        return this.auth(rest);
      case 'USER':
        return this.send(this.mailbox ? '-ERR Command is not valid in this state.' : '+OK');
      case 'PASS':
        // Basic authentication is off in Exchange Online.
        return this.send('-ERR Logon failure: unknown user name or bad password.');
      case 'STAT': {
        if (!this.mailbox) return this.send('-ERR Command is not valid in this state.');
        return this.send(`+OK ${this.mailbox.messages} ${this.mailbox.messages * 1024}`);
      }
      case 'NOOP':
        return this.send('+OK');
      case 'QUIT':
        return this.end('+OK Microsoft Exchange Server POP3 server signing off.');
      default:
        return this.send('-ERR Protocol error. 14');
    }
  }

  private auth(args: string[]): void {
    if (this.mailbox) return this.send('-ERR Command is not valid in this state.');
    const mech = (args[0] ?? '').toUpperCase();
    if (mech !== 'XOAUTH2' || this.fault === 'no-xoauth2') return this.send('-ERR Unrecognized authentication type.');
    // Exchange refuses the RFC 5034 initial response on the AUTH line (see the file header).
    if (args.length > 1) return this.end(PROTOCOL_ERROR);
    this.send('+ ');
    this.waiter = (payload) => {
      if (payload === '*') return this.send('-ERR Authentication cancelled.');
      if (this.fault === 'close-mid-auth') return void this.socket.destroy();
      if (this.fault === 'error-challenge') {
        this.send(`+ ${Buffer.from(JSON.stringify({ status: '401', schemes: 'bearer', scope: 'https://outlook.office365.com/.default' })).toString('base64')}`);
        this.waiter = () => this.send(AUTH_FAILED);
        return;
      }
      const decision = decidePop(payload, this.opts);
      if (!decision) return this.send(AUTH_FAILED);
      this.mailbox = decision.mailbox;
      this.record.authenticated = true;
      this.record.user = decision.user;
      this.send('+OK User successfully authenticated.');
    };
  }
}

export async function startPopSandbox(opts: PopSandboxOptions): Promise<PopSandbox> {
  let fault = opts.fault ?? null;
  const sessions: PopSessionRecord[] = [];
  const sockets = new Set<Socket>();
  const server = tls.createServer({ key: opts.tls.keyPem, cert: opts.tls.certPem });
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  server.on('connection', track);
  server.on('tlsClientError', () => undefined);
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    track(socket);
    const record: PopSessionRecord = { commands: [], authenticated: false };
    sessions.push(record);
    try {
      new PopSession(socket, opts, fault, record);
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
