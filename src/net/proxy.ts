// Proxies: which one a connection uses (--proxy, HTTPS_PROXY, ALL_PROXY, NO_PROXY, as curl reads
// them), the tunnel itself for the token endpoint (HTTP CONNECT or SOCKS5; MSAL 5+ has no proxy
// option of its own), and what a failed tunnel means. The IMAP connection tunnels through imapflow's
// own `proxy` option; its errors are classified here too, so both paths report alike.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ConfigError } from '../errors.js';
import { matchesNoProxy, parseNoProxy, type NoProxyRule } from './no-proxy.js';

export type ProxyScheme = 'http' | 'https' | 'socks5' | 'socks5h' | 'socks4' | 'socks4a' | 'socks';

export interface ProxyEndpoint {
  /** The URL as given, credentials included: only for the connection, never for output. */
  url: URL;
  scheme: ProxyScheme;
  /** The URL without its password: what reports name. */
  display: string;
  /** Where it was set: --proxy, IMAP_OAUTH_PROXY, HTTPS_PROXY, … */
  origin: string;
}

export interface ProxySettings {
  /** For the token endpoint (HTTPS). */
  token?: ProxyEndpoint;
  /** For the mail connection (IMAP). */
  mail?: ProxyEndpoint;
  noProxy: NoProxyRule[];
}

/** What went wrong with a proxy: its own finding, naming the proxy. */
export interface ProxyFailure {
  proxy: string;
  origin: string;
  /** unreachable: nothing answers at the proxy's address; auth-required: 407 (or SOCKS refused the
   * credentials); refused: the proxy answered the CONNECT with another error; timeout: no answer. */
  kind: 'unreachable' | 'auth-required' | 'refused' | 'timeout';
  /** The destination asked for, host:port. */
  target: string;
  /** HTTP status of the CONNECT reply, or the SOCKS reply code. */
  status?: number;
  /** One line, no secret. */
  message: string;
}

export class ProxyError extends Error {
  constructor(readonly failure: ProxyFailure) {
    super(failure.message);
  }
}

const SCHEMES: Record<string, ProxyScheme> = { http: 'http', https: 'https', socks5: 'socks5', socks5h: 'socks5h', socks4: 'socks4', socks4a: 'socks4a', socks: 'socks' };
/** Our own tunnel (token endpoint, POP3, SMTP): HTTP CONNECT (over TLS for https://) and SOCKS5. */
const TOKEN_SCHEMES = new Set<ProxyScheme>(['http', 'https', 'socks5', 'socks5h']);

/** A proxy URL from a flag or variable; "host:port" alone means http:// (as curl has it). */
export function parseProxy(value: string, origin: string): ProxyEndpoint {
  const text = value.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    // Never echo the value: it may hold the proxy's password.
    throw new ConfigError(`${origin} is not a proxy URL: expected e.g. http://proxy.example.com:3128 or socks5://127.0.0.1:1080`);
  }
  const scheme = SCHEMES[url.protocol.replace(/:$/, '').toLowerCase()];
  if (!scheme) throw new ConfigError(`${origin}: proxy scheme ${url.protocol.replace(/:$/, '')}:// is not supported: use http://, https://, socks5:// or socks4://`);
  if (!url.hostname) throw new ConfigError(`${origin} names no proxy host: expected e.g. http://proxy.example.com:3128`);
  return { url, scheme, display: displayUrl(url), origin };
}

/** The proxy URL with its password removed (the user name stays: it helps and is no secret). */
export function displayUrl(url: URL): string {
  const port = url.port || String(defaultPort(url.protocol.replace(/:$/, '')));
  return `${url.protocol}//${url.username ? `${decode(url.username)}@` : ''}${url.hostname}:${port}`;
}

/** The proxy password, to register with the redactor (raw and as written in the URL). */
export function proxySecrets(settings: ProxySettings | undefined): string[] {
  const out = new Set<string>();
  for (const p of [settings?.token, settings?.mail]) {
    if (p?.url.password) {
      out.add(p.url.password);
      out.add(decode(p.url.password));
    }
  }
  return [...out];
}

type Env = Record<string, string | undefined>;

/** The first variable set (non-empty), lower case before upper case as curl reads them. */
function fromEnv(env: Env, ...names: string[]): ProxyEndpoint | undefined {
  for (const name of names) {
    const value = env[name];
    if (value && value.trim()) return parseProxy(value, name);
  }
  return undefined;
}

