// --html end to end: the built CLI writes the page, and Debian's Chromium opens it — a screenshot
// (a real PNG of the window's size, not a blank page) and the DOM as the browser parsed it: the
// summary rows, the cause, its fix, and hostile text (an app name and an IMAP server's replies
// carrying <script>) shown as text, never an element. Every output and the page are scanned for
// the secrets handed out.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { TLSSocket, createSecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki } from '../../src/sandbox/pki.js';
import { dumpDom, domText, requireChromium, screenshot } from '../support/chromium.js';
import { findLeak, runCli, type CliRun } from '../support/cli.js';
import { SANDBOX, startFaultWorld, type FaultWorld } from '../support/fault-world.js';

const SCRIPT = '<script>alert(1)</script>';
const HOSTILE_APP = `${SCRIPT}<img src=x onerror="alert(2)"> app \x1b[2J\u202e`;
const GREETING_TEXT = `${SCRIPT} "double" 'single' &amp; \ufffe ready`;
const REJECTION = `<img src=x onerror=alert(3)> ${SCRIPT} denied`;
const USERS = ['someone@contoso.com', 'alice@contoso.com', 'bob@contoso.com'];
/** A CLI run and up to three browser launches (each bounded by its own deadline in chromium.ts). */
const BROWSER_TEST_MS = 180_000;

