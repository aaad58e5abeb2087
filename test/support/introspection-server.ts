// An OAuth 2.0 token introspection endpoint (RFC 7662) for a real Dovecot's oauth2 passdb: it hands out
// opaque (non-JWT) access tokens the way Google does (`ya29.` + random), and answers Dovecot's questions
// about them. Dovecot is configured for it by startDovecot({ introspection }) in ./dovecot.ts.
//
// What Dovecot 2.3.19 sends with `introspection_mode = post` (seen on the wire here), one request per
// AUTHENTICATE, on a kept-alive connection:
//
//   POST /introspect HTTP/1.1
//   Host: 127.0.0.1:<port>
//   User-Agent: dovecot-oauth2-passdb/2.3.19.1
//   Content-Type: application/x-www-form-urlencoded
//   Connection: Keep-Alive
//
//   token=<the bearer token>&client_id=<client_id>&client_secret=<client_secret, url-encoded>
//
// (`auth` mode would be a GET with `Authorization: Bearer <token>`, `get` mode a GET of introspection_url
// with the token and `&client_id=&client_secret=` appended.) This server accepts exactly the `post` form
// and requires the client credentials, as RFC 7662 asks of a real endpoint.
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface IssueOptions {
  /** Space-separated scopes the token carries (default 'https://mail.google.com/'). */
  scope?: string;
  /** Lifetime in seconds (default 3600); a negative value issues an already expired token. */
  expiresIn?: number;
}

/** One HTTP request the server received, in order. */
export interface IntrospectionCall {
  method: string;
  /** Path and query as received. */
  path: string;
  /** The `token` form field, or null when there was none (or the request was refused before reading it). */
  token: string | null;
  /** HTTP status of the reply. */
  status: number;
  /** The `active` member of a 200 reply; false for every refused request. */
  active: boolean;
  /** Why the request was refused (non-200), e.g. 'invalid_client'. */
  error?: string;
}

export interface IntrospectionServer {
  /** The introspection endpoint, e.g. `http://127.0.0.1:41234/introspect` (Dovecot's introspection_url). */
  url: string;
  /** Client credentials the endpoint requires in the form body (Dovecot's client_id / client_secret). */
  clientId: string;
  clientSecret: string;
  /** A fresh opaque token (`ya29.` + base64url of 32 random bytes) that introspects as `user`'s. */
  issue(user: string, opts?: IssueOptions): string;
  /** From now on the token introspects as `{"active":false}`. Unknown tokens are ignored. */
  revoke(token: string): void;
  /** Number of HTTP requests received so far (every method and path). */
  readonly requests: number;
  /** Every request received so far (a copy). */
  readonly calls: IntrospectionCall[];
  /** Stops listening and drops every open connection (Dovecot keeps one alive). Idempotent. */
  close(): Promise<void>;
}

const PATH = '/introspect';
const DEFAULT_SCOPE = 'https://mail.google.com/';
const MAX_BODY = 64 * 1024;

interface Grant {
  user: string;
  scope: string;
  iat: number;
  exp: number;
  revoked: boolean;
}

/** Starts the endpoint on 127.0.0.1 and a free port. */
export async function startIntrospectionServer(): Promise<IntrospectionServer> {
  const clientId = 'dovecot-imap';
  const clientSecret = randomBytes(18).toString('base64url');
  const grants = new Map<string, Grant>();
  const calls: IntrospectionCall[] = [];
  const sockets = new Set<Socket>();

  const reply = (res: http.ServerResponse, call: IntrospectionCall, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    call.status = status;
    if (status !== 200) call.error = String(body.error ?? status);
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
      ...headers,
    });
    res.end(text);
  };

  const introspect = (token: string): Record<string, unknown> => {
    const grant = grants.get(token);
    const now = Math.floor(Date.now() / 1000);
    if (!grant || grant.revoked || grant.exp <= now) return { active: false };
    // Flat members only: Dovecot turns each one into a passdb field.
    return {
      active: true,
      scope: grant.scope,
      client_id: clientId,
      username: grant.user,
      email: grant.user,
      sub: grant.user,
      token_type: 'Bearer',
      iat: grant.iat,
      exp: grant.exp,
    };
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, call: IntrospectionCall, body: string) => {
    const pathname = (req.url ?? '').split('?')[0];
    if (pathname !== PATH) return reply(res, call, 404, { error: 'not_found' });
    if (req.method !== 'POST') return reply(res, call, 405, { error: 'invalid_request', error_description: 'POST only' }, { Allow: 'POST' });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      return reply(res, call, 400, { error: 'invalid_request', error_description: 'expected a form body' });
    }
    const form = new URLSearchParams(body);
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
      return reply(res, call, 401, { error: 'invalid_client' }, { 'WWW-Authenticate': 'Basic realm="introspection"' });
    }
    const token = form.get('token');
    if (!token) return reply(res, call, 400, { error: 'invalid_request', error_description: 'token missing' });
    call.token = token;
    const result = introspect(token);
    call.active = result.active === true;
    reply(res, call, 200, result);
  };

  const server = http.createServer((req, res) => {
    const call: IntrospectionCall = { method: req.method ?? '', path: req.url ?? '', token: null, status: 0, active: false };
    calls.push(call);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY) {
        tooLarge = true;
        // Answer now but keep reading (and dropping) the rest: closing early could reset the connection
        // before the client has read the reply.
        reply(res, call, 413, { error: 'invalid_request', error_description: 'body too large' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return;
      try {
        handle(req, res, call, Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        // Never let a bug here take the test process down: answer 500 and keep serving.
        reply(res, call, 500, { error: 'server_error', error_description: String(err) });
      }
    });
    req.on('error', () => res.destroy());
    res.on('error', () => undefined);
  });
  // Malformed HTTP: answer 400 when the socket still can, never throw.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined); // after listen, nothing fatal can come here
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}${PATH}`,
    clientId,
    clientSecret,
    issue(user, opts = {}) {
      const token = `ya29.${randomBytes(32).toString('base64url')}`;
      const iat = Math.floor(Date.now() / 1000);
      grants.set(token, { user, scope: opts.scope ?? DEFAULT_SCOPE, iat, exp: iat + (opts.expiresIn ?? 3600), revoked: false });
      return token;
    },
    revoke(token) {
      const grant = grants.get(token);
      if (grant) grant.revoked = true;
    },
    get requests() {
      return calls.length;
    },
    get calls() {
      return calls.map((c) => ({ ...c }));
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}
