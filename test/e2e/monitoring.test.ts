// --nagios, --prometheus, credential expiry and grouped batch reports, end to end against Dovecot
// and the identity stand-in, with a certificate credential made to expire in a few days.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedCert } from '../../src/sandbox/pki.js';
import { findLeak, runCli, type CliRun } from '../support/cli.js';
import { startE2eWorld, USER, type E2eWorld } from '../support/e2e-world.js';

let world: E2eWorld;
let soonPem: string; // key + certificate, expiring in 3 days, uploaded to the app
let strayPem: string; // not uploaded: every token request fails with one cause
const secrets: string[] = [];
const runs: CliRun[] = [];

async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const run = await runCli(args, { env, cwd: world.dir });
  runs.push(run);
  return run;
}

beforeAll(async () => {
  const [soon, stray] = await Promise.all([createSelfSignedCert('CN=imap-oauth expiring', { days: 3 }), createSelfSignedCert('CN=imap-oauth stray')]);
  world = await startE2eWorld({ uploadedCertificates: [soon.certPem] });
  soonPem = join(world.dir, 'soon.pem');
  strayPem = join(world.dir, 'stray.pem');
  writeFileSync(soonPem, soon.keyPem + soon.certPem);
  writeFileSync(strayPem, stray.keyPem + stray.certPem);
  secrets.push(soon.keyPem.split('\n')[1]!, stray.keyPem.split('\n')[1]!, world.secret);
});
afterAll(async () => {
  // No output of any run holds a private key line or the client secret.
  expect(findLeak(runs.flatMap((r) => [r.stdout, r.stderr]), secrets)).toBeNull();
  await world?.close();
});

describe('--nagios', () => {
  it('a passing check with a certificate expiring within --warn-days is WARNING (exit 1), perfdata per stage and days left', async () => {
    const run = await cli(world.args('--cert', soonPem, '--nagios'));
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const [status] = run.stdout.split('\n');
    expect(status).toMatch(/^IMAP-OAUTH WARNING - someone@contoso\.com \(imap\) opened with OAuth 2\.0.*; certificate credential expires in 2\.9 days \(/);
    const perf = status!.split(' | ')[1]!.split(' ');
    for (const stage of ['token', 'connect', 'authenticate', 'mailbox', 'total']) expect(perf).toContainEqual(expect.stringMatching(new RegExp(`^'${stage}'=\\d+\\.\\d{3}s;;;0$`)));
    expect(perf).toContainEqual(expect.stringMatching(/^'credential_days_left'=2\.9;30:;0:;;$/));
  });

  it('OK (exit 0) once --warn-days is under the days left', async () => {
    const run = await cli(world.args('--cert', soonPem, '--nagios', '--warn-days', '2'));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^IMAP-OAUTH OK - /);
  });

  it('a token failure is CRITICAL (exit 2); a DNS failure is CRITICAL too', async () => {
    const bad = await cli(world.args('--cert', strayPem, '--nagios'));
    expect(bad.code, bad.stdout).toBe(2);
    expect(bad.stdout).toMatch(/^IMAP-OAUTH CRITICAL - someone@contoso\.com \(imap\): token failed/);
    const dns = await cli([...world.args('--cert', soonPem, '--nagios', '--timeout', '5'), '--host', 'no-such-host.invalid'], {});
    expect(dns.code, dns.stdout).toBe(2);
    expect(dns.stdout).toMatch(/^IMAP-OAUTH CRITICAL - /);
  });

  it('long output: each cause once with its fix and the mailboxes it applies to; an advisory with its fix on WARNING', async () => {
    const users = Array.from({ length: 30 }, (_, i) => `user${i + 1}@contoso.com`);
    const file = join(world.dir, 'users30-nagios.txt');
    writeFileSync(file, `${users.join('\n')}\n`);
    const args = world.args('--cert', strayPem, '--nagios');
    args.splice(args.indexOf('--user'), 2, '--users-file', file);
    const run = await cli(args);
    expect(run.code, run.stdout).toBe(2);
    const [status, ...rest] = run.stdout.trimEnd().split('\n');
    expect(status).toMatch(/^IMAP-OAUTH CRITICAL - 30 of 30 checks failed \(aadsts-certificate-invalid\) \| /);
    expect(rest.filter((l) => l.startsWith('FAIL '))).toHaveLength(30);
    expect(run.stdout.match(/^CAUSE \[aadsts-certificate-invalid\] /gm)).toHaveLength(1);
    expect(rest).toContain(`  30 mailboxes: ${users.join(', ')}`);
    expect(run.stdout.match(/^ {2}fix:$/gm)).toHaveLength(1);
    expect(rest.join('\n')).not.toContain('|');

    const warning = await cli(world.args('--cert', soonPem, '--nagios'));
    expect(warning.code).toBe(1);
    expect(warning.stdout).toMatch(/\nADVISORY \[credential-certificate-expiring\] .*\n {2}1 mailbox: someone@contoso\.com\n {2}why: .*\n {2}fix:\n {4}\S/);
  });

  it('usage errors are UNKNOWN (exit 3) with the status line on stdout', async () => {
    const unknownFlag = await cli(['test', '--nagios', '--no-such-flag']);
    expect(unknownFlag.code).toBe(3);
    expect(unknownFlag.stdout).toMatch(/^IMAP-OAUTH UNKNOWN - usage: unknown option '--no-such-flag'\n$/);
    const badDays = await cli(world.args('--cert', soonPem, '--nagios', '--warn-days', 'soon'));
    expect(badDays.code).toBe(3);
    expect(badDays.stdout).toMatch(/^IMAP-OAUTH UNKNOWN - .*warning days/);
    // Without --nagios the usual exit codes stand.
    expect((await cli(world.args('--cert', soonPem, '--warn-days', 'soon'))).code).toBe(2);
  });
});

