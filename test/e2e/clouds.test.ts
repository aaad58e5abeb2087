// --cloud end to end: each preset's own sign-in host, IMAP host and scope, reached on loopback with
// --connect-to (as curl has it), so the names the preset sets are the names TLS verifies and the
// token is requested for. Each cloud gets its own identity stand-in (answering as that cloud's
// login host, knowing that cloud's Exchange resource) and its own Dovecot (certificate for that
// cloud's IMAP host, accepting only tokens for that cloud's resource).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOUDS, CLOUD_NAMES, type CloudName } from '../../src/config/clouds.js';
import { startIdentityServer, type IdentityServer } from '../../src/sandbox/identity-server.js';
import { createSelfSignedCert, createTestPki } from '../../src/sandbox/pki.js';
import { findLeak, runCli, type CliRun } from '../support/cli.js';
import { startDovecot, type Dovecot } from '../support/dovecot.js';

const TENANT = '5c1e2f4a-8b7d-4e6f-9a0b-1c2d3e4f5a6b';
const CLIENT_ID = '0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a';
const USER = 'records@agency.example';

interface CloudWorld {
  identity: IdentityServer;
  dovecot: Dovecot;
}

const secret = `cloud~${randomUUID()}`.replace(/-/g, '');
const worlds = new Map<CloudName, CloudWorld>();
const outputs: string[] = [];
let dir: string;
let caFile: string;
let certFile: string;

const loginHost = (name: CloudName) => new URL(CLOUDS[name].authorityHost).hostname;
const resource = (name: CloudName) => CLOUDS[name].appScope.replace(/\/\.default$/, '');

beforeAll(async () => {
  const pki = await createTestPki('imap-oauth clouds CA');
  const appCert = await createSelfSignedCert('CN=imap-oauth clouds app');
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-clouds-'));
  caFile = join(dir, 'ca.pem');
  certFile = join(dir, 'app.pem');
  writeFileSync(caFile, pki.ca.certPem);
  writeFileSync(certFile, appCert.keyPem + appCert.certPem);
  for (const name of CLOUD_NAMES) {
    const cloud = CLOUDS[name];
    const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = `${name}-kid`;
    const [loginCert, imapCert] = await Promise.all([pki.issueServerCert([loginHost(name)]), pki.issueServerCert([cloud.imapHost])]);
    const identity = await startIdentityServer({
      tls: loginCert,
      names: [loginHost(name)],
      exchangeResources: [resource(name)],
      signingKey: { kid, privateKeyPem: signing.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() },
      tenants: [{ id: TENANT, domains: ['agency.example'] }],
      apps: [{ clientId: CLIENT_ID, tenantId: TENANT, secrets: [{ value: secret }], certificates: [appCert.certPem], roles: ['IMAP.AccessAsApp'] }],
    });
    const dovecot = await startDovecot({
      tls: imapCert,
      jwtKeys: [{ kid, publicKeyPem: signing.publicKey.export({ format: 'pem', type: 'spki' }).toString() }],
      audience: resource(name),
    });
    worlds.set(name, { identity, dovecot });
  }
});

afterAll(async () => {
  await Promise.all([...worlds.values()].flatMap((w) => [w.identity.close(), w.dovecot.stop()]));
  if (dir) rmSync(dir, { recursive: true, force: true });
  expect(findLeak(outputs, [secret])).toBeNull();
});

/** Runs `imap-oauth test --cloud NAME` with the cloud's hosts routed to `to`'s loopback servers. */
async function testCloud(name: CloudName, extra: string[], to: CloudName = name): Promise<CliRun> {
  const w = worlds.get(to)!;
  const idPort = new URL(w.identity.url).port;
  const args = [
    'test', '--cloud', name, '--user', USER, '--tenant', TENANT, '--client-id', CLIENT_ID, '--ca-file', caFile, '--timeout', '5',
    '--connect-to', `${loginHost(name)}:443:127.0.0.1:${idPort}`,
    '--connect-to', `${CLOUDS[name].imapHost}:993:127.0.0.1:${w.dovecot.port}`,
    ...extra,
  ];
  const run = await runCli(args, { env: { IMAP_OAUTH_CLIENT_SECRET: secret }, cwd: dir });
  outputs.push(run.stdout, run.stderr);
  return run;
}

