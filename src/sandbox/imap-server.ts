// An in-process IMAP server that answers like Exchange Online (outlook.office365.com:993) for an
// app-only OAuth login, so `imap-oauth demo` and the end-to-end tests can run without a Microsoft
// account. It implements just enough of RFC 3501 (plus SASL-IR, RFC 4959, and the XOAUTH2 framing
// of RFC 7628) for any client to log in and open INBOX, copies Exchange's wording on the wire, and
// can be told to misbehave in the ways real servers and middleboxes do (`ImapFault`).
//
// It never writes to stdout/stderr, and every per-connection error is swallowed: clients killing
// their connection mid-command is normal, and a fault server must outlive the faults it provokes.
import tls from 'node:tls';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

export type TokenCheck = { ok: true; claims: Record<string, unknown> } | { ok: false; reason: string };

export interface SandboxMailbox {
  upn: string;
  messages: number;
  /** Set-CASMailbox -ImapEnabled; default true. */
  imapEnabled?: boolean;
  /**
   * Object IDs (the token's `oid`) granted FullAccess (Add-MailboxPermission): service principals for
   * app-only tokens, users for delegated ones (a shared mailbox). A delegated token always reaches the
   * mailbox of its own `upn`.
   */
  fullAccess: string[];
}

export type ImapFault =
  | 'hang-at-greeting' // accept TCP/TLS, never send a greeting
  | 'bye-at-greeting' // '* BYE Connection refused' then close
  | 'garbage' // random non-IMAP bytes instead of a greeting, then close
  | 'no-xoauth2' // CAPABILITY without AUTH=XOAUTH2 (AUTH=PLAIN only)
  | 'close-mid-authenticate' // read the AUTHENTICATE command, then destroy the socket
  | 'error-challenge' // '+ <base64 JSON error>', wait for the client's answer, then NO
  | 'untagged-bad' // '* BAD Command Error. 10' then a tagged BAD to AUTHENTICATE
  | 'ok-then-bad' // AUTHENTICATE → OK, then everything but LOGOUT → BAD ... not connected.
  | 'bye-after-auth' // after OK AUTHENTICATE, the next command gets '* BYE ...' and the socket closes
  | 'hang-after-auth' // after OK AUTHENTICATE, never answer anything again
  | 'reject-auth'; // AUTHENTICATE → 'NO AUTHENTICATE failed.' whatever the token

export interface ImapSandboxOptions {
  tls: { keyPem: string; certPem: string };
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Signature / expiry / audience check, supplied by the caller. May throw (treated as a rejection). */
  verifyToken(token: string): TokenCheck;
  /** App IDs (the token's `appid`) registered in Exchange with New-ServicePrincipal (app-only tokens only). */
  servicePrincipals: string[];
  mailboxes: SandboxMailbox[];
  /** Default 'IMAP.AccessAsApp'. */
  requiredRole?: string;
  /** Applies to connections accepted after it is set (see `setFault`). */
  fault?: ImapFault | null;
  /** Named in the greeting; default 'SN6PR01CA0001.namprd01.prod.outlook.com'. */
  backendName?: string;
  /** 'backend-authenticate': the greeting Exchange sends since late 2025, with "(BACKENDAUTHENTICATE)" before the backend. */
  greetingStyle?: 'classic' | 'backend-authenticate';
}

export interface SessionRecord {
  /** Client lines as received (literals inline); AUTHENTICATE payloads and LOGIN arguments are '<redacted>'. */
  commands: string[];
  /** True once AUTHENTICATE was answered OK (even if the mailbox is then "not connected"). */
  authenticated: boolean;
  /** The SASL `user=` of the accepted AUTHENTICATE. */
  user?: string;
}

export interface ImapSandbox {
  host: string;
  port: number;
  /** One record per accepted TLS connection, in order. */
  sessions: SessionRecord[];
  /** Changes the fault for connections accepted from now on; open sessions keep theirs. */
  setFault(f: ImapFault | null): void;
  /** Stops listening and destroys every open socket (hung sessions included). */
  close(): Promise<void>;
}

