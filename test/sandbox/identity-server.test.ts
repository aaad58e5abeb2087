// The sandbox identity platform, exercised with the real MSAL (client credentials) in process.
import http from 'node:http';
import https from 'node:https';
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ConfidentialClientApplication, InteractionRequiredAuthError, PublicClientApplication, ServerError, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import { createSelfSignedCert, createTestPki, thumbprintSha256, type KeyAndCert, type TestPki } from '../../src/sandbox/pki.js';
import { parseJwt, verifyJwt } from '../../src/sandbox/jwt.js';
import { describeAadsts, startIdentityServer, type IdentityServer, type IdentityServerOptions } from '../../src/sandbox/identity-server.js';

const TENANT = { id: randomUUID(), domains: ['contoso.onmicrosoft.com'], displayName: 'Contoso' };
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

  it("AADSTS700016 quotes the directory's display name, as Entra does", async () => {
    const clientId = randomUUID();
    const err = await serverError({ clientId });
    expect(err.errorMessage).toContain(`Application with identifier '${clientId}' was not found in the directory 'Contoso'.`);
  });

  it("AADSTS70011 says the request must include a 'scope' and names the scope unquoted", () => {
    const scope = 'https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send';
    expect(describeAadsts(70011, { scope }).description).toBe(
      `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    );
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
    const missing = await rawRequest(`${server.url}/${TENANT.id}/oauth2/v2.0/nothing-here`);
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
      new RegExp(`^AADSTS50196: .+\r\nTrace ID: ${String(body['trace_id'])}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${String(body['timestamp'])}$`),
    );
    expect(server.requests.at(-1)?.form).toMatchObject({ client_secret: 'good-secret' });
  });
});

describe('device code flow (MSAL PublicClientApplication)', () => {
  const PUBLIC_ID = randomUUID();
  const USER_SCOPES = ['https://outlook.office.com/IMAP.AccessAsUser.All', 'offline_access'];
  let dc: IdentityServer;

  beforeAll(async () => {
    dc = await startIdentityServer({
      ...options,
      apps: [...options.apps, { clientId: PUBLIC_ID, tenantId: TENANT.id, displayName: 'IMAP checker (public)', publicClient: true }],
      // MSAL waits interval * 1000 ms between polls and accepts a fraction.
      deviceCodeIntervalSeconds: 0.1,
    });
  });
  afterAll(() => dc?.close());

  function publicApp(clientId = PUBLIC_ID, srv = dc): PublicClientApplication {
    return new PublicClientApplication({
      auth: {
        clientId,
        authority: `${srv.url}/${TENANT.id}`,
        knownAuthorities: [`localhost:${srv.port}`],
        authorityMetadata: JSON.stringify({
          token_endpoint: `${srv.url}/{tenant}/oauth2/v2.0/token`,
          authorization_endpoint: `${srv.url}/{tenant}/oauth2/v2.0/authorize`,
          issuer: `${srv.url}/{tenant}/v2.0`,
          jwks_uri: `${srv.url}/{tenant}/discovery/v2.0/keys`,
        }),
      },
      system: { networkClient: networkClient() },
    });
  }

  it('issues a delegated v1 token, an id token and a refresh token once the user approves', async () => {
    const user = { upn: 'adele@contoso.onmicrosoft.com', oid: randomUUID() };
    const shown: string[] = [];
    const before = dc.requests.length;
    const result = await publicApp().acquireTokenByDeviceCode({
      scopes: USER_SCOPES,
      deviceCodeCallback: (r) => {
        shown.push(r.message);
        expect(r).toMatchObject({ verificationUri: 'https://microsoft.com/devicelogin', expiresIn: 900, interval: 0.1 });
        expect(r.userCode).toMatch(/^[A-Z]{9}$/);
        expect(r.message).toBe(
          `To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ${r.userCode} to authenticate.`,
        );
        expect(dc.deviceCodes().at(-1)).toEqual({ userCode: r.userCode, state: 'pending' });
        // The user takes a moment: MSAL sees authorization_pending first.
        setTimeout(() => dc.approveDeviceCode(r.userCode, user), 250);
      },
    });
    expect(shown).toHaveLength(1);
    const seen = dc.requests.slice(before);
    expect(seen[0]).toMatchObject({ method: 'POST', path: `/${TENANT.id}/oauth2/v2.0/devicecode`, form: { client_id: PUBLIC_ID } });
    expect(seen.length).toBeGreaterThanOrEqual(3); // devicecode, pending poll(s), success
    // MSAL sends the short grant type; the URN works too (see below).
    expect(seen.at(-1)?.form).toMatchObject({ grant_type: 'device_code', client_id: PUBLIC_ID, client_info: '1' });
    expect(dc.deviceCodes().at(-1)?.state).toBe('approved');

    const { header, payload } = verifyJwt(result?.accessToken ?? '', options.signingKey.privateKeyPem);
    expect(header).toEqual({ typ: 'JWT', alg: 'RS256', kid: 'sandbox-key-1', x5t: 'sandbox-key-1' });
    expect(payload).toMatchObject({
      aud: 'https://outlook.office.com',
      iss: `https://sts.windows.net/${TENANT.id}/`,
      scp: 'IMAP.AccessAsUser.All',
      upn: user.upn,
      unique_name: user.upn,
      oid: user.oid,
      tid: TENANT.id,
      appid: PUBLIC_ID,
      appidacr: '0',
      ver: '1.0',
    });
    expect(payload['sub']).toEqual(expect.any(String));
    expect(payload).not.toHaveProperty('roles');
    expect(dc.issuedTokens).toContain(result?.accessToken);

    const id = verifyJwt(result?.idToken ?? '', options.signingKey.privateKeyPem).payload;
    expect(id).toMatchObject({ aud: PUBLIC_ID, iss: `${dc.url}/${TENANT.id}/v2.0`, oid: user.oid, tid: TENANT.id, preferred_username: user.upn, ver: '2.0' });
    expect(result?.account).toMatchObject({ username: user.upn, homeAccountId: `${user.oid}.${TENANT.id}`, tenantId: TENANT.id });
    const reply = dc.requests.at(-1);
    expect(reply?.form?.['scope']?.split(' ').sort()).toEqual(['https://outlook.office.com/IMAP.AccessAsUser.All', 'offline_access', 'openid', 'profile']);
  });

  it('MSAL keeps the refresh token (offline_access) and the account', async () => {
    const lastApp = publicApp();
    await lastApp.acquireTokenByDeviceCode({
      scopes: USER_SCOPES,
      deviceCodeCallback: (r) => dc.approveDeviceCode(r.userCode, { upn: 'someone@contoso.com' }),
    });
    const cache = JSON.parse(lastApp.getTokenCache().serialize()) as { RefreshToken: Record<string, unknown> };
    expect(Object.keys(cache.RefreshToken)).toHaveLength(1);
    const [account] = await lastApp.getTokenCache().getAllAccounts();
    expect(account?.username).toBe('someone@contoso.com');
  });

  it('acquireTokenSilent with forceRefresh: a refresh grant, a new access and refresh token; revoked: invalid_grant', async () => {
    const app = publicApp();
    const user = { upn: 'refresh@contoso.onmicrosoft.com', oid: randomUUID() };
    const first = await app.acquireTokenByDeviceCode({ scopes: USER_SCOPES, deviceCodeCallback: (r) => dc.approveDeviceCode(r.userCode, user) });
    const firstRefresh = dc.issuedRefreshTokens.at(-1);
    const accounts = await app.getTokenCache().getAllAccounts();
    expect(accounts).toHaveLength(1);
    const account = accounts[0]!;

    const before = dc.requests.length;
    const refreshed = await app.acquireTokenSilent({ account, scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All'], forceRefresh: true });
    const seen = dc.requests.slice(before);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([`POST /${TENANT.id}/oauth2/v2.0/token`]);
    const form = seen[0]?.form ?? {};
    expect(form).toMatchObject({ grant_type: 'refresh_token', client_id: PUBLIC_ID, refresh_token: firstRefresh, client_info: '1' });
    expect(form['scope']?.split(' ').sort()).toEqual(['https://outlook.office.com/IMAP.AccessAsUser.All', 'offline_access', 'openid', 'profile']);

    expect(refreshed.accessToken).not.toBe(first?.accessToken);
    expect(dc.issuedTokens).toContain(refreshed.accessToken);
    expect(verifyJwt(refreshed.accessToken, options.signingKey.privateKeyPem).payload).toMatchObject({
      aud: 'https://outlook.office.com',
      scp: 'IMAP.AccessAsUser.All',
      upn: user.upn,
      oid: user.oid,
      tid: TENANT.id,
      appid: PUBLIC_ID,
      appidacr: '0',
    });
    expect(refreshed.account).toMatchObject({ homeAccountId: `${user.oid}.${TENANT.id}`, username: user.upn });
    // Rotation: MSAL stores the new refresh token in place of the old one.
    const rotated = dc.issuedRefreshTokens.at(-1);
    expect(rotated).not.toBe(firstRefresh);
    const cache = JSON.parse(app.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
    expect(Object.values(cache.RefreshToken).map((t) => t.secret)).toEqual([rotated]);

    dc.revokeRefreshTokens();
    const err: unknown = await app
      .acquireTokenSilent({ account, scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All'], forceRefresh: true })
      .catch((e: unknown) => e);
    expect(dc.requests.at(-1)?.form).toMatchObject({ grant_type: 'refresh_token', refresh_token: rotated });
    // msal-common counts only interaction_required, consent_required, login_required, bad_token, … (as error,
    // in the description, or as suberror) as "interaction required"; a bare invalid_grant stays a ServerError.
    expect(err).toBeInstanceOf(ServerError);
    expect(err).not.toBeInstanceOf(InteractionRequiredAuthError);
    expect(err).toMatchObject({ errorCode: 'invalid_grant', errorNo: 700082 }); // status is left undefined on this path
    expect((err as ServerError).errorMessage).toMatch(/^Error\(s\): 700082 - Timestamp: .+ - Description: AADSTS700082: The refresh token has expired due to inactivity\./);
  });

  it('declined: MSAL stops with authorization_declined (its post_request_failed)', async () => {
    const err: unknown = await publicApp()
      .acquireTokenByDeviceCode({ scopes: USER_SCOPES, deviceCodeCallback: (r) => setTimeout(() => dc.declineDeviceCode(r.userCode), 150) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ errorCode: 'post_request_failed', errorMessage: 'authorization_declined' });
    expect(dc.deviceCodes().at(-1)?.state).toBe('declined');
  });

  it('expired: MSAL stops with expired_token', async () => {
    const short = await startIdentityServer({ ...options, apps: [{ clientId: PUBLIC_ID, tenantId: TENANT.id, publicClient: true }], deviceCodeIntervalSeconds: 0.1, deviceCodeExpiresSeconds: 0.3 });
    try {
      const err: unknown = await publicApp(PUBLIC_ID, short)
        .acquireTokenByDeviceCode({
          scopes: USER_SCOPES,
          // MSAL also stops on its own clock at expires_in (client error device_code_expired); let it
          // believe the code lives longer so that the server's answer is what ends the polling.
          deviceCodeCallback: (r) => void Object.assign(r, { expiresIn: 60 }),
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ errorCode: 'post_request_failed', errorMessage: 'expired_token' });
      expect(short.deviceCodes()).toEqual([{ userCode: expect.stringMatching(/^[A-Z]{9}$/), state: 'expired' }]);
      expect(() => short.approveDeviceCode(short.deviceCodes()[0]!.userCode, { upn: 'late@contoso.com' })).toThrow(/expired/);
    } finally {
      await short.close();
    }
  });

  it('an app without "Allow public client flows": AADSTS7000218 on the first poll', async () => {
    const err: unknown = await publicApp(CLIENT_ID)
      .acquireTokenByDeviceCode({ scopes: USER_SCOPES, deviceCodeCallback: () => undefined })
      .catch((e: unknown) => e);
    // MSAL keeps only the OAuth error of a failed poll.
    expect(err).toMatchObject({ errorCode: 'post_request_failed', errorMessage: 'invalid_client' });
    const poll = dc.requests.at(-1);
    expect(poll?.form?.['grant_type']).toBe('device_code');
    const res = await rawRequest(`${dc.url}/${TENANT.id}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(poll?.form).toString() });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text)).toMatchObject({
      error: 'invalid_client',
      error_codes: [7000218],
      error_description: expect.stringMatching(/^AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'\.\r\nTrace ID/),
    });
  });
});

describe('device code endpoints on the wire', () => {
  const PUBLIC_ID = randomUUID();
  let dc: IdentityServer;
  beforeAll(async () => {
    dc = await startIdentityServer({
      ...options,
      apps: [{ clientId: PUBLIC_ID, tenantId: TENANT.id, publicClient: true }],
      deviceCodeIntervalSeconds: 1,
      deviceCodeSlowDown: true,
    });
  });
  afterAll(() => dc?.close());

  const post = async (path: string, form: Record<string, string>) => {
    const res = await rawRequest(`${dc.url}${path}`, { method: 'POST', body: new URLSearchParams(form).toString() });
    return { status: res.status, body: JSON.parse(res.text) as Record<string, unknown> };
  };
  const poll = (deviceCode: string) =>
    post(`/${TENANT.id}/oauth2/v2.0/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: PUBLIC_ID, device_code: deviceCode });

  it('answers devicecode like Entra, and unknown tenants/apps like the token endpoint', async () => {
    const ok = await post(`/${TENANT.id}/oauth2/v2.0/devicecode`, { client_id: PUBLIC_ID, scope: 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ verification_uri: 'https://microsoft.com/devicelogin', expires_in: 900, interval: 1 });
    expect(Object.keys(ok.body).sort()).toEqual(['device_code', 'expires_in', 'interval', 'message', 'user_code', 'verification_uri']);
    const tenant = await post(`/${randomUUID()}/oauth2/v2.0/devicecode`, { client_id: PUBLIC_ID, scope: 'openid' });
    expect([tenant.status, tenant.body['error_codes']]).toEqual([400, [90002]]);
    const app = await post(`/${TENANT.id}/oauth2/v2.0/devicecode`, { client_id: randomUUID(), scope: 'openid' });
    expect([app.status, app.body['error'], app.body['error_codes']]).toEqual([400, 'unauthorized_client', [700016]]);
  });

  it('pending (AADSTS70016), slow_down when polled sooner than interval, unknown code, then success once', async () => {
    const { body } = await post(`/organizations/oauth2/v2.0/devicecode`, { client_id: PUBLIC_ID, scope: 'https://outlook.office.com/IMAP.AccessAsUser.All' });
    const deviceCode = String(body['device_code']);
    const pending = await poll(deviceCode);
    expect(pending.status).toBe(400);
    expect(pending.body).toMatchObject({ error: 'authorization_pending', error_codes: [70016] });
    expect(pending.body['error_description']).toMatch(/^AADSTS70016: OAuth 2\.0 device flow error\. Authorization is pending\. Continue polling\.\r\nTrace ID: /);
    expect((await poll(deviceCode)).body['error']).toBe('slow_down');
    expect((await poll('nonsense')).body).toMatchObject({ error: 'bad_verification_code', error_codes: [70018] });
    dc.approveDeviceCode(String(body['user_code']), { upn: 'someone@contoso.com' });
    const done = await poll(deviceCode);
    expect(done.status).toBe(200);
    // No offline_access, no openid: an access token only.
    expect(Object.keys(done.body).sort()).toEqual(['access_token', 'expires_in', 'ext_expires_in', 'scope', 'token_type']);
    expect(parseJwt(String(done.body['access_token'])).payload).toMatchObject({ scp: 'IMAP.AccessAsUser.All', upn: 'someone@contoso.com', tid: TENANT.id });
    // A device code is redeemed once.
    expect((await poll(deviceCode)).body).toMatchObject({ error: 'expired_token', error_codes: [70020] });
  });

  it('refresh token grant: rotation, and invalid_grant for unknown (9002313) and revoked (700082); unknown client 700016', async () => {
    const { body } = await post(`/${TENANT.id}/oauth2/v2.0/devicecode`, { client_id: PUBLIC_ID, scope: 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access openid profile' });
    dc.approveDeviceCode(String(body['user_code']), { upn: 'rt@contoso.com' });
    await new Promise((r) => setTimeout(r, 1_000)); // past the interval, or slow_down
    const done = await poll(String(body['device_code']));
    expect(done.status).toBe(200);
    const rt = String(done.body['refresh_token']);
    expect(dc.issuedRefreshTokens).toContain(rt);
    const refresh = (token: string, extra: Record<string, string> = {}) =>
      post(`/${TENANT.id}/oauth2/v2.0/token`, {
        grant_type: 'refresh_token',
        client_id: PUBLIC_ID,
        refresh_token: token,
        scope: 'https://graph.microsoft.com/Mail.Read offline_access openid profile',
        client_info: '1',
        ...extra,
      });
    const ok = await refresh(rt);
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.body).sort()).toEqual(['access_token', 'client_info', 'expires_in', 'ext_expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
    expect(ok.body['refresh_token']).not.toBe(rt);
    // The same user, for whichever resource the refresh asks.
    expect(parseJwt(String(ok.body['access_token'])).payload).toMatchObject({ aud: 'https://graph.microsoft.com', scp: 'Mail.Read', upn: 'rt@contoso.com' });

    const unknown = await refresh('1.AXkAnot-a-token');
    expect([unknown.status, unknown.body['error'], unknown.body['error_codes']]).toEqual([400, 'invalid_grant', [9002313]]);
    expect(unknown.body['error_description']).toMatch(/^AADSTS9002313: Invalid request\. Request is malformed or invalid\.\r\nTrace ID: /);
    const other = await refresh(rt, { client_id: randomUUID() });
    expect(other.body['error_codes']).toEqual([700016]);
    const missing = await refresh('');
    expect(missing.body).toMatchObject({ error: 'invalid_request', error_codes: [900144] });

    dc.revokeRefreshTokens();
    for (const token of [rt, String(ok.body['refresh_token'])]) {
      const revoked = await refresh(token);
      expect([revoked.status, revoked.body['error'], revoked.body['error_codes']]).toEqual([400, 'invalid_grant', [700082]]);
      expect(revoked.body['error_description']).toMatch(
        /^AADSTS700082: The refresh token has expired due to inactivity\. The token was issued on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z and was inactive for 90\.00:00:00\.\r\nTrace ID: /,
      );
    }
  });

  it('declined: authorization_declined', async () => {
    const { body } = await post(`/${TENANT.id}/oauth2/v2.0/devicecode`, { client_id: PUBLIC_ID, scope: 'https://outlook.office.com/IMAP.AccessAsUser.All' });
    dc.declineDeviceCode(String(body['user_code']));
    const res = await poll(String(body['device_code']));
    expect([res.status, res.body['error'], res.body['error_codes']]).toEqual([400, 'authorization_declined', [70000]]);
    expect(() => dc.declineDeviceCode('NOSUCHCOD')).toThrow();
  });
});

describe('authorization code flow with PKCE (MSAL acquireTokenInteractive)', () => {
  const PUBLIC_ID = randomUUID();
  const IMAP_USER_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';
  let ac: IdentityServer;
  beforeAll(async () => {
    ac = await startIdentityServer({
      ...options,
      apps: [...options.apps, { clientId: PUBLIC_ID, tenantId: TENANT.id, displayName: 'IMAP checker (public)', publicClient: true }],
    });
  });
  afterAll(() => ac?.close());
  afterEach(() => ac.setInteractiveUser(null));

  function publicApp(): PublicClientApplication {
    return new PublicClientApplication({
      auth: {
        clientId: PUBLIC_ID,
        authority: `${ac.url}/${TENANT.id}`,
        knownAuthorities: [`localhost:${ac.port}`],
        authorityMetadata: JSON.stringify({
          token_endpoint: `${ac.url}/{tenant}/oauth2/v2.0/token`,
          authorization_endpoint: `${ac.url}/{tenant}/oauth2/v2.0/authorize`,
          issuer: `${ac.url}/{tenant}/v2.0`,
          jwks_uri: `${ac.url}/{tenant}/discovery/v2.0/keys`,
        }),
      },
      system: { networkClient: networkClient() },
    });
  }

  /** Plain HTTP to MSAL's loopback server (what the browser does after the sign-in page). */
  function loopback(url: string, method: string, form?: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const headers = form ? { 'content-type': 'application/x-www-form-urlencoded' } : undefined;
      const req = http.request(url, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(form);
    });
  }
  const unescape = (v: string) => v.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)));

  interface BrowserVisit {
    authorizeUrl: URL;
    authorize: RawResponse;
    delivered?: { status: number; text: string; form: Record<string, string> };
  }
  /** Acts as the browser: the sign-in page, then whatever it sends back (302 or Entra's form_post page). */
  async function browse(url: string): Promise<BrowserVisit> {
    const visit: BrowserVisit = { authorizeUrl: new URL(url), authorize: await rawRequest(url) };
    const { status, headers, text } = visit.authorize;
    if (status === 302 && headers['location']) {
      const location = new URL(headers['location']);
      const res = await loopback(location.href, 'GET');
      visit.delivered = { ...res, form: Object.fromEntries(location.searchParams) };
    } else if (status === 200) {
      const action = unescape(/<form method="POST" name="hiddenform" action="([^"]*)"/.exec(text)?.[1] ?? '');
      const form = Object.fromEntries(Array.from(text.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)" \/>/g), (m) => [unescape(m[1]!), unescape(m[2]!)]));
      visit.delivered = { ...(await loopback(action, 'POST', new URLSearchParams(form).toString())), form };
    }
    return visit;
  }

  it('signs the interactive user in: form_post to the loopback, code + verifier redeemed for a delegated token', async () => {
    const user = { upn: 'megan@contoso.onmicrosoft.com', oid: randomUUID(), name: 'Megan Bowen' };
    ac.setInteractiveUser(user);
    const before = ac.requests.length;
    let visit: BrowserVisit | undefined;
    const result = await publicApp().acquireTokenInteractive({
      scopes: [IMAP_USER_SCOPE],
      openBrowser: async (url) => {
        visit = await browse(url);
      },
      successTemplate: 'ok',
      errorTemplate: 'error',
    });

    // What MSAL 7 sends to the authorize endpoint: its own loopback redirect and response_mode=form_post.
    const q = Object.fromEntries(visit!.authorizeUrl.searchParams);
    expect(visit!.authorizeUrl.pathname).toBe(`/${TENANT.id}/oauth2/v2.0/authorize`);
    expect(q).toMatchObject({
      client_id: PUBLIC_ID,
      response_type: 'code',
      response_mode: 'form_post',
      code_challenge_method: 'S256',
      client_info: '1',
      'client-request-id': expect.any(String),
    });
    // No prompt unless the caller sets one.
    expect(Object.keys(q).sort()).toEqual(['claims', 'clidata', 'client-request-id', 'client_id', 'client_info', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'response_mode', 'response_type', 'scope', 'state', 'x-client-CPU', 'x-client-OS', 'x-client-SKU', 'x-client-VER'].sort());
    expect(q['redirect_uri']).toMatch(/^http:\/\/localhost:\d+$/);
    expect(q['scope']?.split(' ').sort()).toEqual([IMAP_USER_SCOPE, 'offline_access', 'openid', 'profile']);
    expect(q['code_challenge']).toMatch(/^[\w-]{43}$/);
    expect(q['state']).toEqual(expect.any(String));

    // The stand-in answers with Entra's auto-posting form; the loopback shows the success template.
    expect(visit!.authorize.status).toBe(200);
    expect(visit!.authorize.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(Object.keys(visit!.delivered!.form)).toEqual(['code', 'client_info', 'state', 'session_state']);
    expect(visit!.delivered).toMatchObject({ status: 200, text: 'ok', form: { code: ac.issuedAuthorizationCodes.at(-1), state: q['state'] } });

    const seen = ac.requests.slice(before);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /${TENANT.id}/oauth2/v2.0/authorize`, `POST /${TENANT.id}/oauth2/v2.0/token`]);
    const form = seen[1]?.form ?? {};
    expect(form).toMatchObject({ grant_type: 'authorization_code', client_id: PUBLIC_ID, code: visit!.delivered!.form['code'], redirect_uri: q['redirect_uri'], client_info: '1' });
    expect(createHash('sha256').update(form['code_verifier'] ?? '').digest('base64url')).toBe(q['code_challenge']);

    expect(verifyJwt(result.accessToken, options.signingKey.privateKeyPem).payload).toMatchObject({
      aud: 'https://outlook.office.com',
      scp: 'IMAP.AccessAsUser.All',
      upn: user.upn,
      name: user.name,
      oid: user.oid,
      tid: TENANT.id,
      appid: PUBLIC_ID,
      appidacr: '0',
    });
    expect(result.account).toMatchObject({ username: user.upn, homeAccountId: `${user.oid}.${TENANT.id}` });
    expect(ac.issuedRefreshTokens).toHaveLength(1);
    // A code is redeemed once.
    const again = await rawRequest(`${ac.url}/${TENANT.id}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(form).toString() });
    expect([again.status, JSON.parse(again.text)]).toEqual([400, expect.objectContaining({ error: 'invalid_grant', error_codes: [54005] })]);
  });

  it('no interactive user: access_denied (AADSTS65004) posted back; MSAL throws a ServerError', async () => {
    let visit: BrowserVisit | undefined;
    const err: unknown = await publicApp()
      .acquireTokenInteractive({ scopes: [IMAP_USER_SCOPE], openBrowser: async (url) => void (visit = await browse(url)), successTemplate: 'ok', errorTemplate: 'error' })
      .catch((e: unknown) => e);
    expect(visit!.delivered).toMatchObject({ status: 200, text: 'error', form: { error: 'access_denied', error_uri: `${ac.url}/error?code=65004` } });
    expect(visit!.delivered!.form['error_description']).toMatch(/^AADSTS65004: User declined to consent to access the app\.\r\nTrace ID: .+\r\nCorrelation ID: .+\r\nTimestamp: /);
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ errorCode: 'access_denied' });
    expect((err as ServerError).errorMessage).toContain('AADSTS65004: User declined to consent to access the app.');
    expect(ac.requests.at(-1)?.path).toBe(`/${TENANT.id}/oauth2/v2.0/authorize`); // no token request
  });

  describe('on the wire', () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirect = 'http://localhost:53124';
    const authorizeQuery = (extra: Record<string, string> = {}) =>
      new URLSearchParams({
        client_id: PUBLIC_ID,
        response_type: 'code',
        redirect_uri: redirect,
        scope: `${IMAP_USER_SCOPE} offline_access openid profile`,
        state: 'xyz',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        response_mode: 'query',
        ...extra,
      }).toString();
    const getCode = async (srv = ac, extra: Record<string, string> = {}) => {
      const res = await rawRequest(`${srv.url}/${TENANT.id}/oauth2/v2.0/authorize?${authorizeQuery(extra)}`);
      expect(res.status).toBe(302);
      return new URL(res.headers['location'] ?? '');
    };
    const redeem = async (code: string, extra: Record<string, string> = {}, srv = ac) => {
      const res = await rawRequest(`${srv.url}/${TENANT.id}/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'authorization_code', client_id: PUBLIC_ID, code, redirect_uri: redirect, code_verifier: verifier, scope: `${IMAP_USER_SCOPE} offline_access openid profile`, client_info: '1', ...extra }).toString(),
      });
      return { status: res.status, body: JSON.parse(res.text) as Record<string, unknown> };
    };

    it('response_mode=query: 302 with code, client_info, state and session_state; a wrong verifier is AADSTS501481', async () => {
      ac.setInteractiveUser({ upn: 'wire@contoso.com' });
      const location = await getCode();
      expect(`${location.origin}${location.pathname}`).toBe(`${redirect}/`);
      expect([...location.searchParams.keys()]).toEqual(['code', 'client_info', 'state', 'session_state']);
      expect(location.searchParams.get('state')).toBe('xyz');
      const code = location.searchParams.get('code') ?? '';

      const wrong = await redeem(code, { code_verifier: randomBytes(32).toString('base64url') });
      expect([wrong.status, wrong.body['error'], wrong.body['error_codes']]).toEqual([400, 'invalid_grant', [501481]]);
      expect(wrong.body['error_description']).toMatch(/^AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request\.\r\nTrace ID: /);
      expect((await redeem(code, { code_verifier: '' })).body['error_codes']).toEqual([501481]);
      const otherRedirect = await redeem(code, { redirect_uri: 'http://localhost:1/' });
      expect(otherRedirect.body).toMatchObject({ error: 'invalid_grant', error_codes: [500112] });

      const ok = await redeem(code);
      expect(ok.status).toBe(200);
      expect(Object.keys(ok.body).sort()).toEqual(['access_token', 'client_info', 'expires_in', 'ext_expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
      expect(parseJwt(String(ok.body['access_token'])).payload).toMatchObject({ scp: 'IMAP.AccessAsUser.All', upn: 'wire@contoso.com' });
      expect((await redeem(code)).body).toMatchObject({ error: 'invalid_grant', error_codes: [54005] });
      expect((await redeem('1.AXkAnot-a-code')).body).toMatchObject({ error: 'invalid_grant', error_codes: [9002313] });
    });

    it('an expired code is AADSTS70008; prompt=none without a user is login_required (AADSTS50058)', async () => {
      const short = await startIdentityServer({ ...options, apps: [{ clientId: PUBLIC_ID, tenantId: TENANT.id, publicClient: true }], authorizationCodeLifetimeSeconds: 0.05 });
      try {
        short.setInteractiveUser({ upn: 'late@contoso.com' });
        const code = (await getCode(short)).searchParams.get('code') ?? '';
        await new Promise((r) => setTimeout(r, 100));
        expect((await redeem(code, {}, short)).body).toMatchObject({ error: 'invalid_grant', error_codes: [70008] });
        short.setInteractiveUser(null);
        const none = await getCode(short, { prompt: 'none' });
        expect(Object.fromEntries(none.searchParams)).toMatchObject({ error: 'login_required', state: 'xyz' });
        expect(none.searchParams.get('error_description')).toMatch(/^AADSTS50058: /);
      } finally {
        await short.close();
      }
    });

    it('unknown tenant or app and non-loopback redirect URIs end on Entra\'s error page (400 HTML), never redirected', async () => {
      const page = async (seg: string, extra: Record<string, string>) => {
        const res = await rawRequest(`${ac.url}/${seg}/oauth2/v2.0/authorize?${authorizeQuery(extra)}`);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(res.headers).not.toHaveProperty('location');
        return res.text;
      };
      expect(await page(randomUUID(), {})).toContain('AADSTS90002: Tenant');
      expect(await page(TENANT.id, { client_id: randomUUID() })).toContain('AADSTS700016: Application with identifier');
      for (const uri of ['https://evil.example/cb', 'http://evil.example:53124', 'https://localhost:53124']) {
        expect(await page(TENANT.id, { redirect_uri: uri })).toContain(
          `AADSTS50011: The redirect URI &#39;${uri}&#39; specified in the request does not match the redirect URIs configured for the application &#39;${PUBLIC_ID}&#39;.`,
        );
      }
      // Loopback in any form is fine.
      ac.setInteractiveUser({ upn: 'loop@contoso.com' });
      for (const uri of ['http://127.0.0.1:9/cb', 'http://localhost/']) {
        const res = await rawRequest(`${ac.url}/${TENANT.id}/oauth2/v2.0/authorize?${authorizeQuery({ redirect_uri: uri })}`);
        expect(res.headers['location']?.startsWith(`${uri}?code=`)).toBe(true);
      }
    });
  });
});
