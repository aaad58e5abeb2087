// --check-app end to end: an app-only Microsoft Graph token from the identity stand-in, then the app
// registration read from its Graph route under Graph's own name (--connect-to, TLS verified against
// the test CA): one secret expiring in 5 days, one certificate expired; every report shows them.
// Without Application.Read.All the 403 is its own finding and the mail check still passes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedCert } from '../../src/sandbox/pki.js';
import { SANDBOX, startSandbox, type SandboxWorld } from '../../src/sandbox/world.js';
import { findLeak, runCli, type CliRun } from '../support/cli.js';

const DAY = 86_400_000;
let granted: SandboxWorld;
let denied: SandboxWorld;
let dir: string;
const runs: CliRun[] = [];

beforeAll(async () => {
  const old = await createSelfSignedCert('CN=imap-oauth old', { notBefore: new Date(Date.now() - 400 * DAY), days: 365 });
  const soon = new Date(Date.now() + 5 * DAY).toISOString();
  [granted, denied] = await Promise.all([
    startSandbox({ tlsNames: ['graph.microsoft.com'], secretEndDateTime: soon, extraCertificates: [old.certPem], app: { graphRoles: ['Application.Read.All'] } }),
    startSandbox({ tlsNames: ['graph.microsoft.com'] }),
  ]);
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-check-app-'));
  writeFileSync(join(dir, 'granted-ca.pem'), granted.caPem);
  writeFileSync(join(dir, 'denied-ca.pem'), denied.caPem);
});
afterAll(async () => {
  // Neither the client secret nor any token (the Graph one included) shows in any output.
  const secrets = [granted.clientSecret, denied.clientSecret, ...granted.identity.issuedTokens, ...denied.identity.issuedTokens];
  expect(findLeak(runs.flatMap((r) => [r.stdout, r.stderr]), secrets)).toBeNull();
  await Promise.all([granted?.close(), denied?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function check(world: SandboxWorld, name: string, extra: string[]): Promise<CliRun> {
  const args = ['test', '--check-app', '--user', SANDBOX.user, '--tenant', SANDBOX.tenantId, '--client-id', SANDBOX.clientId, '--authority-host', world.identity.url,
    '--host', world.imap.host, '--port', String(world.imap.port), '--ca-file', join(dir, `${name}-ca.pem`), '--timeout', '5',
    '--connect-to', `graph.microsoft.com:443:127.0.0.1:${world.identity.port}`, ...extra];
  const run = await runCli(args, { cwd: dir, env: { IMAP_OAUTH_CLIENT_SECRET: world.clientSecret } });
  runs.push(run);
  return run;
}

describe('--check-app with Application.Read.All', () => {
  it('--json: an app object with every secret and certificate, days left, findings; the mail check result unchanged', async () => {
    const run = await check(granted, 'granted', ['--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.results[0].ok).toBe(true);
    expect(doc.app).toMatchObject({ appId: SANDBOX.clientId, ok: true, displayName: 'imap-oauth sandbox app' });
    const [expired, secret, current] = doc.app.credentials; // soonest end first
    expect(secret).toMatchObject({ kind: 'secret', name: 'sandbox secret', hint: granted.clientSecret.slice(0, 3), state: 'expiring' });
    expect(secret.daysLeft).toBeGreaterThan(4.8);
    expect(secret.daysLeft).toBeLessThanOrEqual(5);
    expect(expired).toMatchObject({ kind: 'certificate', name: 'CN=imap-oauth old', state: 'expired', thumbprint: expect.stringMatching(/^[0-9A-F]{40}$/) });
    expect(expired.daysLeft).toBeLessThan(-34);
    expect(current).toMatchObject({ kind: 'certificate', name: 'CN=imap-oauth sandbox app', state: 'ok' });
    expect(doc.app.findings.map((f: { id: string; severity: string }) => [f.id, f.severity])).toEqual([['app-certificate-expired', 'error'], ['app-secret-expiring', 'advisory']]);
    expect(doc.app.findings[1].fix).toContain(`az ad app credential reset --id ${SANDBOX.clientId} --append`);
    expect(doc.app.findings[0].fix).toMatch(new RegExp(`az ad app credential delete --id ${SANDBOX.clientId} --key-id [0-9a-f-]{36}`));
    // One Graph token (its own scope), one GET of the registration under Graph's name.
    const graph = granted.identity.requests.filter((r) => r.path.startsWith('/v1.0/'));
    expect(graph.at(-1)).toMatchObject({ method: 'GET', host: 'graph.microsoft.com', query: { $select: 'displayName,passwordCredentials,keyCredentials' } });
    expect(decodeURIComponent(graph.at(-1)!.path)).toBe(`/v1.0/applications(appId='${SANDBOX.clientId}')`);
    expect(granted.identity.requests.some((r) => r.form?.scope === 'https://graph.microsoft.com/.default')).toBe(true);
  });

  it('the text report has an App registration section with each credential and the findings', async () => {
    const run = await check(granted, 'granted', ['--no-color']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`App registration "imap-oauth sandbox app" (${SANDBOX.clientId})`);
    expect(run.stdout).toMatch(/ {2}secret {6}sandbox secret {2}hint \S{3}… {2}ends \S+Z \(in 4 days\)/);
    expect(run.stdout).toMatch(/ {2}certificate CN=imap-oauth old {2}SHA-1 [0-9A-F]{40} {2}ends \S+Z \(expired\)/);
    expect(run.stdout).toContain('[app-certificate-expired]');
    expect(run.stdout).toContain('PASS');
  });

  it('--html: the page has an App registration section with each credential, its state and the findings', async () => {
    const page = join(dir, 'app.html');
    const run = await check(granted, 'granted', ['--html', page]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const html = readFileSync(page, 'utf8');
    runs.push({ ...run, stdout: html });
    const section = html.slice(html.indexOf('<section id="app">'), html.indexOf('</section>', html.indexOf('<section id="app">')));
    expect(section).toContain(`App registration “imap-oauth sandbox app” <span class="id">${SANDBOX.clientId}</span>`);
    expect(section).toMatch(/<td>secret<\/td><td>sandbox secret<\/td><td class="mono">hint \S{3}…<\/td>.*<span class="badge warn">expiring<\/span>/);
    expect(section).toMatch(/<td>certificate<\/td><td>CN=imap-oauth old<\/td>.*<span class="badge fail">expired<\/span>/);
    expect(section).toContain('[app-certificate-expired]');
    expect(section).toContain(`az ad app credential reset --id ${SANDBOX.clientId} --append`);
  });

  it('--nagios: CRITICAL for the expired certificate, days left of each credential in the perfdata', async () => {
    const run = await check(granted, 'granted', ['--nagios']);
    expect(run.code, run.stdout).toBe(2);
    const [status, ...rest] = run.stdout.trimEnd().split('\n');
    expect(status).toMatch(/^IMAP-OAUTH CRITICAL - someone@contoso\.com \(imap\) opened with OAuth 2\.0.*; app registration: certificate CN=imap-oauth old EXPIRED on \S+; app registration: secret sandbox secret expires in 4 days \| /);
    const perf = status!.split(' | ')[1]!;
    expect(perf).toMatch(/'app secret sandbox secret days_left'=4\.\d;30:;0:;;/);
    expect(perf).toMatch(/'app certificate CN_imap-oauth old days_left'=-3\d\.\d;30:;0:;;/);
    expect(rest).toContainEqual(expect.stringMatching(/^CAUSE \[app-certificate-expired\] /));
    expect(rest).toContainEqual(expect.stringMatching(/^ADVISORY \[app-secret-expiring\] /));
    expect(rest.join('\n')).not.toContain('|');
  });

  it('--prometheus: imap_oauth_app_credential_expiry_timestamp_seconds{app,kind,name}, accepted by promtool', async () => {
    const prom = join(dir, 'app.prom');
    const run = await check(granted, 'granted', ['--prometheus', prom]);
    expect(run.code, run.stderr).toBe(0);
    const text = readFileSync(prom, 'utf8');
    expect(execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })).toBe('');
    expect(text).toMatch(new RegExp(`^imap_oauth_app_credential_expiry_timestamp_seconds\\{app="${SANDBOX.clientId}",kind="secret",name="sandbox secret"\\} \\d+$`, 'm'));
    expect(text).toMatch(/^imap_oauth_app_credential_expiry_timestamp_seconds\{app="[^"]+",kind="certificate",name="CN=imap-oauth old [0-9A-F]{40}"\} \d+$/m);
  });
});

describe('--check-app without Application.Read.All', () => {
  it('the 403 is its own finding with the grant; the mail check passes (exit 0, Nagios OK)', async () => {
    const run = await check(denied, 'denied', ['--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.results[0].ok).toBe(true);
    expect(doc.app).toMatchObject({ ok: false, credentials: [], error: { kind: 'forbidden', httpStatus: 403, code: 'Authorization_RequestDenied' } });
    expect(doc.app.findings).toEqual([expect.objectContaining({ id: 'app-check-forbidden', severity: 'advisory', summary: expect.stringContaining('HTTP 403 Authorization_RequestDenied: Insufficient privileges') })]);
    expect(doc.app.findings[0].fix).toContain(`az ad app permission admin-consent --id ${SANDBOX.clientId}`);
    expect(doc.app.findings[0].fix).toContain("appRoles[?value=='Application.Read.All'].id");
    const nagios = await check(denied, 'denied', ['--nagios']);
    expect(nagios.code).toBe(0);
    expect(nagios.stdout).toMatch(/^IMAP-OAUTH OK - .*; app registration not read \(forbidden\) \| /);
    expect(nagios.stdout).toContain('ADVISORY [app-check-forbidden]');
  });

  it('--check-app with a user sign-in is a usage error, one line, exit 2', async () => {
    const run = await runCli(['test', '--check-app', '--flow', 'device-code', '--tenant', SANDBOX.tenantId, '--client-id', SANDBOX.clientId], { cwd: dir });
    runs.push(run);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^imap-oauth: --check-app reads the app registration with the app's own credential .*--flow device-code\n$/);
  });
});

describe('--check-app through the proxy', () => {
  it('Graph is reached through --proxy like the token endpoint: a dead proxy (the other hosts exempt by NO_PROXY) is an app-check-failed advisory, the mail check passes', async () => {
    const args = ['test', '--check-app', '--json', '--user', SANDBOX.user, '--tenant', SANDBOX.tenantId, '--client-id', SANDBOX.clientId, '--authority-host', granted.identity.url,
      '--host', granted.imap.host, '--port', String(granted.imap.port), '--ca-file', join(dir, 'granted-ca.pem'), '--timeout', '5',
      '--connect-to', `graph.microsoft.com:443:127.0.0.1:${granted.identity.port}`, '--proxy', 'http://127.0.0.1:9'];
    const before = granted.identity.requests.filter((r) => r.path.startsWith('/v1.0/')).length;
    const run = await runCli(args, { cwd: dir, env: { IMAP_OAUTH_CLIENT_SECRET: granted.clientSecret, NO_PROXY: 'localhost,127.0.0.1' } });
    runs.push(run);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.results[0].ok).toBe(true);
    expect(doc.app).toMatchObject({ ok: false, error: { kind: 'network', message: expect.stringMatching(/^GET graph\.microsoft\.com.*proxy http:\/\/127\.0\.0\.1:9/) } });
    expect(doc.app.findings[0]).toMatchObject({ id: 'app-check-failed', severity: 'advisory' });
    expect(granted.identity.requests.filter((r) => r.path.startsWith('/v1.0/')).length).toBe(before);
  });
});