/** An IMAP server over TLS whose greeting and login rejection carry markup. */
async function startHostileImap(tls: { keyPem: string; certPem: string }): Promise<{ port: number; logins: number; close(): Promise<void> }> {
  const context = createSecureContext({ key: tls.keyPem, cert: tls.certPem });
  const state = { logins: 0 };
  const server: Server = createServer((raw) => {
    const socket = new TLSSocket(raw, { isServer: true, secureContext: context });
    socket.on('error', () => socket.destroy());
    socket.write(`* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ${GREETING_TEXT}\r\n`);
    let buffered = '';
    let pending: string | null = null; // tag of an AUTHENTICATE waiting for its response line
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      for (let at = buffered.indexOf('\r\n'); at >= 0; at = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 2);
        if (pending !== null) {
          socket.write(`${pending} NO [AUTHENTICATIONFAILED] ${REJECTION}\r\n`);
          pending = null;
          continue;
        }
        const [tag, command = '', , initial] = line.split(' ');
        const cmd = command.toUpperCase();
        if (cmd === 'AUTHENTICATE') {
          state.logins++;
          if (initial === undefined) {
            pending = tag!;
            socket.write('+ \r\n');
          } else socket.write(`${tag} NO [AUTHENTICATIONFAILED] ${REJECTION}\r\n`);
        } else if (cmd === 'CAPABILITY') socket.write(`* CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2\r\n${tag} OK done\r\n`);
        else if (cmd === 'LOGOUT') socket.end(`* BYE ${SCRIPT}\r\n${tag} OK bye\r\n`);
        else socket.write(`${tag} BAD ${SCRIPT}\r\n`);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get logins() {
      return state.logins;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let w: FaultWorld;
let hostile: Awaited<ReturnType<typeof startHostileImap>>;
let hostileCa: string;
const runs: CliRun[] = [];
const files: string[] = [];
const secrets: string[] = [];

async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const run = await runCli(args, { env: { ...w.env, ...env }, cwd: w.dir, timeoutMs: 60_000 });
  runs.push(run);
  return run;
}

function page(path: string): string {
  const html = readFileSync(path, 'utf8');
  files.push(html);
  return html;
}

beforeAll(async () => {
  requireChromium();
  // The app's display name (in every token's claims) is hostile; the mailboxes lack FullAccess.
  w = await startFaultWorld({ app: { displayName: HOSTILE_APP }, mailbox: { fullAccess: [] } });
  const pki = await createTestPki('imap-oauth html e2e CA');
  hostile = await startHostileImap(await pki.issueServerCert(['127.0.0.1']));
  hostileCa = join(w.dir, 'hostile-ca.pem');
  writeFileSync(hostileCa, pki.ca.certPem);
  secrets.push(w.sandbox.clientSecret);
});
afterAll(async () => {
  const tokens = w ? w.sandbox.identity.issuedTokens : [];
  expect(findLeak([...runs.flatMap((r) => [r.stdout, r.stderr]), ...files], [...secrets, ...tokens])).toBeNull();
  await hostile?.close();
  await w?.close();
});

describe('--html opened in headless Chromium', () => {
  it('a batch with one cause: the screenshot is a real page; the DOM has the summary rows, the cause once, its fix as one loop, and the hostile app name as text', async () => {
    const list = join(w.dir, 'users.txt');
    writeFileSync(list, `${USERS.join('\n')}\n`);
    const out = join(w.dir, 'batch.html');
    const args = w.secretArgs('--html', out).filter((a) => a !== '--json');
    args.splice(args.indexOf('--user'), 2, '--users-file', list);
    const run = await cli(args);
    expect(run.code, run.stdout + run.stderr).toBe(7);
    const html = page(out);
    expect(html).toMatch(/^<!DOCTYPE html>\n/);

    const shot = await screenshot(out, join(w.dir, 'batch.png'));
    expect([shot.width, shot.height]).toEqual([1200, 2000]);
    // A blank page of the same size, for comparison: the report is many times larger.
    const blankFile = join(w.dir, 'blank.html');
    writeFileSync(blankFile, '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>');
    const blank = await screenshot(blankFile, join(w.dir, 'blank.png'));
    expect(shot.bytes.length).toBeGreaterThan(Math.max(20_000, blank.bytes.length * 5));

    const dom = await dumpDom(out);
    expect(dom).not.toMatch(/<script|<img/i);
    const text = domText(dom);
    expect(text).toContain('imap-oauth report');
    expect(text).toContain('FAIL — 3 of 3 checks failed (exit 7)');
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(text).toContain(`Tool imap-oauth ${version} `);
    expect(text).toContain(`Tenant ${SANDBOX.tenantId}`);
    expect(text).toContain(`Client ID ${SANDBOX.clientId}`);
    for (const u of USERS) expect(text).toMatch(new RegExp(`${u.replace('.', '\\.')} IMAP 127\\.0\\.0\\.1:\\d+ FAIL \\(exit 7\\) mailbox Logged in, but Exchange will not open`));
    // The cause once, for the three mailboxes, its fix once: one loop over all of them.
    const causes = text.slice(text.indexOf(' Causes '), text.indexOf(' Checks '));
    expect(causes.match(/\[imap-authenticated-not-connected\]/g)).toHaveLength(1);
    expect(causes.match(/ Fix /g)).toHaveLength(1);
    expect(causes).toContain(`3 mailboxes (failed at mailbox, exit 7): ${USERS.join(' ')} Why:`);
    expect(text).toContain(`foreach ($m in @(${USERS.map((u) => `'${u}'`).join(', ')})) {`);
    expect(causes).toMatch(/\{ Add-MailboxPermission -Identity \$m -User '66666666-7777-4888-9999-aaaaaaaaaaaa' -AccessRights FullAccess /);
    // Per check: its stages and the transcript, the login's SASL string redacted.
    expect(text).toContain('BAD User is authenticated but not connected.');
    expect(text, text.slice(text.indexOf(" Checks "))).toMatch(/AUTHENTICATE XOAUTH2 <redacted>/);
    // The hostile app name is read as text, escapes made visible.
    expect(text).toContain(`app ${SCRIPT}<img src=x onerror="alert(2)"> app \\x1b[2J\\u202e`);
  }, BROWSER_TEST_MS);

  it('an IMAP server whose greeting and rejection carry <script> and <img onerror>: shown as text, no element made of them', async () => {
    const token = await w.tokenFile();
    secrets.push(token.token);
    const out = join(w.dir, 'hostile.html');
    const run = await cli(['test', '--user', SANDBOX.user, '--host', '127.0.0.1', '--port', String(hostile.port), '--ca-file', hostileCa, '--access-token-file', token.path, '--html', out, '--no-color']);
    expect(run.code, run.stdout + run.stderr).toBe(6);
    expect(hostile.logins).toBeGreaterThan(0);
    const html = page(out);
    expect(html).not.toMatch(/<script|<img/i);

    const shot = await screenshot(out, join(w.dir, 'hostile.png'));
    expect(shot.width).toBe(1200);
    const dom = await dumpDom(out);
    // Parsed by a browser: still no script or image element, the text is there to read.
    expect(dom).not.toMatch(/<script|<img/i);
    const text = domText(dom);
    expect(text).toContain(`S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ${SCRIPT} "double" 'single' &amp; \\ufffe ready`);
    expect(text).toContain(`NO [AUTHENTICATIONFAILED] ${REJECTION}`);
    expect(text).toContain('FAIL (exit 6)');
    expect(text).toContain(' Causes 1 cause for 1 failed check');
    expect(text).toMatch(/ Fix In Exchange Online PowerShell: Connect-ExchangeOnline /);
  }, BROWSER_TEST_MS);

  it('demo --html: a passing run, every stage ok', async () => {
    const out = join(w.dir, 'demo.html');
    const run = await cli(['demo', '--html', out]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const text = domText(await dumpDom(out));
    expect(text).toContain('PASS — the check passed');
    expect(text).toContain('imap-oauth demo — a local sandbox');
    expect(text).toMatch(/someone@contoso\.com IMAP 127\.0\.0\.1:\d+ PASS /);
    expect(text).not.toContain('Causes');
    files.push(readFileSync(out, 'utf8'));
  }, BROWSER_TEST_MS);

  it('check({ html }) from Node writes the same page', async () => {
    const token = await w.tokenFile();
    secrets.push(token.token);
    const out = join(w.dir, 'api.html');
    const entry = new URL('../../dist/index.js', import.meta.url).href;
    const options = { user: SANDBOX.user, host: '127.0.0.1', port: hostile.port, caFile: hostileCa, accessTokenFile: token.path, html: out };
    const program = `const { check } = await import(${JSON.stringify(entry)}); const r = await check(${JSON.stringify(options)}); process.stdout.write(String(r.exitCode));`;
    const run = await new Promise<CliRun>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', program], { cwd: w.dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr, ms: 0 }));
    });
    runs.push(run);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('6');
    const html = page(out);
    expect(html).toContain('<title>imap-oauth report: FAIL, 1 check, 1 failed</title>');
    expect(html).toContain(`1 NO [AUTHENTICATIONFAILED] &lt;img src=x onerror=alert(3)&gt; &lt;script&gt;alert(1)&lt;/script&gt; denied`);
  });

  it('a path that cannot be written is exit 2 before any connection; an empty path is a usage error', async () => {
    const before = w.sandbox.imap.sessions.length;
    const missing = await cli(w.secretArgs('--html', join(w.dir, 'no-such-dir', 'r.html')));
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/cannot write --html .*r\.html: its directory .*no-such-dir does not exist/);
    const empty = await cli(w.secretArgs('--html', ''));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--html needs a path/);
    expect(w.sandbox.imap.sessions.length).toBe(before);
  });
});
