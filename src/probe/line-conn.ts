// One line-based connection (POP3, SMTP) with bounds on everything a server controls: line
// length, lines per reply, time per stage, and an abort signal. TLS (implicit or after STARTTLS)
// is verified here, before any byte is read or written over it, so a bad certificate is reported
// with the certificate that was presented — no second handshake needed, STARTTLS included.
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { PeerCertificate } from '../imap/types.js';
import { peerOf } from '../imap/peer-certificate.js';

/** A failure with a code the probe and the diagnosis read (ETIMEDOUT, ECONNCLOSED, a TLS code, …). */
export class WireError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly peer?: PeerCertificate,
  ) {
    super(message);
  }
}

export interface TlsParams {
  /** The name TLS verifies (and SNI sends): the target host, even when --connect-to routes elsewhere. */
  host: string;
  insecure?: boolean;
  secureContext?: tls.SecureContext;
}

export interface LineConnOptions {
  /** Called for every line sent or received, already without CRLF. */
  onLine(dir: 'C' | 'S', text: string): void;
  signal?: AbortSignal;
  /** Longest line accepted from the server (bytes). RFC 5321/1939 allow 512; Exchange stays well below. */
  maxLineBytes?: number;
  /** Most lines in one multi-line reply (EHLO, CAPA). */
  maxReplyLines?: number;
  /**
   * A socket already connected to the address through a proxy (HTTP CONNECT or SOCKS5, see
   * net/proxy.ts), given the time it may take; TLS then runs inside it, verified as on a direct
   * connection. Its failure (a ProxyError) is passed on as it is.
   */
  tunnel?: (timeoutMs: number) => Promise<net.Socket>;
}

const DEFAULT_MAX_LINE = 8 * 1024;
const DEFAULT_MAX_REPLY_LINES = 200;
const LF = 0x0a;

export interface SmtpReply {
  code: number;
  /** RFC 3463 enhanced status code (5.7.139), when the server sends one. */
  enhanced?: string;
  /** Every line's text after the code, joined with a space. */
  text: string;
  lines: string[];
}

export class LineConn {
  private socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private waiter: { resolve(line: string): void; reject(err: Error): void } | null = null;
  private failure: WireError | null = null;
  private deadlineAt = Infinity;
  private readonly maxLine: number;
  private readonly maxReplyLines: number;
  private readonly onAbort = () => this.fail(new WireError('ABORTED', 'interrupted'), true);