/** Exchange's greeting: the bracketed part is base64 of the UTF-16LE backend server name. */
export function exchangeGreeting(backendName: string, style: ImapSandboxOptions['greetingStyle'] = 'classic'): string {
  const marker = style === 'backend-authenticate' ? ' (BACKENDAUTHENTICATE)' : '';
  return `* OK The Microsoft Exchange IMAP4 service is ready.${marker} [${Buffer.from(backendName, 'utf16le').toString('base64')}]`;
}

// ---------------------------------------------------------------------------------------------
// Wire constants (Exchange's own wording, so that clients' error handling sees what it will see
// in production).

const MAX_LINE = 64 * 1024;
// As Exchange Online lists them in collected transcripts: after login the AUTH= entries stay and
// Exchange's own extensions appear.
const CAPS_BEFORE_AUTH = 'IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+';
const CAPS_AFTER_AUTH =
  'IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CLIENTACCESSRULES CLIENTNETWORKPRESENCELOCATION BACKENDAUTHENTICATE CHILDREN IDLE NAMESPACE LITERAL+';
const AUTH_FAILED = 'NO AUTHENTICATE failed.';
/** The delegated permission a user token needs (Office 365 Exchange Online). */
const DELEGATED_SCOPE = 'IMAP.AccessAsUser.All';
const NOT_CONNECTED = 'BAD User is authenticated but not connected.';
/** What Exchange sends after the second command refused as "not connected", before it closes. */
const NOT_CONNECTED_BYE = '* BYE Connection closed. 14';
const INVALID_STATE = 'BAD Command received in Invalid state.';
const UNKNOWN_COMMAND = 'BAD Command Error. 12';
const ARGUMENT_ERROR = 'BAD Command Argument Error. 11';
const FLAGS = '\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent';
const UIDVALIDITY = 14;
// What a server that does send an RFC 7628 error challenge puts in it (Exchange itself never does).
const ERROR_CHALLENGE = Buffer.from(
  JSON.stringify({ status: '401', schemes: 'bearer', scope: 'https://outlook.office365.com/.default' }),
).toString('base64');

interface Folder {
  name: string;
  attributes: string;
  count(mailbox: SandboxMailbox): number;
}
const FOLDERS: Folder[] = [
  { name: 'INBOX', attributes: '\\HasNoChildren', count: (m) => m.messages },
  { name: 'Sent Items', attributes: '\\HasNoChildren \\Sent', count: () => 0 },
];

// ---------------------------------------------------------------------------------------------
// The AUTHENTICATE XOAUTH2 decision, as Exchange makes it.

type AuthDecision =
  | { result: 'rejected' }
  // `mailbox` null: Exchange has accepted the token but will not open the mailbox, and says so
  // only on the next command ("User is authenticated but not connected.").
  | { result: 'accepted'; user: string; mailbox: SandboxMailbox | null };

/** Decodes `user=<upn>^Aauth=Bearer <token>^A^A`; null when the payload is not exactly that. */
function parseXoauth2(base64: string): { user: string; token: string } | null {
  if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return null;
  const text = Buffer.from(base64, 'base64').toString('utf8');
  if (!text.endsWith('\x01\x01')) return null;
  const fields = new Map<string, string>();
  for (const field of text.slice(0, -2).split('\x01')) {
    const eq = field.indexOf('=');
    if (eq <= 0) return null;
    fields.set(field.slice(0, eq), field.slice(eq + 1));
  }
  const user = fields.get('user');
  const bearer = /^Bearer (\S+)$/i.exec(fields.get('auth') ?? '');
  return user && bearer?.[1] ? { user, token: bearer[1] } : null;
}

