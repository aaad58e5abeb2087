// A tiny line-based IMAP client over implicit TLS, for tests that want to see the raw protocol
// (no imapflow). It does not understand literals: fine for the greeting, AUTHENTICATE, EXAMINE, LOGOUT.
import * as tls from 'node:tls';

export interface ImapLineClientOptions {
  host: string;
  port: number;
  /** CA certificate(s) (PEM) the server certificate must chain to. */
  ca: string | string[];
  /** SNI / name checked against the certificate (default: host). */
  servername?: string;
  /** Per-read timeout in ms (default 10 000). */
  timeoutMs?: number;
}

export interface ImapLineClient {
  /** The untagged greeting line, e.g. `* OK [CAPABILITY ...] Dovecot ready.` */
  greeting: string;
  /** The TLS socket (authorized, peer certificate, ...). */
  socket: tls.TLSSocket;
  /**
   * Sends `<tag> <line>` with a fresh tag and resolves with every line received up to and including the
   * tagged reply. A `+` continuation also ends the list (answer it with sendRaw, then call readUntilTagged).
   */
  send(line: string): Promise<string[]>;
  /** Sends a line as is (CRLF appended). */
  sendRaw(line: string): void;
  /** Next line from the server (without CRLF). */
  readLine(): Promise<string>;
  /** Reads lines up to and including the reply tagged with the last tag used by send(). */
  readUntilTagged(): Promise<string[]>;
  /** The tag used by the last send(). */
  lastTag(): string;
  close(): void;
}

export async function connectImap(opts: ImapLineClientOptions): Promise<ImapLineClient> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const socket = tls.connect({
    host: opts.host,
    port: opts.port,
    ca: opts.ca,
    servername: opts.servername ?? opts.host,
    rejectUnauthorized: true,
  });

  let buffer = '';
  const lines: string[] = [];
  let waiter: { resolve: (l: string) => void; reject: (e: Error) => void } | null = null;
  let failure: Error | null = null;

  const deliver = () => {
    while (waiter && lines.length > 0) {
      const w = waiter;
      waiter = null;
      w.resolve(lines.shift()!);
    }
    if (waiter && failure) {
      const w = waiter;
      waiter = null;
      w.reject(failure);
    }
  };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let i: number;
    while ((i = buffer.indexOf('\r\n')) >= 0) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 2);
    }
    deliver();
  });
  socket.on('error', (err) => {
    failure = err;
    deliver();
  });
  socket.on('close', () => {
    failure ??= new Error('connection closed by server');
    deliver();
  });

  const readLine = () =>
    new Promise<string>((resolve, reject) => {
      if (waiter) return reject(new Error('readLine: a read is already pending'));
      const timer = setTimeout(() => {
        waiter = null;
        reject(new Error(`no line from server within ${timeoutMs} ms`));
      }, timeoutMs);
      waiter = {
        resolve: (l) => (clearTimeout(timer), resolve(l)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      deliver();
    });

  let n = 0;
  let tag = '';
  const sendRaw = (line: string) => void socket.write(line + '\r\n');
  const readUntilTagged = async () => {
    const out: string[] = [];
    for (;;) {
      const line = await readLine();
      out.push(line);
      if (line.startsWith(tag + ' ') || line.startsWith('+')) return out;
    }
  };

  const greeting = await readLine().catch((err: Error) => {
    socket.destroy();
    throw err;
  });
  return {
    greeting,
    socket,
    async send(line) {
      tag = `A${++n}`;
      sendRaw(`${tag} ${line}`);
      return readUntilTagged();
    },
    sendRaw,
    readLine,
    readUntilTagged,
    lastTag: () => tag,
    close: () => void socket.destroy(),
  };
}
