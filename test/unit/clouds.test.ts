// --cloud: one preset sets the sign-in host, the IMAP host and the scope; each can be overridden;
// diagnosis and the setup script then name the cloud's hosts, scopes and PowerShell environments.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLOUDS, CLOUD_NAMES, cloudOfAuthority } from '../../src/config/clouds.js';
import { resolveConfig } from '../../src/config/resolve.js';
import type { Config } from '../../src/config/types.js';
import { renderSetupScript, setupInputFromFlags } from '../../src/commands/setup.js';
import { resourceOf } from '../../src/diagnose/cloud.js';
import { diagnose, type DiagnosisContext } from '../../src/diagnose/index.js';
import { ConfigError } from '../../src/errors.js';
import type { ProbeResult } from '../../src/imap/types.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const OID = '99999999-8888-7777-6666-555555555555';
const USER = 'alice@contoso.us';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-oauth-clouds-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  IMAP_OAUTH_USER: USER, IMAP_OAUTH_TENANT_ID: TENANT, IMAP_OAUTH_CLIENT_ID: CLIENT_ID, IMAP_OAUTH_CLIENT_SECRET: 'abc8Q~secret', ...extra,
});
const resolve = (flags: Record<string, unknown> = {}, extraEnv: NodeJS.ProcessEnv = {}): Config =>
  resolveConfig({ flags, env: env(extraEnv), cwd: dir, stdoutIsTTY: false });

describe('the presets', () => {
  it('holds the values checked against Microsoft documentation (README, National clouds)', () => {
    expect(CLOUD_NAMES).toEqual(['global', 'usgov', 'usgov-dod', 'china']);
    expect(CLOUDS.global).toMatchObject({ authorityHost: 'https://login.microsoftonline.com', imapHost: 'outlook.office365.com', appScope: 'https://outlook.office365.com/.default', delegatedScope: 'https://outlook.office.com/IMAP.AccessAsUser.All' });
    expect(CLOUDS.usgov).toMatchObject({ authorityHost: 'https://login.microsoftonline.us', imapHost: 'outlook.office365.us', appScope: 'https://outlook.office365.us/.default', exchangeEnvironment: 'O365USGovGCCHigh', graphEnvironment: 'USGov' });
    expect(CLOUDS['usgov-dod']).toMatchObject({ authorityHost: 'https://login.microsoftonline.us', imapHost: 'outlook-dod.office365.us', appScope: 'https://outlook.office365.us/.default', exchangeEnvironment: 'O365USGovDoD', graphEnvironment: 'USGovDoD' });
    expect(CLOUDS.china).toMatchObject({ authorityHost: 'https://login.partner.microsoftonline.cn', imapHost: 'partner.outlook.cn', appScope: 'https://partner.outlook.cn/.default', exchangeEnvironment: 'O365China', graphEnvironment: 'China' });
  });

  it('finds the cloud of a sign-in host, whatever its case or trailing slash', () => {
    expect(cloudOfAuthority('https://LOGIN.partner.microsoftonline.cn/')?.name).toBe('china');
    expect(cloudOfAuthority('https://login.microsoftonline.us')?.name).toBe('usgov');
    expect(cloudOfAuthority('https://127.0.0.1:8443')).toBeUndefined();
  });
});

describe('resourceOf', () => {
  it.each([
    ['https://outlook.office365.com/.default', 'https://outlook.office365.com'],
    ['https://outlook.office.com/IMAP.AccessAsUser.All', 'https://outlook.office.com'],
    ['https://partner.outlook.cn/.default', 'https://partner.outlook.cn'],
    ['https://outlook.office365.com', 'https://outlook.office365.com'],
    ['api://3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21/Mail.Read', 'api://3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21'],
    ['User.Read', 'User.Read'],
  ])('%s is for %s', (scope, resource) => {
    expect(resourceOf(scope)).toBe(resource);
  });
});