function decideXoauth2(response: string, opts: ImapSandboxOptions): AuthDecision {
  const request = parseXoauth2(response);
  if (!request) return { result: 'rejected' };
  let check: TokenCheck;
  try {
    check = opts.verifyToken(request.token);
  } catch {
    check = { ok: false, reason: 'verifyToken threw' };
  }
  if (!check.ok) return { result: 'rejected' };
  const { roles, appid, azp, oid, scp, upn } = check.claims;
  const mailbox = opts.mailboxes.find((m) => m.upn.toLowerCase() === request.user.toLowerCase());
  const objectId = String(oid ?? '').toLowerCase();
  const hasFullAccess = (m: SandboxMailbox) => m.fullAccess.some((id) => id.toLowerCase() === objectId);
  let entitled: boolean;
  if (scp !== undefined) {
    // Delegated token (it carries `scp`, not `roles`): the signed-in user must have been granted
    // IMAP.AccessAsUser.All; no Exchange service principal is involved. The user reaches their own
    // mailbox, or one whose FullAccess lists their object ID (a shared mailbox).
    const scopes = typeof scp === 'string' ? scp.split(' ') : [];
    if (!scopes.includes(DELEGATED_SCOPE) || typeof upn !== 'string' || !upn) return { result: 'rejected' };
    entitled = mailbox !== undefined && (mailbox.upn.toLowerCase() === upn.toLowerCase() || hasFullAccess(mailbox));
  } else {
    // App-only token. Token-level authorisation fails the command itself: the app role must have
    // been granted (admin consent for Office 365 Exchange Online / IMAP.AccessAsApp) and the app must
    // exist as an Exchange service principal. v1 tokens (what outlook.office365.com/.default yields)
    // carry the client in `appid`, v2 tokens in `azp`. GUIDs compare case-insensitively.
    const role = opts.requiredRole ?? 'IMAP.AccessAsApp';
    if (!Array.isArray(roles) || !roles.includes(role)) return { result: 'rejected' };
    const appId = String(appid ?? azp ?? '').toLowerCase();
    if (!opts.servicePrincipals.some((sp) => sp.toLowerCase() === appId)) return { result: 'rejected' };
    entitled = mailbox !== undefined && hasFullAccess(mailbox);
  }
  // Mailbox-level authorisation is only checked when Exchange tries to open the mailbox, after it
  // has already said OK: unknown mailbox, IMAP disabled, or no access for this principal.
  const connected = mailbox !== undefined && mailbox.imapEnabled !== false && entitled;
  return { result: 'accepted', user: request.user, mailbox: connected ? mailbox : null };
}

// ---------------------------------------------------------------------------------------------
// Line reader: splits the byte stream into command lines, with literals ({n} and {n+}) appended
// inline as `{n}\r\n<bytes>` so the tokenizer sees exactly what came over the wire. Bytes are
// kept as latin1 so literal lengths count bytes, not UTF-8 characters.