describe.each(CLOUD_NAMES.map((n) => [n]))('--cloud %s', (name) => {
  it("gets a token from the cloud's sign-in host for its Exchange resource, and opens the mailbox on its IMAP host", async () => {
    const w = worlds.get(name)!;
    const before = w.identity.requests.length;
    const run = await testCloud(name, ['--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.token.claims.aud).toBe(resource(name));
    expect(doc.results[0]).toMatchObject({ user: USER, host: CLOUDS[name].imapHost, port: 993, ok: true });
    // Exactly one request, a POST to the cloud's own sign-in host, asking for the cloud's scope.
    const seen = w.identity.requests.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', path: `/${TENANT}/oauth2/v2.0/token`, host: loginHost(name), form: { scope: CLOUDS[name].appScope, client_id: CLIENT_ID } });
    expect(run.stderr).toBe('');
  });

  it('works with a certificate: the client assertion is made for that cloud\'s token endpoint', async () => {
    const run = await testCloud(name, ['--cert', certFile]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('PASS');
    expect(run.stdout).toMatch(new RegExp(`✔ connect .*TLSv1\\.3`));
  });
});

describe('a preset is only as good as its cloud', () => {
  it('--verbose names the cloud and the --connect-to routes', async () => {
    const run = await testCloud('usgov', ['--verbose']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('cloud:      Microsoft 365 GCC High (US Government)');
    expect(run.stdout).toContain('authority:  https://login.microsoftonline.us/');
    expect(run.stdout).toMatch(/connect-to: outlook\.office365\.us:993 → 127\.0\.0\.1:\d+/);
  });

  it("the worldwide scope in the China cloud: no such resource there (AADSTS500011), and the fix names China's scope", async () => {
    const run = await testCloud('china', ['--json', '--scope', 'https://outlook.office365.com/.default']);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    const doc = JSON.parse(run.stdout);
    expect(doc.token.error.aadsts).toBe(500011);
    expect(doc.results[0].diagnosis[0]).toMatchObject({ id: 'aadsts-resource-not-found' });
    expect(doc.results[0].diagnosis[0].fix).toContain('Use --scope https://partner.outlook.cn/.default (now: https://outlook.office365.com/.default');
  });

  it("another cloud's sign-in host does not pass for this one: TLS names the host asked for", async () => {
    // The china preset's names routed to the worldwide stand-in, whose certificate is for login.microsoftonline.com.
    const run = await testCloud('china', ['--json'], 'global');
    expect(run.code, run.stdout + run.stderr).toBe(3);
    const doc = JSON.parse(run.stdout);
    expect(doc.token.error.kind).toBe('network');
    expect(JSON.stringify(doc.token.error)).toMatch(/login\.partner\.microsoftonline\.cn/);
  });

  it("TLS verifies the preset's IMAP host name, not the address connected to", async () => {
    // usgov-dod's IMAP host routed to the GCC High Dovecot, whose certificate names outlook.office365.us only.
    const gcc = worlds.get('usgov')!;
    const w = worlds.get('usgov-dod')!;
    const run = await runCli([
      'test', '--cloud', 'usgov-dod', '--user', USER, '--tenant', TENANT, '--client-id', CLIENT_ID, '--ca-file', caFile, '--timeout', '5', '--json',
      '--connect-to', `login.microsoftonline.us:443:127.0.0.1:${new URL(w.identity.url).port}`,
      '--connect-to', `outlook-dod.office365.us:993:127.0.0.1:${gcc.dovecot.port}`,
    ], { env: { IMAP_OAUTH_CLIENT_SECRET: secret }, cwd: dir });
    outputs.push(run.stdout, run.stderr);
    expect(run.code, run.stdout + run.stderr).toBe(4);
    const result = JSON.parse(run.stdout).results[0];
    expect(result).toMatchObject({ host: 'outlook-dod.office365.us', failedStage: 'connect' });
    expect(result.diagnosis[0]).toMatchObject({ id: 'imap-tls-untrusted' });
    expect(result.diagnosis[0].fix).toContain('outlook-dod.office365.us');
  });
});