describe('--prometheus and credential expiry in every report', () => {
  it('writes a textfile promtool accepts; --json, JUnit and the text report carry the certificate notAfter and the advisory', async () => {
    const prom = join(world.dir, 'imap_oauth.prom');
    const junit = join(world.dir, 'junit.xml');
    const run = await cli(world.args('--cert', soonPem, '--prometheus', prom, '--junit', junit, '--json'));
    expect(run.code, run.stderr).toBe(0);
    const text = readFileSync(prom, 'utf8');
    expect(execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })).toBe('');
    expect(text).toMatch(new RegExp(`^imap_oauth_check_success\\{user="${USER}",protocol="imap"\\} 1$`, 'm'));
    expect(text).toMatch(/^imap_oauth_stage_duration_seconds\{user="someone@contoso\.com",protocol="imap",stage="authenticate"\} [\d.]+$/m);
    expect(text).toMatch(/^imap_oauth_tls_cert_expiry_timestamp_seconds\{host="127\.0\.0\.1"\} \d+$/m);
    const doc = JSON.parse(run.stdout);
    const notAfter = Date.parse(doc.credential.notAfter);
    expect(doc.credential.kind).toBe('certificate');
    expect(notAfter - Date.now()).toBeGreaterThan(2 * 86_400_000);
    expect(notAfter - Date.now()).toBeLessThan(3 * 86_400_000);
    expect(text).toContain(`imap_oauth_credential_expiry_timestamp_seconds ${Math.floor(notAfter / 1000)}`);
    expect(doc.results[0].diagnosis).toContainEqual(expect.objectContaining({ id: 'credential-certificate-expiring', severity: 'advisory' }));
    expect(readFileSync(junit, 'utf8')).toContain(`<property name="credential.notAfter" value="${doc.credential.notAfter}"/>`);
    const human = await cli(world.args('--cert', soonPem, '--no-color'));
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`certificate credential expires ${doc.credential.notAfter} (in 2 days)`);
  });
});

describe('a batch report for people', () => {
  it('30 mailboxes with one cause: the cause and its fix once, with all 30 mailboxes; no line wider than 80', async () => {
    const users = Array.from({ length: 30 }, (_, i) => `user${i + 1}@contoso.com`);
    const file = join(world.dir, 'users30.txt');
    writeFileSync(file, `${users.join('\n')}\n`);
    const args = world.args('--cert', strayPem, '--no-color');
    args.splice(args.indexOf('--user'), 2, '--users-file', file);
    const run = await cli(args);
    expect(run.code).toBe(3);
    expect(run.stdout.match(/\[aadsts-certificate-invalid\]/g)).toHaveLength(1);
    expect(run.stdout.match(/Fix: /g)).toHaveLength(1);
    expect(run.stdout).toMatch(/30 mailboxes \(failed at token, exit 3\): user1@contoso\.com,\s+user2@/);
    for (const u of users) expect(run.stdout).toContain(u);
    // The causes and the summary table (Entra's own words in the token section above are quoted as sent).
    for (const line of run.stdout.slice(run.stdout.indexOf('Causes')).split('\n')) if (!/^ {8}/.test(line)) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(run.stdout.split('\n').length).toBeLessThan(80);
  });

  it('under GitHub Actions a Markdown table is appended to $GITHUB_STEP_SUMMARY, after what was there', async () => {
    const file = join(world.dir, 'step-summary.md');
    writeFileSync(file, '# an earlier step\n');
    const users = ['a@contoso.com', 'b@contoso.com'];
    const list = join(world.dir, 'users2.txt');
    writeFileSync(list, `${users.join('\n')}\n`);
    const args = world.args('--cert', strayPem);
    args.splice(args.indexOf('--user'), 2, '--users-file', list);
    const run = await cli(args, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: file });
    expect(run.code).toBe(3);
    const md = readFileSync(file, 'utf8');
    expect(md.startsWith('# an earlier step\n')).toBe(true);
    expect(md).toContain('| mailbox | protocol | result | cause |');
    expect(md).toMatch(/^\| a@contoso\.com \| imap \| ❌ fail \(exit 3\) \| .*`aadsts-certificate-invalid`\) \|$/m);
    expect(md).toMatch(/^\| b@contoso\.com \| imap \| /m);
    runs.push({ ...run, stdout: md });
  });
});