/**
 * --proxy (or IMAP_OAUTH_PROXY) for both connections; otherwise the token endpoint reads
 * https_proxy/HTTPS_PROXY then all_proxy/ALL_PROXY, the mail connection all_proxy/ALL_PROXY.
 * NO_PROXY/no_proxy exempts hosts from any of them; nothing is exempt implicitly (not loopback).
 */
export function resolveProxySettings(explicit: { value: string; origin: string } | undefined, env: Env): ProxySettings {
  const given = explicit ? parseProxy(explicit.value, explicit.origin) : undefined;
  const all = given ?? fromEnv(env, 'all_proxy', 'ALL_PROXY');
  const token = given ?? fromEnv(env, 'https_proxy', 'HTTPS_PROXY') ?? all;
  if (token && !TOKEN_SCHEMES.has(token.scheme)) {
    throw new ConfigError(`${token.origin}: a ${token.scheme}:// proxy cannot carry the token request (HTTPS): use http://, https:// or socks5://`);
  }
  const noProxy = parseNoProxy(env.no_proxy ?? env.NO_PROXY ?? '');
  return { ...(token ? { token } : {}), ...(all ? { mail: all } : {}), noProxy };
}

/** The proxy a connection to host:port goes through, or undefined for a direct connection. */
export function proxyFor(settings: ProxySettings | undefined, use: 'token' | 'mail', host: string, port: number): ProxyEndpoint | undefined {
  const proxy = settings?.[use];
  if (!proxy || matchesNoProxy(settings!.noProxy, host, port)) return undefined;
  return proxy;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function defaultPort(scheme: string): number {
  return scheme === 'https' ? 443 : scheme === 'http' ? 80 : 1080;
}

function authority(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

const UNREACHABLE = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EAI_FAIL|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|ECONNRESET)$/;

function failure(proxy: ProxyEndpoint, target: string, kind: ProxyFailure['kind'], message: string, status?: number): ProxyError {
  return new ProxyError({ proxy: proxy.display, origin: proxy.origin, kind, target, message: `proxy ${proxy.display} (${proxy.origin}): ${message}`, ...(status !== undefined ? { status } : {}) });
}

function fromStatus(proxy: ProxyEndpoint, target: string, status: number, reason: string): ProxyError {
  // 407 asks for credentials; tinyproxy (and others) answer wrong ones with 401.
  if (status === 407 || status === 401) return failure(proxy, target, 'auth-required', `needs authentication (HTTP ${status}${reason ? ` ${reason}` : ''})${proxy.url.username ? ': the user name or password in the URL was not accepted' : ''}`, status);
  return failure(proxy, target, 'refused', `refused CONNECT ${target} (HTTP ${status}${reason ? ` ${reason}` : ''})`, status);
}

function socketFailure(proxy: ProxyEndpoint, target: string, err: NodeJS.ErrnoException): ProxyError {
  const code = err.code ?? '';
  if (UNREACHABLE.test(code)) return failure(proxy, target, 'unreachable', `cannot be reached (${code})`);
  return failure(proxy, target, 'unreachable', `failed before the tunnel was up (${code || err.message})`);
}

export interface TunnelOptions {
  /** The whole tunnel (connect to the proxy, its answer) must be up within this. */
  timeoutMs: number;
}

/**
 * A socket to host:port through the proxy, ready for TLS to the real host (the caller verifies
 * that host's certificate inside the tunnel). Rejects with a ProxyError saying what went wrong.
 */
export function connectThroughProxy(proxy: ProxyEndpoint, host: string, port: number, opts: TunnelOptions): Promise<Socket> {
  const target = authority(host, port);
  const proxyHost = proxy.url.hostname.replace(/^\[|\]$/g, '');
  const proxyPort = Number(proxy.url.port) || defaultPort(proxy.scheme);
  // SOCKS4 is imapflow's alone (IMAP): our tunnel (token endpoint, POP3, SMTP) speaks CONNECT and SOCKS5.
  if (!TOKEN_SCHEMES.has(proxy.scheme)) return Promise.reject(failure(proxy, target, 'refused', `is a ${proxy.scheme}:// proxy, which carries only IMAP here: use http://, https:// or socks5:// for POP3 and SMTP`));
  return new Promise<Socket>((resolve, reject) => {
    let settled = false;
    const socket: Socket =
      proxy.scheme === 'https'
        ? tlsConnect({ host: proxyHost, port: proxyPort, ...(isIP(proxyHost) ? {} : { servername: proxyHost }) })
        : netConnect({ host: proxyHost, port: proxyPort });
    const done = (err: ProxyError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(socket);
    };
    const onError = (err: NodeJS.ErrnoException) => done(socketFailure(proxy, target, err));
    const onClose = () => done(failure(proxy, target, 'refused', `closed the connection before the tunnel to ${target} was up`));
    const timer = setTimeout(() => done(failure(proxy, target, 'timeout', `no answer within ${opts.timeoutMs / 1000} s`)), opts.timeoutMs);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.once(proxy.scheme === 'https' ? 'secureConnect' : 'connect', () => {
      const handshake = proxy.scheme === 'socks5' || proxy.scheme === 'socks5h' ? socks5Handshake : httpConnectHandshake;
      handshake(socket, proxy, host, port, target).then(() => done(null), (err: ProxyError) => done(err));
    });
  });
}

/** Reads from the socket until `enough(buffer)` says how many bytes form the reply; the rest is put back. */
function readReply(socket: Socket, enough: (buffer: Buffer) => number | undefined, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const length = enough(buffer);
      if (length === undefined) {
        if (buffer.length > limit) {
          socket.removeListener('data', onData);
          reject(new Error('reply too long'));
        }
        return;
      }
      socket.removeListener('data', onData);
      socket.pause();
      // Bytes after the reply already belong to the tunnelled stream (a greeting, TLS).
      if (buffer.length > length) socket.unshift(buffer.subarray(length));
      resolve(buffer.subarray(0, length));
    };
    socket.on('data', onData);
    socket.resume(); // the previous reply paused it
  });
}

