// MSAL's own HTTP client (global fetch) has no timeout and cannot be given a CA. This one is
// node:https with a hard deadline per request and the run's trust store.
import { request } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { EarlyConnection } from '../net/early-connect.js';
import { connectThroughProxy, ProxyError, proxyFor, type ProxyFailure, type ProxySettings } from '../net/proxy.js';
import { routeFor, type ConnectTo } from '../config/connect-to.js';
import { trustContext } from '../tls-trust.js';
// Types only: MSAL itself is loaded lazily by acquire.ts, and hands its error class in.
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

export interface NetworkClientOptions {
  timeoutMs: number;
  /** Extra CA certificates (PEM), added to the system roots. */
  caPem?: string;
  /** --connect-to rules: where to connect for a host (TLS and the Host header still name it). */
  connectTo?: readonly ConnectTo[];
  /** Called once per HTTP request, e.g. to count token requests. */
  onRequest?: (method: string, url: string) => void;
  /** Called with every reply, as MSAL will see it. */
  onResponse?: (method: string, response: NetworkResponse<unknown>) => void;
  /** Called with the reason when a request fails below HTTP (MSAL replaces the message). */
  onNetworkError?: (message: string) => void;
  /**
   * Called with every secret a request carries or a reply holds (client secret, signed client
   * assertion, refresh token, authorization code, access and ID tokens), before anything can
   * print it: the token endpoint is the one place they all pass.
   */
  onSecret?: (value: string) => void;
  /** --proxy, HTTPS_PROXY, NO_PROXY, …: the tunnel is made here (MSAL 5+ has no proxy option). */
  proxy?: ProxySettings;
  /** Called when the proxy refused, wanted authentication or was not there. */
  onProxyFailure?: (failure: ProxyFailure) => void;
  /** MSAL's AuthError("network_error", …), the error MSAL expects from a network client. */
  networkError: (message: string) => Error;
  /** A TCP connection to the token endpoint already under way: the first request goes over it. */
  early?: EarlyConnection;
}

/** Thrown (as MSAL's network_error) when a request misses its deadline. */
export const TIMEOUT_MARK = 'timed out after';

/**
 * The most of a reply body that is read. A token reply is a few kilobytes (an access token, maybe
 * ID and refresh tokens); an endless body would otherwise grow until the process dies.
 */
export const MAX_REPLY_BYTES = 1024 * 1024;
/** Thrown (as MSAL's network_error) when a reply is larger than MAX_REPLY_BYTES. */
export const OVERSIZED_MARK = 'reply is larger than';
const oversized = () => new Error(`the ${OVERSIZED_MARK} ${MAX_REPLY_BYTES / 1024 / 1024} MiB: the token endpoint misbehaved, reading stopped`);

