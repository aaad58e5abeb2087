// The sandbox identity platform, exercised with the real MSAL (client credentials) in process.
import https from 'node:https';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ConfidentialClientApplication, ServerError, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import { createSelfSignedCert, createTestPki, thumbprintSha256, type KeyAndCert, type TestPki } from '../../src/sandbox/pki.js';
import { parseJwt, verifyJwt } from '../../src/sandbox/jwt.js';
import { startIdentityServer, type IdentityServer, type IdentityServerOptions } from '../../src/sandbox/identity-server.js';

const TENANT = { id: randomUUID(), domains: ['contoso.onmicrosoft.com'] };
const CLIENT_ID = randomUUID();
const SP_ID = randomUUID();
const IMAP_SCOPE = 'https://outlook.office365.com/.default';

let pki: TestPki;
let clientCert: KeyAndCert;
let options: IdentityServerOptions;
let server: IdentityServer;

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** One HTTPS request trusting the test CA; `signal` aborts it. */
function rawRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method ?? 'GET', headers: init.headers, ca: pki.ca.certPem, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/**
 * MSAL's own client uses global fetch, which does not trust the test CA; this one does, and like
 * MSAL's it hands back every status with a parsed body and bounds each call with an AbortController.
 */
function networkClient(timeoutMs = 5_000): INetworkModule {
  const send = async <T>(url: string, method: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let res: RawResponse;
    try {
      res = await rawRequest(url, { method, headers: options?.headers, body: options?.body, signal: abort.signal });
    } catch (e) {
      throw new AuthError('network_error', '', abort.signal.aborted ? 'Request timeout' : `Network request failed: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    try {
      return { status: res.status, headers: res.headers, body: JSON.parse(res.text) as T };
    } catch (e) {
      throw new AuthError('token_parsing_error', '', `Failed to parse response: ${(e as Error).message}`);
    }
  };
  return {
    sendGetRequestAsync: (url, options) => send(url, 'GET', options),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
  };
}

interface AppOptions {
  srv?: IdentityServer;
  tenant?: string;
  clientId?: string;
  secret?: string;
  cert?: KeyAndCert;
  /** Give MSAL the endpoints up front, so it skips the OpenID-configuration GET. */
  metadata?: boolean;
  timeoutMs?: number;
}

function msalApp(o: AppOptions = {}): ConfidentialClientApplication {
  const srv = o.srv ?? server;
  const authorityMetadata = o.metadata
    ? JSON.stringify({
        token_endpoint: `${srv.url}/{tenant}/oauth2/v2.0/token`,
        authorization_endpoint: `${srv.url}/{tenant}/oauth2/v2.0/authorize`,
        issuer: `${srv.url}/{tenant}/v2.0`,
        jwks_uri: `${srv.url}/{tenant}/discovery/v2.0/keys`,
      })
    : undefined;
  const credential = o.cert
    ? { clientCertificate: { thumbprintSha256: thumbprintSha256(o.cert.certPem), privateKey: o.cert.keyPem } }
    : { clientSecret: o.secret ?? 'good-secret' };
  return new ConfidentialClientApplication({
    auth: {
      clientId: o.clientId ?? CLIENT_ID,
      authority: `${srv.url}/${o.tenant ?? TENANT.id}`,
      knownAuthorities: [`localhost:${srv.port}`],
      ...(authorityMetadata ? { authorityMetadata } : {}),
      ...credential,
    },
    system: { networkClient: networkClient(o.timeoutMs) },
  });
}

/** The ServerError MSAL throws for a token request, or a failure if it succeeds. */
async function serverError(o: AppOptions, scopes = [IMAP_SCOPE]): Promise<ServerError> {
  const err: unknown = await msalApp({ metadata: true, ...o })
    .acquireTokenByClientCredential({ scopes })
    .then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ServerError);
  return err as ServerError;
}

beforeAll(async () => {
  pki = await createTestPki();
  const [tls, cert] = await Promise.all([pki.issueServerCert(['localhost', '127.0.0.1']), createSelfSignedCert('CN=imap-checker')]);
  clientCert = cert;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  options = {
    tls,
    signingKey: { kid: 'sandbox-key-1', privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() },
    tenants: [TENANT],
    apps: [
      {
        clientId: CLIENT_ID,
        tenantId: TENANT.id,
        displayName: 'IMAP checker',
        secrets: [{ value: 'good-secret' }, { value: 'old-secret', expired: true }],
        certificates: [clientCert.certPem],
        roles: ['IMAP.AccessAsApp'],
        servicePrincipalId: SP_ID,
      },
    ],
  };
  server = await startIdentityServer(options);
});
afterAll(() => server?.close());
afterEach(() => server.setFault(null));

describe('identity server with MSAL', () => {
  it('issues an Entra v1 app-only token for a client secret', async () => {
    const before = server.requests.length;
    const result = await msalApp().acquireTokenByClientCredential({ scopes: [IMAP_SCOPE] });
    // Without authorityMetadata MSAL resolves the endpoints first, then POSTs.
    const seen = server.requests.slice(before);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /${TENANT.id}/v2.0/.well-known/openid-configuration`,
      `POST /${TENANT.id}/oauth2/v2.0/token`,
    ]);
    expect(seen[1]?.form).toMatchObject({ client_id: CLIENT_ID, grant_type: 'client_credentials', scope: IMAP_SCOPE, client_secret: 'good-secret' });

    const token = result?.accessToken ?? '';
    expect(server.issuedTokens).toContain(token);
    const { header, payload } = verifyJwt(token, options.signingKey.privateKeyPem);
    expect(header).toEqual({ typ: 'JWT', alg: 'RS256', kid: 'sandbox-key-1', x5t: 'sandbox-key-1' });
    const sts = `https://sts.windows.net/${TENANT.id}/`;
    expect(payload).toMatchObject({
      aud: 'https://outlook.office365.com',
      iss: sts,
      idp: sts,
      app_displayname: 'IMAP checker',
      appid: CLIENT_ID,
      appidacr: '1',
      oid: SP_ID,
      sub: SP_ID,
      roles: ['IMAP.AccessAsApp'],
      tid: TENANT.id,
      ver: '1.0',
    });
    const now = Date.now() / 1000;
    expect(payload['nbf']).toBeLessThanOrEqual(now);
    expect(Number(payload['exp']) - now).toBeGreaterThan(3500);
    expect(result?.expiresOn && result.expiresOn.getTime() / 1000 - now).toBeGreaterThan(3500);
  });

  it('accepts a registered certificate (verified PS256 assertion, appidacr 2)', async () => {
    const before = server.requests.length;
    const result = await msalApp({ cert: clientCert, metadata: true }).acquireTokenByClientCredential({ scopes: [IMAP_SCOPE] });
    const form = server.requests.at(-1)?.form ?? {};
    expect(form['client_assertion_type']).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const assertion = verifyJwt(form['client_assertion'] ?? '', clientCert.certPem);
    expect(assertion.header.alg).toBe('PS256');
    expect(assertion.payload['aud']).toBe(`${server.url}/${TENANT.id}/oauth2/v2.0/token`);
    expect(parseJwt(result?.accessToken ?? '').payload['appidacr']).toBe('2');
    // knownAuthorities + authorityMetadata: the token POST is the only request.
    expect(server.requests.slice(before).map((r) => r.method)).toEqual(['POST']);
  });

  it('accepts a verified domain as the tenant (certificate audience included)', async () => {
    const before = server.requests.length;
    const result = await msalApp({ tenant: 'contoso.onmicrosoft.com', cert: clientCert }).acquireTokenByClientCredential({ scopes: [IMAP_SCOPE] });
    expect(parseJwt(result?.accessToken ?? '').payload['tid']).toBe(TENANT.id);
    // The OpenID configuration names GUID endpoints, but MSAL swaps its own tenant segment back in.
    expect(server.requests.slice(before).map((r) => r.path)).toEqual([
      '/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration',
      '/contoso.onmicrosoft.com/oauth2/v2.0/token',
    ]);
  });

  it('gives a Graph token without a roles claim', async () => {
    const result = await msalApp({ metadata: true }).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    const { payload } = parseJwt(result?.accessToken ?? '');
    expect(payload['aud']).toBe('https://graph.microsoft.com');
    expect(payload).not.toHaveProperty('roles');
  });

  it('rejects a wrong secret with AADSTS7000215, echoing the correlation id', async () => {
    const err = await serverError({ secret: 'wrong' });
    expect(err.errorCode).toBe('invalid_client');
    expect(err.errorMessage).toContain('AADSTS7000215: Invalid client secret provided.');
    expect(err.errorMessage).toContain(`for a secret added to app '${CLIENT_ID}'`);
    expect(Number(err.errorNo)).toBe(7000215);
    expect(err.status).toBe(401);
    expect(err.correlationId).toBe(server.requests.at(-1)?.query['client-request-id']);
  });

  it.each([
    ['expired secret', 7000222, 'invalid_client', { secret: 'old-secret' }],
    ['unknown tenant', 90002, 'invalid_request', { tenant: randomUUID() }],
    ['unknown client', 700016, 'unauthorized_client', { clientId: randomUUID() }],
  ] as const)('maps %s to AADSTS%i', async (_name, code, error, o) => {
    const err = await serverError(o);
    expect(err.errorCode).toBe(error);
    expect(err.errorMessage).toContain(`AADSTS${code}:`);
  });

  it('rejects a certificate that was not uploaded with AADSTS700027', async () => {
    const other = await createSelfSignedCert('CN=not-uploaded');
    const err = await serverError({ cert: other });
    expect(err.errorMessage).toContain('AADSTS700027');
    expect(err.errorMessage).toContain('The key was not found');
    expect(err.errorMessage).toContain(thumbprintSha256(other.certPem));
  });

  it('insists on a /.default scope (AADSTS1002012)', async () => {
    const err = await serverError({}, ['https://outlook.office365.com/IMAP.AccessAsApp']);
    expect(err.errorCode).toBe('invalid_scope');
    expect(err.errorMessage).toContain('AADSTS1002012: The provided value for scope https://outlook.office365.com/IMAP.AccessAsApp is not valid.');
  });

  it('answers unknown tenants on discovery with 90002 and unknown paths with 404', async () => {
    const config = await rawRequest(`${server.url}/nowhere.example/v2.0/.well-known/openid-configuration`);
    expect(config.status).toBe(400);
    expect(JSON.parse(config.text)).toMatchObject({ error: 'invalid_request', error_codes: [90002] });
    const missing = await rawRequest(`${server.url}/${TENANT.id}/oauth2/v2.0/authorize`);
    expect([missing.status, JSON.parse(missing.text)]).toEqual([404, { error: 'not_found' }]);
    const keys = JSON.parse((await rawRequest(`${server.url}/${TENANT.id}/discovery/v2.0/keys`)).text) as { keys: Record<string, string>[] };
    expect(keys.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', kid: 'sandbox-key-1', x5t: 'sandbox-key-1', e: 'AQAB' });
  });
});