async function httpConnectHandshake(socket: Socket, proxy: ProxyEndpoint, _host: string, _port: number, target: string): Promise<void> {
  const headers = [`CONNECT ${target} HTTP/1.1`, `Host: ${target}`];
  if (proxy.url.username || proxy.url.password) {
    const credentials = `${decode(proxy.url.username)}:${decode(proxy.url.password)}`;
    headers.push(`Proxy-Authorization: Basic ${Buffer.from(credentials).toString('base64')}`);
  }
  socket.write(`${headers.join('\r\n')}\r\n\r\n`);
  let head: Buffer;
  try {
    head = await readReply(socket, (b) => {
      const end = b.indexOf('\r\n\r\n');
      return end < 0 ? undefined : end + 4;
    }, 16 * 1024);
  } catch {
    throw failure(proxy, target, 'refused', 'sent an over-long reply to CONNECT');
  }
  const statusLine = head.toString('latin1').split('\r\n', 1)[0] ?? '';
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})\s*(.*)$/.exec(statusLine);
  if (!m) throw failure(proxy, target, 'refused', 'did not answer CONNECT with HTTP (is it an HTTP proxy?)');
  const status = Number(m[1]);
  if (status < 200 || status > 299) throw fromStatus(proxy, target, status, m[2]!.replace(/[^\x20-\x7e]/g, '').slice(0, 60));
}

const SOCKS5_REPLIES: Record<number, string> = {
  1: 'general failure', 2: 'not allowed by its rules', 3: 'network unreachable', 4: 'host unreachable', 5: 'connection refused by the destination',
  6: 'TTL expired', 7: 'command not supported', 8: 'address type not supported',
};