export function createNetworkClient(opts: NetworkClientOptions): INetworkModule {
  const secureContext = trustContext(opts.caPem);
  const send = <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    opts.onRequest?.(method, url);
    const body = options?.body;
    if (body !== undefined && opts.onSecret) for (const value of secretsInForm(body)) opts.onSecret(value);
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const port = Number(target.port || 443);
      const address = routeFor(target.hostname, port, opts.connectTo ?? []);
      const proxy = proxyFor(opts.proxy, 'token', target.hostname, port);
      const moved = !proxy && (address.host !== target.hostname || address.port !== port);
      const early = proxy ? undefined : opts.early?.take(address.host, address.port);
      // TLS to the URL's host (SNI, verification), over a tunnel or a connection already open.
      const tlsOver = (socket: Socket) => tlsConnect({ socket, host: target.hostname, ...(isIP(target.hostname) ? {} : { servername: target.hostname }), ...(secureContext ? { secureContext } : {}) });
      const req = request(url, {
        method,
        headers: {
          ...options?.headers,
          ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}),
          ...(moved ? { host: target.host } : {}),
        },
        ...(secureContext ? { secureContext } : {}),
        // Elsewhere by --connect-to: the Host header and TLS (SNI, verification) keep the URL's name.
        ...(moved ? { hostname: address.host, port: address.port, ...(isIP(target.hostname) ? {} : { servername: target.hostname }) } : {}),
        // Through a proxy: CONNECT to the address, then TLS to the URL's host inside the tunnel,
        // verified against that name as on a direct connection.
        ...(proxy
          ? {
              createConnection: ((_: unknown, created: (err: Error | null, socket?: Socket) => void) => {
                connectThroughProxy(proxy, address.host, address.port, { timeoutMs: opts.timeoutMs }).then(
                  (tunnel) => created(null, tlsOver(tunnel)),
                  (err: Error) => created(err),
                );
                return undefined; // the socket arrives through `created`
              }) as unknown as () => Socket,
            }
          : early
            ? { createConnection: () => tlsOver(early) }
            : {}),
      });
      // One deadline for the whole request (connect, TLS, reply); an idle timer of the same length
      // could never fire first.
      const deadline = setTimeout(() => req.destroy(new Error(`${TIMEOUT_MARK} ${opts.timeoutMs / 1000} s`)), opts.timeoutMs);
      req.on('error', (err) => {
        if (err instanceof ProxyError) opts.onProxyFailure?.(err.failure);
        clearTimeout(deadline);
        const message = `${method} ${new URL(url).host}: ${err.message}`;
        opts.onNetworkError?.(message);
        reject(opts.networkError(message));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        // A declared length over the cap is refused before a byte is read, an undeclared one as it grows.
        if (Number(res.headers['content-length']) > MAX_REPLY_BYTES) return void req.destroy(oversized());
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_REPLY_BYTES) req.destroy(oversized());
          else chunks.push(c);
        });
        res.on('error', (err) => req.destroy(err));
        res.on('end', () => {
          clearTimeout(deadline);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            // MSAL turns a non-JSON body into token_parsing_error; keep a hint of what came back.
            parsed = { error: 'non_json_response', error_description: `HTTP ${res.statusCode} with a non-JSON body: ${text.slice(0, 120).replace(/\s+/g, ' ')}` };
          }
          // MSAL treats a reply without an `error` field as a success, whatever its status (a
          // 503 with "{}" would become an empty access token): make an HTTP error an error.
          const status = res.statusCode ?? 0;
          if (status >= 400 && (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !('error' in parsed))) {
            parsed = { ...(parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {}), error: 'http_error', error_description: `HTTP ${status} without an OAuth error in the body` };
          }
          if (opts.onSecret) for (const value of secretsInReply(parsed)) opts.onSecret(value);
          const headers: Record<string, string> = {};
          for (const [k, val] of Object.entries(res.headers)) if (val !== undefined) headers[k.toLowerCase()] = Array.isArray(val) ? val.join(', ') : val;
          const response = { headers, body: parsed as T, status };
          opts.onResponse?.(method, response);
          resolve(response);
        });
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  };
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

/** Form fields of a token request that carry a credential. */
const SECRET_FORM_FIELDS = ['client_secret', 'client_assertion', 'assertion', 'refresh_token', 'code', 'code_verifier', 'device_code', 'password'];
/** Reply members that carry one. */
const SECRET_REPLY_FIELDS = ['access_token', 'refresh_token', 'id_token', 'device_code'];

export function secretsInForm(body: string): string[] {
  let form: URLSearchParams;
  try {
    form = new URLSearchParams(body);
  } catch {
    return [];
  }
  return SECRET_FORM_FIELDS.flatMap((name) => form.getAll(name)).filter((v) => v.length > 0);
}

export function secretsInReply(parsed: unknown): string[] {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return [];
  const reply = parsed as Record<string, unknown>;
  return SECRET_REPLY_FIELDS.map((name) => reply[name]).filter((v): v is string => typeof v === 'string' && v.length > 0);
}