describe('--cloud in the configuration', () => {
  it('defaults to the worldwide cloud', () => {
    const c = resolve();
    expect(c).toMatchObject({ cloud: 'global', authorityHost: 'https://login.microsoftonline.com', host: 'outlook.office365.com', scope: 'https://outlook.office365.com/.default' });
  });

  it.each(CLOUD_NAMES.map((name) => [name]))('--cloud %s sets authority host, IMAP host and app scope together', (name) => {
    const c = resolve({ cloud: name });
    expect(c).toMatchObject({ cloud: name, authorityHost: CLOUDS[name].authorityHost, host: CLOUDS[name].imapHost, scope: CLOUDS[name].appScope });
    expect(c.warnings).toEqual([]);
  });

  it('a delegated flow gets the cloud\'s delegated scope', () => {
    expect(resolve({ cloud: 'china', flow: 'device-code' }).scope).toBe('https://partner.outlook.cn/IMAP.AccessAsUser.All');
  });

  it('comes from IMAP_OAUTH_CLOUD too, and any single value can still be overridden', () => {
    const c = resolve({ host: 'webmail.apps.mil' }, { IMAP_OAUTH_CLOUD: 'usgov-dod', IMAP_OAUTH_SCOPE: 'https://outlook-dod.office365.us/.default' });
    expect(c).toMatchObject({ cloud: 'usgov-dod', authorityHost: 'https://login.microsoftonline.us', host: 'webmail.apps.mil', scope: 'https://outlook-dod.office365.us/.default' });
  });

  it('is case-insensitive and rejects an unknown name in one line, listing the valid ones', () => {
    expect(resolve({ cloud: 'USGov' }).cloud).toBe('usgov');
    let caught: unknown;
    try {
      resolve({ cloud: 'germany' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toBe('invalid cloud "germany" (from --cloud): expected one of global, usgov, usgov-dod, china');
  });

  it('warns when the sign-in host is a national cloud but the rest is worldwide', () => {
    const c = resolve({ authorityHost: 'https://login.microsoftonline.us' });
    expect(c.host).toBe('outlook.office365.com');
    expect(c.warnings).toEqual([expect.stringContaining('add --cloud usgov')]);
    expect(resolve({ authorityHost: 'https://login.microsoftonline.us', cloud: 'usgov-dod' }).warnings).toEqual([]);
    expect(resolve({ authorityHost: 'https://127.0.0.1:8443' }).warnings).toEqual([]);
  });
});

describe('diagnosis names the cloud\'s values', () => {
  const notConnected: ProbeResult = {
    user: USER, host: 'outlook.office365.us', port: 993, ok: false, failedStage: 'mailbox', stages: [], transcript: [],
    evidence: { authenticated: true, serverStatus: 'BAD', serverResponse: 'User is authenticated but not connected.' },
  } as ProbeResult;
  const ctx = (over: Partial<DiagnosisContext>): DiagnosisContext => ({
    user: USER, host: 'outlook.office365.us', tenant: TENANT, clientId: CLIENT_ID, scope: CLOUDS.usgov.appScope, cloud: 'usgov', credential: 'client-secret',
    token: { ok: true, source: 'client-secret', ms: 1, requests: 1, claims: { aud: 'https://outlook.office365.us', roles: ['IMAP.AccessAsApp'], appid: CLIENT_ID, oid: OID, tid: TENANT } },
    now: new Date(), ...over,
  });

  it('connects Exchange Online PowerShell to the cloud', () => {
    const [d] = diagnose(ctx({ probe: notConnected }));
    expect(d?.id).toBe('imap-authenticated-not-connected');
    expect(d?.fix).toContain(`Connect-ExchangeOnline -ExchangeEnvironmentName O365USGovGCCHigh -Organization '${TENANT}'`);
    const [worldwide] = diagnose(ctx({ probe: notConnected, cloud: undefined }));
    expect(worldwide?.fix).toContain(`Connect-ExchangeOnline -Organization '${TENANT}'`);
  });

  it("accepts the cloud's audience and asks for the cloud's scope", () => {
    expect(diagnose(ctx({ probe: { ...notConnected, ok: true, failedStage: null } as ProbeResult }))).toEqual([]);
    const graph = ctx({ cloud: 'china', token: { ok: true, source: 'client-secret', ms: 1, requests: 1, claims: { aud: 'https://microsoftgraph.chinacloudapi.cn', roles: [] } } });
    const [d] = diagnose(graph);
    expect(d?.id).toBe('token-wrong-audience');
    expect(d?.fix).toBe(`Request the token with --scope https://partner.outlook.cn/.default (now: ${CLOUDS.usgov.appScope}).`);
  });

  it('points at the cloud\'s IMAP host when the host is wrong', () => {
    const refused = { ...notConnected, failedStage: 'connect', evidence: { authenticated: false, errorCode: 'ENOTFOUND', errorMessage: 'getaddrinfo ENOTFOUND' } } as ProbeResult;
    const [d] = diagnose(ctx({ cloud: 'usgov-dod', host: 'outlook.office365.com', probe: refused }));
    expect(d?.id).toBe('imap-dns');
    expect(d?.fix).toContain('Exchange Online (Microsoft 365 DoD (US Government)): outlook-dod.office365.us');
  });
});

describe('setup --cloud', () => {
  it('connects Exchange Online and Microsoft Graph PowerShell to the cloud and names it in the test line', () => {
    const script = renderSetupScript(setupInputFromFlags({ clientId: CLIENT_ID, tenant: TENANT, mailbox: [USER], cloud: 'china' }));
    expect(script).toContain(`Connect-ExchangeOnline -ExchangeEnvironmentName O365China -Organization '${TENANT}'`);
    expect(script).toContain("Connect-MgGraph -Environment China -Scopes 'Application.Read.All'");
    expect(script).toContain(`--cloud china --user '${USER}'`);
    expect(script).toContain('#   Cloud:            Microsoft 365 operated by 21Vianet (China)');
  });

  it('leaves the worldwide script as it was', () => {
    const script = renderSetupScript(setupInputFromFlags({ clientId: CLIENT_ID, mailbox: [USER], cloud: 'global' }));
    expect(script).toContain('\nConnect-ExchangeOnline\n');
    expect(script).not.toMatch(/-Environment|--cloud|Cloud:/);
  });

  it('rejects an unknown cloud', () => {
    expect(() => setupInputFromFlags({ clientId: CLIENT_ID, mailbox: [USER], cloud: 'mars' })).toThrow('invalid --cloud "mars": expected one of global, usgov, usgov-dod, china');
  });
});
