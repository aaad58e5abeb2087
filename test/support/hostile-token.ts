// A hostile token endpoint for the end-to-end tests: HTTPS at /<tenant>/oauth2/v2.0/token (what
// MSAL POSTs to when the authority metadata is supplied). It echoes the request back in every field
// and encoding, sends bodies without end or with a lying Content-Length, stalls, answers with an
// access_token that is a number or an object, or throttles with a long Retry-After. It records each
// request body, so a test can count requests and knows exactly which secrets were sent.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { drainedOrClosed } from './drain.js';

export type HostileTokenMode =
  | 'echo' // 401 invalid_client whose every field echoes the request, raw and encoded
  | 'echo-token' // 200 with `token` as access_token (and the request echoed in extra fields)
  | 'endless-body' // 200, chunked, a JSON body that never ends
  | 'huge-length' // 200 with Content-Length: 2 500 000 000, then bytes until the client goes
  | 'stall' // reads the request, never answers
  | 'numeric-token' // 200 {"access_token": 12345678901234567890, …}
  | 'object-token' // 200 {"access_token": {"value": …}, …}
  | 'throttle' // 429 with Retry-After (default 3600)
  | 'bad-request'; // 400 invalid_request (never worth a retry)

export interface HostileTokenOptions {
  mode: HostileTokenMode;
  tls: { keyPem: string; certPem: string };
  /** For 'echo-token': the access token to hand out. */
  token?: string;
  retryAfterSeconds?: number;
  /** A flood stops after this many bytes even if the client still reads; default 256 MiB. */
  floodLimitBytes?: number;
}

export interface HostileToken {
  url: string;
  /** Every POST body received, in order. */
  bodies: string[];
  floodedBytes(): number;
  setMode(mode: HostileTokenMode): void;
  close(): Promise<void>;
}

/** Each value of the request, raw and in each encoding, under its own key. */
function echoFields(body: string): Record<string, string> {
  const out: Record<string, string> = { body, body_base64: Buffer.from(body).toString('base64') };
  for (const [name, value] of new URLSearchParams(body)) {
    out[`${name}_raw`] = value;
    out[`${name}_base64`] = Buffer.from(value).toString('base64');
    out[`${name}_base64url`] = Buffer.from(value).toString('base64url');
    out[`${name}_head`] = value.slice(0, 20);
    out[`${name}_wrapped`] = (Buffer.from(value).toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
  }
  return out;
}

export async function startHostileToken(opts: HostileTokenOptions): Promise<HostileToken> {
  let mode = opts.mode;
  let flooded = 0;
  const floodLimit = opts.floodLimitBytes ?? 256 * 1024 * 1024;
  const bodies: string[] = [];
  const sockets = new Set<Socket>();

  async function flood(res: ServerResponse, chunk: Buffer) {
    let sent = 0;
    while (!res.destroyed && !res.writableEnded && sent < floodLimit) {
      sent += chunk.length;
      flooded += chunk.length;
      if (!res.write(chunk)) {
        const drained = await drainedOrClosed(res);
        if (!drained) return;
      }
    }
    res.end();
  }

  const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(value));
  };

  const server: Server = createServer({ key: opts.tls.keyPem, cert: opts.tls.certPem }, (req, res) => {
    res.on('error', () => undefined);
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      const echoed = echoFields(body);
      const secret = new URLSearchParams(body).get('client_secret') ?? new URLSearchParams(body).get('client_assertion') ?? '';
      switch (mode) {
        case 'echo':
          return json(res, 401, {
            error: 'invalid_client',
            error_description: `AADSTS7000215: Invalid client secret provided. Received ${secret} | ${Buffer.from(secret).toString('base64')} | ${encodeURIComponent(secret)} | ${body.slice(0, 120)}\r\nTrace ID: ${secret}\r\nCorrelation ID: ${secret.slice(0, 36)}\r\nTimestamp: ${secret}`,
            error_codes: [7000215],
            error_uri: `https://login.example/error?code=7000215&secret=${encodeURIComponent(secret)}`,
            trace_id: secret,
            correlation_id: secret,
            timestamp: secret,
            ...echoed,
          });
        case 'echo-token':
          return json(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: opts.token, ...echoed });
        case 'endless-body':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"access_token":"');
          return void flood(res, Buffer.alloc(64 * 1024, 0x61));
        case 'huge-length':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2500000000' });
          res.write('{"access_token":"');
          return void flood(res, Buffer.alloc(64 * 1024, 0x62));
        case 'stall':
          return;
        case 'numeric-token':
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end('{"token_type":"Bearer","expires_in":3599,"access_token":12345678901234567890}');
        case 'object-token':
          return json(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: { value: secret || 'x', kind: 'object' } });
        case 'throttle':
          return json(res, 429, { error: 'temporarily_unavailable', error_description: 'AADSTS50196: The server terminated an operation because it encountered a client request loop.', error_codes: [50196] }, { 'retry-after': String(opts.retryAfterSeconds ?? 3600) });
        case 'bad-request':
          return json(res, 400, { error: 'invalid_request', error_description: 'AADSTS900144: The request body must contain the following parameter: grant_type.', error_codes: [900144] });
      }
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `https://127.0.0.1:${(server.address() as { port: number }).port}`,
    bodies,
    floodedBytes: () => flooded,
    setMode: (m) => (mode = m),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