describe('faults', () => {
  it('hang: no answer within 300 ms, and close() still returns promptly', async () => {
    const own = await startIdentityServer(options);
    own.setFault({ kind: 'hang' });
    const err: unknown = await msalApp({ srv: own, metadata: true, timeoutMs: 300 })
      .acquireTokenByClientCredential({ scopes: [IMAP_SCOPE] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ errorCode: 'network_error', errorMessage: 'Request timeout' });
    // A second hung request that nobody aborts: close() must cut it.
    const pending = rawRequest(`${own.url}/${TENANT.id}/oauth2/v2.0/token`, { method: 'POST', body: 'grant_type=client_credentials' });
    pending.catch(() => undefined);
    await expect.poll(() => own.requests.filter((r) => r.method === 'POST').length).toBe(2);
    await own.close();
    await expect(pending).rejects.toThrow();
  });

  it('reset: MSAL sees a network error', async () => {
    server.setFault({ kind: 'reset' });
    await expect(msalApp({ metadata: true }).acquireTokenByClientCredential({ scopes: [IMAP_SCOPE] })).rejects.toMatchObject({
      errorCode: 'network_error',
    });
  });

  it('html500: MSAL cannot parse the body', async () => {
    server.setFault({ kind: 'html500' });
    await expect(msalApp({ metadata: true }).acquireTokenByClientCredential({ scopes: [IMAP_SCOPE] })).rejects.toMatchObject({
      errorCode: 'token_parsing_error',
    });
  });

  it('empty-token: MSAL resolves with an empty access token', async () => {
    server.setFault({ kind: 'empty-token' });
    const result = await msalApp({ metadata: true }).acquireTokenByClientCredential({ scopes: [IMAP_SCOPE] });
    expect(result?.accessToken).toBe('');
  });

  it('aadsts 50196 with Retry-After: 429 and a real-shaped body', async () => {
    server.setFault({ kind: 'aadsts', code: 50196, retryAfterSeconds: 7 });
    const correlation = randomUUID();
    const res = await rawRequest(`${server.url}/${TENANT.id}/oauth2/v2.0/token?client-request-id=${correlation}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CLIENT_ID, grant_type: 'client_credentials', scope: IMAP_SCOPE, client_secret: 'good-secret' }).toString(),
    });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'temporarily_unavailable', error_codes: [50196], correlation_id: correlation, error_uri: `${server.url}/error?code=50196` });
    expect(body['timestamp']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(body['error_description']).toMatch(
      new RegExp(`^AADSTS50196: .+ Trace ID: ${String(body['trace_id'])} Correlation ID: ${correlation} Timestamp: ${String(body['timestamp'])}$`),
    );
    expect(server.requests.at(-1)?.form).toMatchObject({ client_secret: 'good-secret' });
  });
});