  private constructor(
    socket: net.Socket,
    private readonly opts: LineConnOptions,
  ) {
    this.socket = socket;
    this.maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE;
    this.maxReplyLines = opts.maxReplyLines ?? DEFAULT_MAX_REPLY_LINES;
    this.attach(socket);
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** TCP, or a proxy's tunnel (and for `tls`, a verified TLS handshake), within `timeoutMs` in all. */
  static async open(kind: 'tls' | 'plain', address: { host: string; port: number }, params: TlsParams, timeoutMs: number, opts: LineConnOptions): Promise<LineConn> {
    if (opts.signal?.aborted) throw new WireError('ABORTED', 'interrupted');
    const started = performance.now();
    const tunnelled = opts.tunnel ? await untilAborted(opts.tunnel(timeoutMs), opts.signal) : undefined;
    const left = Math.max(1, Math.round(timeoutMs - (performance.now() - started)));
    return LineConn.handshake(kind, address, params, left, opts, tunnelled);
  }

  private static handshake(kind: 'tls' | 'plain', address: { host: string; port: number }, params: TlsParams, timeoutMs: number, opts: LineConnOptions, tunnelled?: net.Socket): Promise<LineConn> {
    return new Promise((resolve, reject) => {
      const socket = kind === 'tls'
        ? tls.connect({ ...(tunnelled ? { socket: tunnelled } : { host: address.host, port: address.port }), ...tlsOptions(params) })
        : tunnelled ?? net.connect({ host: address.host, port: address.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => done(new WireError('ETIMEDOUT', `no ${kind === 'tls' ? 'TLS handshake' : 'connection'} within ${timeoutMs} ms`)), timeoutMs);
      const onAbort = () => done(new WireError('ABORTED', 'interrupted'));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const done = (err?: Error) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        socket.off('error', done);
        if (err) {
          socket.destroy();
          reject(err instanceof WireError ? err : asWireError(err));
          return;
        }
        const conn = new LineConn(socket, opts);
        // The tunnel's handshake paused it; bytes after the proxy's reply (a greeting) come now.
        if (tunnelled && kind === 'plain') socket.resume();
        resolve(conn);
      };
      socket.once('error', done);
      if (kind === 'tls') socket.once('secureConnect', () => done(verify(socket as tls.TLSSocket, params) ?? undefined));
      else if (tunnelled) setImmediate(() => done());
      else socket.once('connect', () => done());
    });
  }

  /** Every following read must complete within `ms` from now (one deadline per stage). */
  setDeadline(ms: number): void {
    this.deadlineAt = performance.now() + ms;
  }

  get tls(): { protocol?: string; cipher?: string; peer?: PeerCertificate } | undefined {
    const s = this.socket as tls.TLSSocket;
    if (typeof s.getProtocol !== 'function') return undefined;
    return { protocol: s.getProtocol() ?? undefined, cipher: s.getCipher()?.standardName, peer: peerOf(s).peer };
  }

  /** The local address as an RFC 5321 address literal, for EHLO: says nothing about this machine's name. */
  get localLiteral(): string {
    const a = this.socket.localAddress ?? '127.0.0.1';
    return net.isIPv6(a) ? `[IPv6:${a}]` : `[${a}]`;
  }

  /**
   * Upgrades the plain connection after the server's STARTTLS reply. Bytes already received
   * after that reply came before TLS and could be forged by anyone on the path (the STARTTLS
   * command-injection attacks): they end the probe instead of being read as the server's.
   */
  startTls(params: TlsParams, timeoutMs: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.buf.length) return Promise.reject(new WireError('STARTTLS_INJECTION', 'the server sent data after its STARTTLS reply, before TLS began'));
    const plain = this.socket;
    this.detach(plain);
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ socket: plain, ...tlsOptions(params) });
      const timer = setTimeout(() => done(new WireError('ETIMEDOUT', `no TLS handshake within ${timeoutMs} ms after STARTTLS`)), timeoutMs);
      const done = (err?: Error) => {
        clearTimeout(timer);
        socket.off('error', done);
        if (err) {
          const e = err instanceof WireError ? err : asWireError(err);
          this.failure = e;
          socket.destroy();
          reject(e);
          return;
        }
        this.socket = socket;
        this.attach(socket);
        resolve();
      };
      socket.once('error', done);
      socket.once('secureConnect', () => done(verify(socket, params) ?? undefined));
    });
  }

  /** Sends one command line; `shown` is what the transcript records instead (a SASL payload). */
  send(line: string, shown: string = line): void {
    if (/[\r\n]/.test(line)) throw new WireError('BAD_COMMAND', 'a command must be a single line');
    this.opts.onLine('C', shown);
    if (!this.failure && this.socket.writable) this.socket.write(`${line}\r\n`);
  }

  /** Sends lines without recording each one (a message body; the caller records a summary). */
  sendRaw(data: string): void {
    if (!this.failure && this.socket.writable) this.socket.write(data);
  }

  /** The next line from the server, without CRLF. */
  readLine(): Promise<string> {
    const line = this.takeLine();
    if (line !== null) return Promise.resolve(line);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const left = this.deadlineAt - performance.now();
      const timer = Number.isFinite(left)
        ? setTimeout(() => this.fail(new WireError('ETIMEDOUT', 'no answer within the deadline')), Math.max(0, left))
        : undefined;
      this.waiter = {
        resolve: (l) => (clearTimeout(timer), resolve(l)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
  }

  /** One SMTP reply: `250-…` lines up to the `250 …` one (RFC 5321 §4.2.1). */
  async readSmtpReply(): Promise<SmtpReply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.readLine();
      const m = /^([2-5]\d\d)([ -]|$)(.*)$/.exec(line);
      if (!m) throw new WireError('NOT_SMTP', `not an SMTP reply: "${line.slice(0, 80)}"`);
      lines.push(m[3]!);
      if (m[2] !== '-') {
        const text = lines.join(' ').trim();
        const enhanced = /^([245]\.\d{1,3}\.\d{1,3})\b/.exec(text)?.[1];
        return { code: Number(m[1]), enhanced, text, lines };
      }
      if (lines.length >= this.maxReplyLines) throw new WireError('REPLY_TOO_LONG', `more than ${this.maxReplyLines} lines in one reply`);
    }
  }

  /** The body of a POP3 multi-line response, up to the "." line, dot-unstuffed (RFC 1939 §3). */
  async readDotLines(): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const line = await this.readLine();
      if (line === '.') return out;
      out.push(line.startsWith('.') ? line.slice(1) : line);
      if (out.length >= this.maxReplyLines) throw new WireError('REPLY_TOO_LONG', `more than ${this.maxReplyLines} lines in one reply`);
    }
  }

  /** Resolves once everything written so far is handed to the network (false if it could not be). */
  flush(): Promise<boolean> {
    if (this.failure || !this.socket.writable) return Promise.resolve(false);
    return new Promise((resolve) => this.socket.write('', (err) => resolve(!err)));
  }

  close(): void {
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.failure ??= new WireError('ECONNCLOSED', 'closed');
    // end() lets what was written (QUIT) leave first; a server that never closes its side is cut off.
    const socket = this.socket;
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  // -------------------------------------------------------------------------------------------

  private readonly onData = (chunk: Buffer) => {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    this.deliver();
  };
  private readonly onEnd = () => this.fail(new WireError('ECONNCLOSED', 'the server closed the connection'));
  private readonly onError = (err: Error) => this.fail(asWireError(err));

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  private detach(socket: net.Socket): void {
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('close', this.onEnd);
    socket.off('error', this.onError);
  }

  /** A complete line from the buffer, or null; an over-long line fails the connection. */
  private takeLine(): string | null {
    const nl = this.buf.indexOf(LF);
    if (nl < 0 ? this.buf.length > this.maxLine : nl > this.maxLine) {
      this.buf = Buffer.alloc(0);
      this.fail(new WireError('LINE_TOO_LONG', `a line from the server is longer than ${this.maxLine} bytes`), true);
      return null;
    }
    if (nl < 0) return null;
    const end = nl > 0 && this.buf[nl - 1] === 0x0d ? nl - 1 : nl;
    const line = this.buf.subarray(0, end).toString('utf8');
    this.buf = this.buf.subarray(nl + 1);
    this.opts.onLine('S', line);
    return line;
  }

  private deliver(): void {
    if (!this.waiter) {
      // Nobody is reading: only enforce the line bound on what piles up.
      if (this.buf.indexOf(LF) < 0 && this.buf.length > this.maxLine) this.takeLine();
      return;
    }
    const line = this.takeLine();
    if (line === null || !this.waiter) return;
    const w = this.waiter;
    this.waiter = null;
    w.resolve(line);
  }

  private fail(err: WireError, destroy = false): void {
    this.failure ??= err;
    if (destroy || err.code === 'ETIMEDOUT') this.socket.destroy();
    const w = this.waiter;
    if (!w) return;
    this.waiter = null;
    // A server's last words arrive before its FIN: lines already received are still read.
    const line = this.buf.indexOf(LF) >= 0 && err.code === 'ECONNCLOSED' ? this.takeLine() : null;
    if (line !== null) w.resolve(line);
    else w.reject(this.failure);
  }
}

