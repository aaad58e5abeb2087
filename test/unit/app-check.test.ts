// --check-app, the pure parts: Graph's application object read into credentials with days left,
// Graph errors, the findings (advisory within --warn-days, error once expired, the 403 grant), and
// how Nagios and Prometheus show them.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signJwt } from '../../src/sandbox/jwt.js';
import { graphReply } from '../../src/sandbox/graph-server.js';
import { credentialState, graphError, readApplication, thumbprintOf, type AppCheck } from '../../src/app-check/evaluate.js';
import { graphUrl } from '../../src/app-check/graph.js';
import { appFindings } from '../../src/diagnose/rules/app-credentials.js';
import { renderNagios } from '../../src/report/nagios.js';
import { renderPrometheus } from '../../src/report/prometheus.js';
import type { AppReport } from '../../src/result.js';
import { NOW, passed, run } from '../support/run-fixture.js';

const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();
const APP = '3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21';
const KEY = '11111111-2222-4333-8444-555555555555';
const THUMB = 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678';
const graphApp = {
  displayName: 'Mail reader',
  passwordCredentials: [
    { customKeyIdentifier: null, displayName: 'prod', endDateTime: at(5), hint: 'Abcdef', keyId: KEY, secretText: null },
    { displayName: null, endDateTime: at(400), hint: 'xyz', keyId: '22222222-2222-4333-8444-555555555555' },
  ],
  keyCredentials: [
    { customKeyIdentifier: Buffer.from(THUMB, 'hex').toString('base64'), displayName: 'CN=old', endDateTime: at(-2), keyId: KEY, type: 'AsymmetricX509Cert', usage: 'Verify' },
    { customKeyIdentifier: null, displayName: 'a symmetric key', endDateTime: at(1), type: 'Symmetric', usage: 'Verify' },
  ],
};

describe('reading the application object', () => {
  it('every secret and certificate, soonest end first, days left and state; symmetric keys are not certificates', () => {
    const app = readApplication(graphApp, NOW, 30)!;
    expect(app.displayName).toBe('Mail reader');
    expect(app.credentials).toEqual([
      { kind: 'certificate', name: 'CN=old', displayName: 'CN=old', keyId: KEY, thumbprint: THUMB, endDateTime: at(-2), daysLeft: -2, state: 'expired' },
      { kind: 'secret', name: 'prod', displayName: 'prod', keyId: KEY, hint: 'Abc', endDateTime: at(5), daysLeft: 5, state: 'expiring' },
      expect.objectContaining({ kind: 'secret', name: 'xyz…', hint: 'xyz', daysLeft: 400, state: 'ok' }),
    ]);
  });
  it('within --warn-days means that many days or fewer; the end itself is expired', () => {
    expect(credentialState(at(30), NOW, 30).state).toBe('expiring');
    expect(credentialState(at(30.1), NOW, 30).state).toBe('ok');
    expect(credentialState(at(0), NOW, 30).state).toBe('expired');
    expect(credentialState(undefined, NOW, 30)).toEqual({ state: 'ok' });
  });
  it('customKeyIdentifier: base64 of the SHA-1 thumbprint, or hex; anything else dropped', () => {
    expect(thumbprintOf(Buffer.from(THUMB, 'hex').toString('base64'))).toBe(THUMB);
    expect(thumbprintOf(THUMB.toLowerCase())).toBe(THUMB);
    expect(thumbprintOf('bm90IGEgdGh1bWJwcmludA==')).toBeUndefined();
    expect(thumbprintOf(42)).toBeUndefined();
  });
  it('something that is not an application object is undefined', () => {
    expect(readApplication({ value: [] }, NOW, 30)).toBeUndefined();
    expect(readApplication('x', NOW, 30)).toBeUndefined();
  });
  it("Graph's error body becomes a kind, the code and one line", () => {
    expect(graphError(403, { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } })).toEqual({ kind: 'forbidden', httpStatus: 403, code: 'Authorization_RequestDenied', message: 'HTTP 403 Authorization_RequestDenied: Insufficient privileges to complete the operation.' });
    expect(graphError(404, {}).kind).toBe('not-found');
    expect(graphError(503, 'x')).toEqual({ kind: 'http', httpStatus: 503, message: 'HTTP 503' });
  });
  it("each cloud's Graph host", () => {
    expect(graphUrl({ cloud: 'global', clientId: APP }).url).toBe(`https://graph.microsoft.com/v1.0/applications(appId='${APP}')?$select=displayName,passwordCredentials,keyCredentials`);
    expect(graphUrl({ cloud: 'usgov', clientId: APP }).host).toBe('https://graph.microsoft.us');
    expect(graphUrl({ cloud: 'usgov-dod', clientId: APP }).host).toBe('https://dod-graph.microsoft.us');
    expect(graphUrl({ cloud: 'china', clientId: APP }).host).toBe('https://microsoftgraph.chinacloudapi.cn');
  });
});

