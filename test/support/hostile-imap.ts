// A hostile IMAP server for the end-to-end tests: it echoes what the client sends (the SASL string,
// the token inside it) back in every position and encoding, floods, stalls, announces oversized
// literals, fakes STARTTLS, greets with PREAUTH. It records every byte the client sent, so a test
// can assert that the token never reached a server it must not reach.
//
// Floods respect backpressure (the server only writes as fast as the client reads) and stop at
// `floodLimitBytes`, so the test machine is not the one exhausted.
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import { drainedOrClosed } from './drain.js';

export type HostileImapMode =
  | 'echo' // the AUTHENTICATE argument and the token echoed in every position, then NO (or BYE/BAD)
  | 'echo-accept' // the same echoes, then OK to AUTHENTICATE and an EXAMINE answer full of echoes
  | 'preauth' // '* PREAUTH' greeting: a session that claims to be logged in already
  | 'flood-greeting' // a greeting, then untagged lines without end
  | 'endless-greeting' // a greeting line that never ends
  | 'endless-capability' // a CAPABILITY line that never ends
  | 'literal-auth' // answers AUTHENTICATE with '* OK {900000000}' and starts sending it
  | 'long-line-auth' // answers AUTHENTICATE with a line that never ends
  | 'stall-auth' // reads AUTHENTICATE, never answers
  | 'close-before-capability' // a greeting without capabilities, closes when CAPABILITY is asked
  | 'no-starttls' // plain text, offers AUTH=XOAUTH2 but no STARTTLS
  | 'fake-starttls' // offers STARTTLS, says OK, then goes on in plain text
  | 'starttls-refused' // offers STARTTLS, answers NO
  | 'starttls-tls'; // real STARTTLS (with the certificate given: the test picks one that fails)

export interface HostileImapOptions {
  mode: HostileImapMode;
  /** Implicit TLS with this certificate (the STARTTLS modes start in plain text and use it for STARTTLS). */
  tls?: { keyPem: string; certPem: string };
  /** How 'echo' ends the AUTHENTICATE exchange; default 'no'. */
  echoEnd?: 'no' | 'bye' | 'bad';
  /** The literal size 'literal-auth' announces; default 900 000 000. */
  literalSize?: number;
  /** A flood stops after this many bytes even if the client still reads; default 256 MiB. */
  floodLimitBytes?: number;
}

export interface HostileImap {
  host: string;
  port: number;
  /** Every byte every client sent, in order (latin1), across connections, decrypted. */
  received(): string;
  /** What arrived in clear text (before STARTTLS, or on a plain connection): the token must never be here. */
  clearText(): string;
  /** Bytes written by the server in floods, across connections. */
  floodedBytes(): number;
  connections(): number;
  close(): Promise<void>;
}

const CAPS = 'IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=PLAIN';
/** Modes that start in plain text and (may) offer STARTTLS: `tls` is then the STARTTLS certificate. */
const STARTTLS_MODES = new Set<HostileImapMode>(['no-starttls', 'fake-starttls', 'starttls-refused', 'starttls-tls']);

/** Cuts text into lines of at most `width` characters (a server wrapping a long value). */
export function wrap(text: string, width = 76): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += width) out.push(text.slice(i, i + width));
  return out;
}

/** Every form in which a server could hand a received value back. */
function echoForms(label: string, value: string): string[] {
  const b = Buffer.from(value);
  return [
    `${label} raw ${value}`,
    `${label} base64 ${b.toString('base64')}`,
    `${label} base64url ${b.toString('base64url')}`,
    `${label} form ${new URLSearchParams({ v: value }).toString().slice(2)}`,
    `${label} uri ${encodeURIComponent(value)}`,
    `${label} head ${value.slice(0, 20)}`,
    `${label} tail ${value.slice(-20)}`,
    `${label} middle ${value.slice(Math.floor(value.length / 2) - 10, Math.floor(value.length / 2) + 10)}`,
    ...wrap(value).map((part, i) => `${label} wrapped ${i} ${part}`),
    ...wrap(b.toString('base64')).map((part, i) => `${label} wrapped-base64 ${i} ${part}`),
  ];
}