function tlsOptions(p: TlsParams): tls.ConnectionOptions {
  return {
    servername: net.isIP(p.host) ? undefined : p.host,
    minVersion: 'TLSv1.2',
    ...(p.secureContext ? { secureContext: p.secureContext } : {}),
    // Verified in verify() instead, so the failure can name the certificate (see the file header).
    rejectUnauthorized: false,
  };
}

/** Null when the handshake may go on: chain trusted and issued for `params.host` (or --insecure). */
function verify(socket: tls.TLSSocket, params: TlsParams): WireError | null {
  if (params.insecure) return null;
  const { cert, peer } = peerOf(socket);
  if (!socket.authorized) {
    const code = String(socket.authorizationError ?? 'CERT_UNTRUSTED');
    // Node checks the name against the address connected to; the target name is what counts.
    if (code !== 'ERR_TLS_CERT_ALTNAME_INVALID') return new WireError(code, `TLS verification failed: ${code}`, peer);
  }
  const nameError = tls.checkServerIdentity(params.host, cert);
  return nameError ? new WireError('ERR_TLS_CERT_ALTNAME_INVALID', `TLS verification failed: ${nameError.message}`, peer) : null;
}

/** The tunnel, unless Ctrl-C comes first (a socket arriving after that is closed). */
function untilAborted(pending: Promise<net.Socket>, signal?: AbortSignal): Promise<net.Socket> {
  if (!signal) return pending;
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      reject(new WireError('ABORTED', 'interrupted'));
      pending.then((socket) => socket.destroy(), () => undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (socket) => (signal.removeEventListener('abort', onAbort), signal.aborted ? socket.destroy() : resolve(socket)),
      (err: unknown) => (signal.removeEventListener('abort', onAbort), reject(err)),
    );
  });
}

function asWireError(err: Error): WireError {
  const e = err as Error & { code?: string; reason?: string };
  const code = e.code ?? 'ECONNRESET';
  const message = /^ERR_SSL_/.test(code) && e.reason ? `TLS handshake failed: ${e.reason}` : String(e.message).replace(/\s+/g, ' ').trim();
  return new WireError(code, message);
}