const check = (over: Partial<AppCheck> = {}): AppCheck => ({ appId: APP, url: 'u', ok: true, ...readApplication(graphApp, NOW, 30)!, ...over });
const report = (c: AppCheck, cloud: 'global' | 'china' = 'global'): AppReport => ({ ...c, findings: appFindings(c, { clientId: APP, cloud, warnDays: 30 }) });

describe('findings', () => {
  it('an expired certificate is an error, a secret within --warn-days advisory; nothing for the rest', () => {
    const f = appFindings(check(), { clientId: APP, warnDays: 30 });
    expect(f.map((d) => [d.id, d.severity])).toEqual([['app-certificate-expired', 'error'], ['app-secret-expiring', 'advisory']]);
    expect(f[0]!.summary).toBe(`the app registration's certificate "CN=old" (SHA-1 ${THUMB}) expired on ${at(-2)}`);
    expect(f[1]!.summary).toBe(`the app registration's client secret "prod" (Abc…) expires on ${at(5)} (in 5 days)`);
    expect(f[1]!.fix).toContain(`az ad app credential delete --id ${APP} --key-id ${KEY}`);
    expect(f[0]!.fix).toContain('imap-oauth cert new');
  });
  it('names from Graph never enter a command; a keyId that is not a GUID is a placeholder; national clouds set az first', () => {
    const hostile = check({ credentials: [{ kind: 'secret', name: "x' ; rm -rf ~", displayName: "x' ; rm -rf ~", keyId: '$(rm -rf ~)', endDateTime: at(1), daysLeft: 1, state: 'expiring' }] });
    const [d] = report(hostile, 'china').findings;
    expect(d!.fix).not.toContain('rm -rf');
    expect(d!.fix).toContain('--key-id <key-id>');
    expect(d!.fix).toContain('az cloud set --name AzureChinaCloud');
  });
  it('403: the grant of Application.Read.All with admin consent, by name (az and Graph PowerShell); other failures their own finding', () => {
    const [d] = appFindings({ appId: APP, url: 'u', ok: false, credentials: [], error: graphError(403, { error: { code: 'Authorization_RequestDenied' } }) }, { clientId: APP, warnDays: 30 });
    expect(d).toMatchObject({ id: 'app-check-forbidden', severity: 'advisory' });
    expect(d!.fix).toContain(`az ad app permission admin-consent --id ${APP}`);
    expect(d!.fix).toContain('New-MgServicePrincipalAppRoleAssignment');
    expect(appFindings({ appId: APP, url: 'u', ok: false, credentials: [], error: { kind: 'network', message: 'GET graph.microsoft.com: timed out after 5 s' } }, { warnDays: 30 })[0]).toMatchObject({ id: 'app-check-failed', severity: 'advisory' });
  });
});