export async function startHostileImap(opts: HostileImapOptions): Promise<HostileImap> {
  const context: SecureContext | undefined = opts.tls && !STARTTLS_MODES.has(opts.mode) ? createSecureContext({ key: opts.tls.keyPem, cert: opts.tls.certPem }) : undefined;
  const floodLimit = opts.floodLimitBytes ?? 256 * 1024 * 1024;
  let received = '';
  let clearText = '';
  let flooded = 0;
  let connections = 0;
  /** The last token seen: later connections put it in their greeting. */
  let lastToken: string | undefined;
  const sockets = new Set<Socket>();

  /** Writes chunks until the client stops reading or closes, or the limit is reached. */
  async function flood(socket: Socket, chunk: string | Buffer, prefix = '') {
    if (prefix) socket.write(prefix);
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let sent = 0;
    while (!socket.destroyed && socket.writable && sent < floodLimit) {
      sent += data.length;
      flooded += data.length;
      if (!socket.write(data)) {
        const drained = await drainedOrClosed(socket);
        if (!drained) return;
      }
    }
  }

  function handle(raw: Socket) {
    connections++;
    sockets.add(raw);
    raw.on('error', () => undefined);
    raw.on('close', () => sockets.delete(raw));
    let socket: Socket = raw;
    let encrypted = !!context;
    if (context) {
      socket = new TLSSocket(raw, { isServer: true, secureContext: context });
      socket.on('error', () => undefined);
    }
    const send = (line: string) => {
      if (!socket.destroyed) socket.write(`${line}\r\n`);
    };
    const echoLine = lastToken ? ` [echo ${lastToken}]` : '';
    let buffer = '';
    let pendingTag: string | undefined; // an AUTHENTICATE waiting for the client's SASL answer
    let afterStarttls = false;

    const greet = () => {
      switch (opts.mode) {
        case 'preauth':
          return send(`* PREAUTH [CAPABILITY ${CAPS}] logged in already`);
        case 'flood-greeting':
          send(`* OK [CAPABILITY ${CAPS}] hostile ready`);
          return void flood(socket, '* OK flooding you with untagged lines, line after line after line\r\n');
        case 'endless-greeting':
          return void flood(socket, 'x'.repeat(64 * 1024), '* OK ');
        case 'endless-capability':
          return void flood(socket, ' X-FILLER'.repeat(8 * 1024), '* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2');
        case 'close-before-capability':
          return send('* OK hostile ready (no capabilities in the greeting)');
        case 'no-starttls':
          return send(`* OK [CAPABILITY ${CAPS}] plain text, no STARTTLS${echoLine}`);
        case 'fake-starttls':
        case 'starttls-refused':
        case 'starttls-tls':
          return send(`* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hostile ready`);
        default:
          return send(`* OK [CAPABILITY ${CAPS}] hostile ready${echoLine}`);
      }
    };

    const echoAll = (argument: string) => {
      const decoded = Buffer.from(argument, 'base64').toString('latin1');
      const token = /auth=Bearer ([^\x01]*)/.exec(decoded)?.[1] ?? '';
      if (token) lastToken = token;
      for (const line of echoForms('argument', argument)) send(`* OK ${line}`);
      send(`* OK decoded ${decoded.replace(/\x01/g, '^A')}`);
      if (token) for (const line of echoForms('token', token)) send(`* OK ${line}`);
      return { decoded, token };
    };

    const onAuthenticate = (tag: string, argument: string) => {
      switch (opts.mode) {
        case 'literal-auth':
          return void flood(socket, Buffer.alloc(64 * 1024, 0x41), `* OK {${opts.literalSize ?? 900_000_000}}\r\n`);
        case 'long-line-auth':
          return void flood(socket, 'y'.repeat(64 * 1024), '* OK ');
        case 'stall-auth':
          return;
        case 'echo-accept': {
          const { token } = echoAll(argument);
          return send(`${tag} OK AUTHENTICATE completed for ${token}`);
        }
        default: {
          const { decoded, token } = echoAll(argument);
          if (opts.echoEnd === 'bye') {
            send(`* BYE ${token} ${argument}`);
            return void socket.end();
          }
          if (opts.echoEnd === 'bad') return send(`${tag} BAD ${token} ${argument}`);
          // An error challenge that carries the token, then (after the client's empty answer) NO.
          const challenge = JSON.stringify({ status: '401', schemes: 'bearer', scope: token, echo: decoded });
          pendingTag = tag;
          send(`+ ${Buffer.from(challenge).toString('base64')}`);
        }
      }
    };

    const onLine = (line: string) => {
      if (pendingTag !== undefined) {
        const tag = pendingTag;
        pendingTag = undefined;
        return send(`${tag} NO [AUTHENTICATIONFAILED] ${lastToken ?? ''} ${line}`);
      }
      const m = /^(\S+) (\S+) ?(.*)$/.exec(line);
      if (!m) return send('* BAD what');
      const [, tag, command, rest] = m as unknown as [string, string, string, string];
      switch (command.toUpperCase()) {
        case 'CAPABILITY':
          if (opts.mode === 'close-before-capability') return void socket.destroy();
          if (opts.mode === 'endless-capability') return void flood(socket, ' X-FILLER'.repeat(8 * 1024), '* CAPABILITY IMAP4rev1 AUTH=XOAUTH2');
          if (['fake-starttls', 'starttls-refused', 'starttls-tls'].includes(opts.mode) && !afterStarttls) {
            send('* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED');
          } else send(`* CAPABILITY ${CAPS}`);
          return send(`${tag} OK CAPABILITY completed`);
        case 'STARTTLS':
          if (opts.mode === 'starttls-refused') return send(`${tag} NO STARTTLS not today`);
          if (opts.mode === 'fake-starttls') {
            afterStarttls = true;
            send(`${tag} OK Begin TLS negotiation now`);
            // No handshake follows: the client's ClientHello is answered in plain text.
            return send(`* OK [CAPABILITY ${CAPS}] still plain text`);
          }
          if (opts.mode === 'starttls-tls' && opts.tls) {
            send(`${tag} OK Begin TLS negotiation now`);
            return upgrade();
          }
          return send(`${tag} BAD STARTTLS not offered`);
        case 'AUTHENTICATE': {
          const argument = rest.split(' ')[1] ?? '';
          return onAuthenticate(tag, argument);
        }
        case 'SELECT':
        case 'EXAMINE': {
          const t = lastToken ?? '';
          for (const line of echoForms('examine', t)) send(`* OK ${line}`);
          send(`* FLAGS (\\Seen ${t.slice(0, 30)})`);
          send('* 3 EXISTS');
          return send(`${tag} OK [READ-ONLY] EXAMINE completed ${t}`);
        }
        case 'LOGOUT':
          send(`* BYE bye ${lastToken ?? ''}`);
          send(`${tag} OK LOGOUT completed`);
          return void socket.end();
        default:
          return send(`${tag} BAD unknown command`);
      }
    };

    const onData = (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (!encrypted) clearText += chunk.toString('latin1');
      buffer += chunk.toString('latin1');
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        onLine(line);
        if (socket.destroyed) return;
      }
    };

    // Real STARTTLS: stop reading plain text, wrap the socket, go on over TLS.
    const upgrade = () => {
      socket.removeListener('data', onData);
      const secure = new TLSSocket(socket, { isServer: true, secureContext: createSecureContext({ key: opts.tls!.keyPem, cert: opts.tls!.certPem }) });
      secure.on('error', () => undefined);
      socket = secure;
      encrypted = true;
      afterStarttls = true;
      buffer = '';
      secure.on('data', onData);
    };

    socket.on('data', onData);
    if (context) (socket as TLSSocket).once('secure', greet);
    else greet();
  }

  const server: Server = createServer(handle);
  server.on('error', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  return {
    host: '127.0.0.1',
    port: address.port,
    received: () => received,
    clearText: () => clearText,
    floodedBytes: () => flooded,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