class LineReader {
  private buf: Buffer = Buffer.alloc(0);
  private acc = ''; // the command assembled so far (line parts and literals)
  private literalLeft: number | null = null;
  /** False while a SASL/IDLE response line is expected: those are not commands and have no literals. */
  literals = true;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onSyncLiteral: () => void, // client waits for '+' before sending the literal
    private readonly onOverflow: () => void,
    private readonly stopped: () => boolean,
  ) {}

  push(chunk: Buffer): void {
    if (this.stopped()) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (!this.stopped()) {
      if (this.literalLeft !== null) {
        const n = Math.min(this.literalLeft, this.buf.length);
        this.acc += this.buf.subarray(0, n).toString('latin1');
        this.buf = this.buf.subarray(n);
        this.literalLeft -= n;
        if (this.literalLeft > 0) return;
        this.literalLeft = null;
        continue;
      }
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0) {
        if (this.acc.length + this.buf.length > MAX_LINE) this.onOverflow();
        return;
      }
      const part = this.buf.subarray(0, nl > 0 && this.buf[nl - 1] === 0x0d ? nl - 1 : nl).toString('latin1');
      this.buf = this.buf.subarray(nl + 1);
      this.acc += part;
      if (this.acc.length > MAX_LINE) return this.onOverflow();
      const literal = this.literals ? /\{(\d{1,10})(\+?)\}$/.exec(part) : null;
      if (literal) {
        const size = Number(literal[1]);
        if (this.acc.length + size > MAX_LINE) return this.onOverflow();
        this.acc += '\r\n';
        this.literalLeft = size;
        if (!literal[2]) this.onSyncLiteral();
        continue;
      }
      const line = this.acc;
      this.acc = '';
      this.onLine(line);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Tokenizer for command arguments: atoms, quoted strings, literals, parenthesised lists.

type Arg = string | Arg[];

function parseArgs(text: string): Arg[] {
  const root: Arg[] = [];
  const stack: Arg[][] = [root];
  const atom = /[^\s()"{]+/y;
  const literal = /\{(\d+)\+?\}\r\n/y;
  let i = 0;
  while (i < text.length) {
    const top = stack[stack.length - 1]!;
    const c = text[i];
    if (c === ' ') {
      i++;
    } else if (c === '(') {
      const list: Arg[] = [];
      top.push(list);
      stack.push(list);
      i++;
    } else if (c === ')') {
      if (stack.length === 1) throw new Error('unbalanced )');
      stack.pop();
      i++;
    } else if (c === '"') {
      let value = '';
      for (i++; ; i++) {
        if (i >= text.length) throw new Error('unterminated string');
        const ch = text[i]!;
        if (ch === '"') break;
        if (ch === '\\') i++;
        value += text[i] ?? '';
      }
      top.push(value);
      i++;
    } else if (c === '{') {
      literal.lastIndex = i;
      const m = literal.exec(text);
      if (!m) throw new Error('bad literal');
      const start = i + m[0].length;
      const end = start + Number(m[1]);
      if (end > text.length) throw new Error('short literal');
      top.push(text.slice(start, end));
      i = end;
    } else {
      atom.lastIndex = i;
      const m = atom.exec(text);
      if (!m) throw new Error('unexpected character');
      top.push(m[0]);
      i += m[0].length;
    }
  }
  if (stack.length !== 1) throw new Error('unbalanced (');
  return root;
}

function quote(name: string): string {
  return /^[A-Za-z0-9._-]+$/.test(name) ? name : `"${name.replace(/["\\]/g, '\\$&')}"`;
}

/** RFC 3501 LIST pattern: `*` matches anything, `%` anything but the hierarchy delimiter. */
function matchFolders(pattern: string): Folder[] {
  const source = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/%/g, '[^/]*');
  const re = new RegExp(`^${source}$`, 'i');
  return FOLDERS.filter((f) => re.test(f.name));
}

// ---------------------------------------------------------------------------------------------
// One connection.

type State = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

class Session {
  state: State = 'not-authenticated';
  /** The opened mailbox; null when authenticated but not connected. */
  mailbox: SandboxMailbox | null = null;
  /** After an OK AUTHENTICATE that did not connect: the only commands that still work. */
  allowedWhenNotConnected: ReadonlySet<string> | null = null;
  selected: Folder | null = null;
  /** Hang faults: keep reading (and recording), never answer. */
  silent = false;
  /** bye-after-auth: the next command ends the connection. */
  byeOnNextCommand = false;
  /** Commands refused with "not connected" so far: the second one ends the session. */
  notConnectedCount = 0;
  private closed = false;
  private waiter: ((line: string) => void) | null = null;
  private readonly reader: LineReader;

  constructor(
    readonly socket: tls.TLSSocket,
    readonly opts: ImapSandboxOptions,
    readonly fault: ImapFault | null,
    readonly record: SessionRecord,
  ) {
    this.reader = new LineReader(
      (line) => this.onLine(line),
      () => this.send('+ Ready for additional command text.'),
      () => this.bye('* BYE Command line too long.'),
      () => this.closed,
    );
    socket.on('data', (chunk: Buffer) => {
      // One TLS write per batch of answers instead of one per line.
      socket.cork();
      try {
        this.reader.push(chunk);
      } catch {
        this.destroy(); // a bug here must cost one connection, never the server
      }
      socket.uncork();
    });
    socket.on('close', () => (this.closed = true));
    this.greet();
  }

  private greet(): void {
    switch (this.fault) {
      case 'hang-at-greeting':
        this.silent = true;
        return;
      case 'bye-at-greeting':
        return this.bye('* BYE Connection refused');
      case 'garbage': {
        const junk = randomBytes(96);
        junk[0] = 0x00; // never accidentally '*'
        this.socket.end(Buffer.concat([junk, Buffer.from('\r\n')]));
        this.closed = true;
        return;
      }
      default:
        this.send(exchangeGreeting(this.opts.backendName ?? 'SN6PR01CA0001.namprd01.prod.outlook.com', this.opts.greetingStyle));
    }
  }

  send(line: string): void {
    if (!this.closed && !this.silent && this.socket.writable) this.socket.write(`${line}\r\n`, 'latin1');
  }

  tagged(tag: string, text: string): void {
    this.send(`${tag} ${text}`);
  }

  /** Sends a last line (if any) and closes gracefully. */
  bye(line?: string): void {
    if (line !== undefined) this.send(line);
    this.closed = true;
    this.socket.end();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  /** The next line is a continuation answer (SASL response, IDLE's DONE), not a command. */
  waitLine(handler: (line: string) => void): void {
    this.waiter = handler;
    this.reader.literals = false;
  }

  private onLine(line: string): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      this.reader.literals = true;
      // Keep an empty line or a '*' cancel visible: tests assert that clients answer challenges.
      this.record.commands.push(line === '' || line === '*' || line === 'DONE' ? line : '<redacted>');
      if (!this.silent) waiter(line);
      return;
    }
    this.record.commands.push(line.replace(/^(\S+ (?:AUTHENTICATE \S+|LOGIN)) .*$/is, '$1 <redacted>'));
    if (this.silent) return;
    if (this.byeOnNextCommand) return this.bye('* BYE Connection is closed. 13');

    const head = /^([^\x00-\x20(){%*"\\\]+\x7f]+)(?: (\S+)(?: ([\s\S]*))?)?$/.exec(line);
    if (!head) return this.send('* BAD Command Error. 10');
    const tag = head[1]!;
    const name = (head[2] ?? '').toUpperCase();
    const command = COMMANDS[name];
    if (!command) return this.tagged(tag, UNKNOWN_COMMAND);
    if (this.allowedWhenNotConnected && !this.allowedWhenNotConnected.has(name)) {
      this.tagged(tag, NOT_CONNECTED);
      if (++this.notConnectedCount >= 2) this.bye(NOT_CONNECTED_BYE);
      return;
    }
    if (!command.states.includes(this.state)) return this.tagged(tag, INVALID_STATE);
    let args: Arg[];
    try {
      args = parseArgs(head[3] ?? '');
    } catch {
      return this.tagged(tag, ARGUMENT_ERROR);
    }
    command.run(this, tag, args);
  }
}

// ---------------------------------------------------------------------------------------------
// AUTHENTICATE: gets the SASL response (initial response or after an empty '+ ' challenge),
// then answers according to the fault or to decideXoauth2.

function authenticate(s: Session, tag: string, args: Arg[]): void {
  const [mechanism, initial] = args;
  if (typeof mechanism !== 'string' || args.length > 2 || (initial !== undefined && typeof initial !== 'string')) {
    return s.tagged(tag, ARGUMENT_ERROR);
  }
  if (s.fault === 'close-mid-authenticate') return s.destroy();
  if (s.fault === 'untagged-bad') {
    s.send('* BAD Command Error. 10');
    return s.tagged(tag, 'BAD Command Error. 10');
  }
  const mech = mechanism.toUpperCase();
  const offered = mech === 'PLAIN' || (mech === 'XOAUTH2' && s.fault !== 'no-xoauth2');
  if (!offered) return s.tagged(tag, ARGUMENT_ERROR);

  withSaslResponse(s, tag, initial, (response) => {
    // Basic auth is off in Exchange Online: PLAIN always fails, as it does there.
    if (mech === 'PLAIN' || s.fault === 'reject-auth') return s.tagged(tag, AUTH_FAILED);
    if (s.fault === 'error-challenge') {
      // RFC 7628 §3.2.2: the client must answer the error challenge (normally with an empty
      // response) before the server completes the command. A client that never answers hangs.
      s.send(`+ ${ERROR_CHALLENGE}`);
      return s.waitLine((answer) => s.tagged(tag, answer === '*' ? 'BAD AUTHENTICATE cancelled.' : AUTH_FAILED));
    }
    if (s.fault === 'ok-then-bad') {
      accept(s, tag, parseXoauth2(response)?.user, null, new Set(['LOGOUT']));
      return;
    }
    const decision = decideXoauth2(response, s.opts);
    if (decision.result === 'rejected') return s.tagged(tag, AUTH_FAILED);
    accept(s, tag, decision.user, decision.mailbox, new Set(['LOGOUT', 'CAPABILITY', 'NOOP']));
  });
}

function withSaslResponse(s: Session, tag: string, initial: string | undefined, next: (response: string) => void): void {
  // RFC 4959: "=" is an empty initial response.
  if (initial !== undefined) return next(initial === '=' ? '' : initial);
  s.send('+ ');
  s.waitLine((line) => (line === '*' ? s.tagged(tag, 'BAD AUTHENTICATE cancelled.') : next(line)));
}

function accept(
  s: Session,
  tag: string,
  user: string | undefined,
  mailbox: SandboxMailbox | null,
  allowedWhenNotConnected: ReadonlySet<string>,
): void {
  s.state = 'authenticated';
  s.mailbox = mailbox;
  if (!mailbox) s.allowedWhenNotConnected = allowedWhenNotConnected;
  s.record.authenticated = true;
  if (user !== undefined) s.record.user = user;
  s.tagged(tag, 'OK AUTHENTICATE completed.');
  if (s.fault === 'hang-after-auth') s.silent = true;
  if (s.fault === 'bye-after-auth') s.byeOnNextCommand = true;
}

// ---------------------------------------------------------------------------------------------
// Command table.

interface Command {
  states: readonly State[];
  run(s: Session, tag: string, args: Arg[]): void;
}

const ANY: readonly State[] = ['not-authenticated', 'authenticated', 'selected'];
const AUTHED: readonly State[] = ['authenticated', 'selected'];
const SELECTED: readonly State[] = ['selected'];

function findFolder(name: Arg | undefined): Folder | undefined {
  return typeof name === 'string' ? FOLDERS.find((f) => f.name.toLowerCase() === name.toLowerCase()) : undefined;
}

function list(kind: 'LIST' | 'LSUB'): Command {
  return {
    states: AUTHED,
    run(s, tag, args) {
      if (Array.isArray(args[0])) args = args.slice(1); // LIST-EXTENDED selection options
      const [reference, pattern] = args;
      if (typeof reference !== 'string' || typeof pattern !== 'string') return s.tagged(tag, ARGUMENT_ERROR);
      if (pattern === '') {
        s.send(`* ${kind} (\\Noselect) "/" ""`); // RFC 3501 6.3.8: the hierarchy delimiter
      } else {
        for (const f of matchFolders(reference + pattern)) s.send(`* ${kind} (${f.attributes}) "/" ${quote(f.name)}`);
      }
      s.tagged(tag, `OK ${kind} completed.`);
    },
  };
}

function open(kind: 'SELECT' | 'EXAMINE'): Command {
  return {
    states: AUTHED,
    run(s, tag, args) {
      const folder = findFolder(args[0]);
      s.state = 'authenticated'; // RFC 3501: a SELECT, even a failed one, closes the current mailbox
      s.selected = null;
      if (!folder || !s.mailbox) return s.tagged(tag, "NO Mailbox doesn't exist.");
      const exists = folder.count(s.mailbox);
      s.send(`* ${exists} EXISTS`);
      s.send('* 0 RECENT');
      s.send(`* FLAGS (${FLAGS})`);
      s.send(`* OK [PERMANENTFLAGS (${kind === 'SELECT' ? FLAGS : ''})] Permanent flags`);
      s.send(`* OK [UIDVALIDITY ${UIDVALIDITY}] UIDVALIDITY value`);
      s.send(`* OK [UIDNEXT ${exists + 1}] The next unique identifier value`);
      s.state = 'selected';
      s.selected = folder;
      s.tagged(tag, kind === 'SELECT' ? 'OK [READ-WRITE] SELECT completed.' : 'OK [READ-ONLY] EXAMINE completed.');
    },
  };
}

function unselect(name: string): Command {
  return {
    states: SELECTED,
    run(s, tag) {
      s.state = 'authenticated';
      s.selected = null;
      s.tagged(tag, `OK ${name} completed.`);
    },
  };
}

const COMMANDS: Record<string, Command> = {
  CAPABILITY: {
    states: ANY,
    run(s, tag) {
      const caps = s.state === 'not-authenticated' ? CAPS_BEFORE_AUTH : CAPS_AFTER_AUTH;
      s.send(`* CAPABILITY ${s.fault === 'no-xoauth2' ? caps.replace(' AUTH=XOAUTH2', '') : caps}`);
      s.tagged(tag, 'OK CAPABILITY completed.');
    },
  },
  NOOP: { states: ANY, run: (s, tag) => s.tagged(tag, 'OK NOOP completed.') },
  LOGOUT: {
    states: ANY,
    run(s, tag) {
      s.state = 'logout';
      s.send('* BYE Microsoft Exchange Server IMAP4 server signing off.');
      s.tagged(tag, 'OK LOGOUT completed.');
      s.bye();
    },
  },
  ID: {
    states: ANY,
    run(s, tag) {
      s.send('* ID NIL');
      s.tagged(tag, 'OK ID completed.');
    },
  },
  STARTTLS: { states: [], run: () => undefined }, // implicit TLS: always "invalid state"
  AUTHENTICATE: { states: ['not-authenticated'], run: authenticate },
  LOGIN: { states: ['not-authenticated'], run: (s, tag) => s.tagged(tag, 'NO LOGIN failed.') },
  NAMESPACE: {
    states: AUTHED,
    run(s, tag) {
      s.send('* NAMESPACE (("" "/")) NIL NIL');
      s.tagged(tag, 'OK NAMESPACE completed.');
    },
  },
  ENABLE: {
    states: AUTHED,
    run(s, tag) {
      s.send('* ENABLED'); // RFC 5161: unknown extensions are ignored; we enable none
      s.tagged(tag, 'OK ENABLE completed.');
    },
  },
  LIST: list('LIST'),
  LSUB: list('LSUB'),
  SELECT: open('SELECT'),
  EXAMINE: open('EXAMINE'),
  STATUS: {
    states: AUTHED,
    run(s, tag, args) {
      const folder = findFolder(args[0]);
      const items = args[1];
      if (!Array.isArray(items)) return s.tagged(tag, ARGUMENT_ERROR);
      if (!folder || !s.mailbox) return s.tagged(tag, "NO Mailbox doesn't exist.");
      const exists = folder.count(s.mailbox);
      const values: Record<string, number> = { MESSAGES: exists, RECENT: 0, UIDNEXT: exists + 1, UIDVALIDITY, UNSEEN: 0 };
      const out = items.flatMap((item) => {
        const key = typeof item === 'string' ? item.toUpperCase() : '';
        return key in values ? [`${key} ${values[key]}`] : [];
      });
      s.send(`* STATUS ${quote(folder.name)} (${out.join(' ')})`);
      s.tagged(tag, 'OK STATUS completed.');
    },
  },
  CLOSE: unselect('CLOSE'),
  UNSELECT: unselect('UNSELECT'),
  IDLE: {
    states: AUTHED,
    run(s, tag) {
      s.send('+ IDLE accepted, awaiting DONE command.');
      s.waitLine((line) => s.tagged(tag, line.toUpperCase() === 'DONE' ? 'OK IDLE completed.' : ARGUMENT_ERROR));
    },
  },
};

// ---------------------------------------------------------------------------------------------

export async function startImapSandbox(opts: ImapSandboxOptions): Promise<ImapSandbox> {
  let fault = opts.fault ?? null;
  const sessions: SessionRecord[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined); // resets and aborted handshakes are normal
  };

  const server = tls.createServer({ key: opts.tls.keyPem, cert: opts.tls.certPem });
  server.on('connection', (raw: Socket) => {
    raw.setNoDelay(true);
    track(raw);
  });
  server.on('tlsClientError', () => undefined);
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    track(socket);
    const record: SessionRecord = { commands: [], authenticated: false };
    sessions.push(record);
    new Session(socket, opts, fault, record);
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);

  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    sessions,
    setFault(f) {
      fault = f;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