describe('in the monitoring outputs', () => {
  it('Nagios: CRITICAL for an expired credential, WARNING for one expiring, state untouched when the registration could not be read', () => {
    const opts = { warnDays: 30, now: NOW };
    expect(renderNagios({ ...run([passed('a@contoso.com')]), app: report(check()) }, opts).code).toBe(2);
    const soon = check({ credentials: check().credentials.filter((c) => c.state !== 'expired') });
    const warning = renderNagios({ ...run([passed('a@contoso.com')]), app: report(soon) }, opts);
    expect(warning.code).toBe(1);
    expect(warning.text.split('\n')[0]).toContain("'app secret prod days_left'=5;30:;0:;;");
    const forbidden = check({ ok: false, credentials: [], error: graphError(403, {}) });
    expect(renderNagios({ ...run([passed('a@contoso.com')]), app: report(forbidden) }, opts).code).toBe(0);
  });
  it('Prometheus: one sample per credential, labelled app, kind and name', () => {
    const text = renderPrometheus({ ...run([passed('a@contoso.com')]), app: report(check()) });
    expect(text).toContain('# TYPE imap_oauth_app_credential_expiry_timestamp_seconds gauge');
    expect(text).toContain(`imap_oauth_app_credential_expiry_timestamp_seconds{app="${APP}",kind="secret",name="prod"} ${Date.parse(at(5)) / 1000}`);
    expect(text).toContain(`imap_oauth_app_credential_expiry_timestamp_seconds{app="${APP}",kind="certificate",name="CN=old ${THUMB}"} ${Date.parse(at(-2)) / 1000}`);
  });
});

describe("the sandbox's Graph route", () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
  const apps = [{ clientId: APP, tenantId: TENANT, displayName: 'Mail reader', secrets: [{ value: 'Abc~not-shown-1234567890', displayName: 'prod' }] }];
  const token = (claims: Record<string, unknown> = {}, key = privateKey) =>
    signJwt({ alg: 'RS256', typ: 'JWT' }, { aud: 'https://graph.microsoft.com', tid: TENANT, roles: ['Application.Read.All'], exp: Math.floor(Date.now() / 1000) + 600, ...claims }, key);
  const get = (auth: string | undefined, path = `/v1.0/applications(appId='${APP}')`) =>
    graphReply({ method: 'GET', path, query: { $select: 'displayName,passwordCredentials' }, ...(auth ? { authorization: auth } : {}) }, apps, publicKey);
  const code = (r: { body: string }) => (JSON.parse(r.body) as { error?: { code: string } }).error?.code;

  it('serves the selected properties, a 3-character hint and never the secret', () => {
    const r = get(`Bearer ${token()}`);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body);
    expect(Object.keys(body)).toEqual(['@odata.context', 'displayName', 'passwordCredentials']);
    expect(body.passwordCredentials[0]).toMatchObject({ displayName: 'prod', hint: 'Abc', secretText: null });
    expect(r.body).not.toContain('not-shown');
  });
  it("refuses as Graph does: no token 401, another key 401, another audience 401, no Application.Read.All 403, another tenant's app 404", () => {
    expect([get(undefined).status, code(get(undefined))]).toEqual([401, 'InvalidAuthenticationToken']);
    expect(get(`Bearer ${token({}, other)}`).status).toBe(401);
    expect(JSON.parse(get(`Bearer ${token({ aud: 'https://outlook.office365.com' })}`).body).error.message).toMatch(/Invalid audience/);
    expect([get(`Bearer ${token({ roles: ['Mail.Read'] })}`).status, code(get(`Bearer ${token({ roles: [] })}`))]).toEqual([403, 'Authorization_RequestDenied']);
    expect(code(get(`Bearer ${token({ tid: '00000000-0000-0000-0000-000000000001' })}`))).toBe('Request_ResourceNotFound');
    expect(get(`Bearer ${token()}`, '/v1.0/me').status).toBe(400);
  });
});