// SOCKS5 (RFC 1928, RFC 1929 user/password) is a few bytes each way; a dependency would be larger.
async function socks5Handshake(socket: Socket, proxy: ProxyEndpoint, host: string, port: number, target: string): Promise<void> {
  const user = Buffer.from(decode(proxy.url.username));
  const pass = Buffer.from(decode(proxy.url.password));
  const withAuth = user.length > 0 || pass.length > 0;
  const broken = () => failure(proxy, target, 'refused', 'did not answer as a SOCKS5 proxy');
  socket.write(Buffer.from(withAuth ? [5, 2, 0, 2] : [5, 1, 0]));
  const choice = await readReply(socket, (b) => (b.length >= 2 ? 2 : undefined), 2).catch(() => Buffer.alloc(0));
  if (choice[0] !== 5) throw broken();
  if (choice[1] === 0xff) throw failure(proxy, target, 'auth-required', withAuth ? 'accepts none of the offered authentication methods' : 'needs authentication: put the user name and password in the proxy URL');
  if (choice[1] === 2) {
    if (!withAuth) throw broken();
    socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]));
    const auth = await readReply(socket, (b) => (b.length >= 2 ? 2 : undefined), 2).catch(() => Buffer.alloc(0));
    if (auth[1] !== 0) throw failure(proxy, target, 'auth-required', 'did not accept the user name and password in the URL');
  } else if (choice[1] !== 0) throw broken();
  const family = isIP(host);
  const address =
    family === 4 ? Buffer.from([1, ...host.split('.').map(Number)])
    : family === 6 ? Buffer.concat([Buffer.from([4]), ipv6Bytes(host)])
    : Buffer.concat([Buffer.from([3, Buffer.byteLength(host)]), Buffer.from(host)]);
  socket.write(Buffer.concat([Buffer.from([5, 1, 0]), address, Buffer.from([port >> 8, port & 0xff])]));
  const reply = await readReply(socket, (b) => {
    if (b.length < 5) return undefined;
    const length = b[3] === 1 ? 10 : b[3] === 4 ? 22 : b[3] === 3 ? 7 + b[4]! : 5;
    return b.length >= length ? length : undefined;
  }, 300).catch(() => Buffer.alloc(0));
  if (reply[0] !== 5) throw broken();
  if (reply[1] !== 0) throw failure(proxy, target, 'refused', `refused the connection to ${target} (SOCKS reply ${reply[1]}: ${SOCKS5_REPLIES[reply[1]!] ?? 'unknown'})`, reply[1]);
}

function ipv6Bytes(host: string): Buffer {
  const [head = '', tail = ''] = host.split('::');
  const groups = (s: string) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = host.includes('::') ? [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return Buffer.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

/**
 * imapflow's proxy errors → a ProxyFailure: "Failed to setup proxy connection" with the cause in
 * `_err` (a socket error code, or "Invalid response from proxy: 407"). Undefined for any other error.
 */
export function proxyFailureOf(err: unknown, proxy: ProxyEndpoint, host: string, port: number): ProxyFailure | undefined {
  if (err instanceof ProxyError) return err.failure;
  const e = (err ?? {}) as { message?: unknown; code?: unknown; _err?: { message?: unknown; code?: unknown } };
  const inner = e._err ?? {};
  const isProxy = e.message === 'Failed to setup proxy connection' || e.code === 'EPROXY' || e.code === 'ProxyError';
  if (!isProxy) return undefined;
  const target = authority(host, port);
  const text = String(inner.message ?? e.message ?? '');
  const status = /response from proxy: (\d{3})/.exec(text)?.[1];
  if (status) return fromStatus(proxy, target, Number(status), '').failure;
  const code = String(inner.code ?? e.code ?? '');
  if (UNREACHABLE.test(code)) return failure(proxy, target, 'unreachable', `cannot be reached (${code})`).failure;
  if (/closed the connection/i.test(text)) return failure(proxy, target, 'refused', `closed the connection before the tunnel to ${target} was up`).failure;
  // SOCKS errors from imapflow's client: "Socks5 Authentication failed", "Socks5 proxy rejected connection - …".
  if (/authentication/i.test(text)) return failure(proxy, target, 'auth-required', 'did not accept the credentials').failure;
  return failure(proxy, target, 'refused', `could not open a tunnel to ${target}${text ? ` (${text.replace(/\s+/g, ' ').slice(0, 100)})` : ''}`).failure;
}

const PROXY_VARIABLES = ['IMAP_OAUTH_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'];

/**
 * The run's proxy settings; every proxy password found (in the flag or any proxy variable, used or
 * not) is registered first, so that no output can show it.
 */
export function proxyConfig(explicit: { value: string; origin: string } | undefined, env: Env, onSecret: (value: string) => void): ProxySettings {
  for (const value of [explicit?.value, ...PROXY_VARIABLES.map((n) => env[n])]) {
    if (!value) continue;
    const password = /^[a-z][a-z0-9+.-]*:\/\/[^/@]*:([^/@]*)@/i.exec(value.trim())?.[1] ?? /^[^/@:]*:([^/@]*)@/.exec(value.trim())?.[1];
    if (password) {
      onSecret(password);
      onSecret(decode(password));
    }
  }
  // As with the client secret: a password typed on the command line shows in ps and shell history.
  if (explicit?.origin === '--proxy' && parseProxy(explicit.value, explicit.origin).url.password) {
    throw new ConfigError('a proxy password is never accepted on the command line (it would show in ps and shell history): put the URL with it in IMAP_OAUTH_PROXY (environment or .env), HTTPS_PROXY or ALL_PROXY');
  }
  return resolveProxySettings(explicit, env);
}
