// POP3 and SMTP AUTH through a proxy, end to end: the built CLI with ALL_PROXY / --proxy reaches a real
// Dovecot (POP3 on implicit TLS, submission with STARTTLS) only through a real tinyproxy (HTTP CONNECT)
// or microsocks (SOCKS5); TLS is verified inside the tunnel for the mail server's name; NO_PROXY
// exempts the host; a dead proxy, a 407 and a 403 each get the proxy's own finding.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../../src/sandbox/jwt.js';
import { createTestPki } from '../../src/sandbox/pki.js';
import { findLeak, runCli } from '../support/cli.js';
import { startDovecot, type Dovecot } from '../support/dovecot.js';
import { startMicrosocks, type Microsocks } from '../support/microsocks.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { freePort, startTinyproxy, type Tinyproxy } from '../support/tinyproxy.js';

const USER = 'someone@contoso.com';
const PROXY_USER = 'dave';
const PROXY_PASSWORD = `pw-${Math.random().toString(36).slice(2)}-pop-smtp`;
let dovecot: Dovecot;
let sink: SmtpSink;
let open: Tinyproxy;
let authed: Tinyproxy;
let imapOnly: Tinyproxy;
let socks: Microsocks;
let deadProxy: string;
let dir: string;
let caFile: string;
let tokenFile: string;
let token: string;

beforeAll(async () => {
  const pki = await createTestPki('imap-oauth proxy pop/smtp CA');
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  sink = await startSmtpSink();
  dovecot = await startDovecot({
    tls: await pki.issueServerCert(['localhost', '127.0.0.1']),
    jwtKeys: [{ kid: 'k1', publicKeyPem: signing.publicKey.export({ format: 'pem', type: 'spki' }).toString() }],
    audience: 'https://outlook.office365.com',
    protocols: ['imap', 'pop3', 'submission'],
    submissionRelay: { host: sink.host, port: sink.port },
    messages: 2,
  });
  const ports = [dovecot.pop3sPort!, dovecot.submissionPort!];
  [open, authed, imapOnly] = await Promise.all([
    startTinyproxy({ connectPorts: ports }),
    startTinyproxy({ connectPorts: ports, basicAuth: { user: PROXY_USER, password: PROXY_PASSWORD } }),
    startTinyproxy({ connectPorts: [dovecot.port] }),
  ]);
  socks = await startMicrosocks({ user: PROXY_USER, password: PROXY_PASSWORD });
  deadProxy = `http://127.0.0.1:${await freePort()}`;
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-proxy-pop-smtp-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pki.ca.certPem);
  const now = Math.floor(Date.now() / 1000);
  token = signJwt({ alg: 'RS256', typ: 'JWT', kid: 'k1' }, { aud: 'https://outlook.office365.com', sub: 'sp', iat: now - 60, nbf: now - 60, exp: now + 3600, roles: ['POP.AccessAsApp', 'SMTP.SendAsApp'] }, signing.privateKey);
  tokenFile = join(dir, 'token.txt');
  writeFileSync(tokenFile, token);
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), sink?.close(), open?.stop(), authed?.stop(), imapOnly?.stop(), socks?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Protocol = 'pop' | 'smtp';
const portOf = (p: Protocol) => (p === 'pop' ? dovecot.pop3sPort! : dovecot.submissionPort!);

/** One protocol on the server named "localhost", routed to 127.0.0.1: TLS must verify "localhost". */
function run(protocol: Protocol, env: Record<string, string>, ...extra: string[]) {
  const args = ['test', '--user', USER, '--protocol', protocol, '--host', 'localhost', '--port', String(portOf(protocol)), '--connect-to', '::127.0.0.1:', '--access-token-file', tokenFile, '--timeout', '5', '--json', ...extra];
  return runCli(args.includes('--no-ca') ? args.filter((a) => a !== '--no-ca') : [...args, '--ca-file', caFile], { env });
}

function result(r: { stdout: string; stderr: string }) {
  expect(findLeak([r.stdout, r.stderr], [token, PROXY_PASSWORD])).toBeNull();
  return JSON.parse(r.stdout).results[0] as { ok: boolean; protocol: string; stages: { name: string; ok: boolean; detail: string }[]; diagnosis: { id: string; summary: string }[] };
}

describe.each(['pop', 'smtp'] as const)('%s through the proxy', (protocol) => {
  it('ALL_PROXY carries the connection: tinyproxy sees the CONNECT, the mailbox opens', async () => {
    const before = open.connects().length;
    const r = await run(protocol, { ALL_PROXY: open.url });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(result(r).ok).toBe(true);
    expect(open.connects().slice(before)).toEqual([`127.0.0.1:${portOf(protocol)}`]);
  });

  it('--proxy serves it too', async () => {
    const before = open.connects().length;
    const r = await run(protocol, {}, '--proxy', open.url);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(open.connects().slice(before)).toHaveLength(1);
  });

  it('TLS is verified inside the tunnel: without the test CA the certificate is refused at connect', async () => {
    const before = open.connects().length;
    const r = await run(protocol, { ALL_PROXY: open.url }, '--no-ca');
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const res = result(r);
    expect(res.stages.find((s) => !s.ok)).toMatchObject({ name: protocol === 'pop' ? 'connect' : 'capability' });
    expect(res.stages.find((s) => !s.ok)!.detail).toMatch(/TLS verification failed/);
    expect(open.connects().slice(before)).toHaveLength(1);
  });

  it('NO_PROXY exempts the host: a dead proxy is never asked', async () => {
    const r = await run(protocol, { ALL_PROXY: deadProxy, NO_PROXY: 'localhost' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('socks5:// with the credentials in IMAP_OAUTH_PROXY carries it; the password appears nowhere', async () => {
    const r = await run(protocol, { IMAP_OAUTH_PROXY: `socks5://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${socks.port}` }, '--verbose');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(result(r).ok).toBe(true);
  });

  it('a dead proxy: exit 4, proxy-unreachable naming it, nothing blamed on the server', async () => {
    const r = await run(protocol, { ALL_PROXY: deadProxy });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const res = result(r);
    expect(res.diagnosis.map((d) => d.id)).toEqual(['proxy-unreachable']);
    expect(res.diagnosis[0]!.summary).toContain(deadProxy);
    expect(res.stages.find((s) => !s.ok)).toMatchObject({ name: 'connect' });
    expect(res.stages.find((s) => !s.ok)!.detail).toContain(deadProxy);
  });

  it('407 without credentials, and with the wrong ones: proxy-auth-required', async () => {
    const r = await run(protocol, { ALL_PROXY: authed.url });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(result(r).diagnosis.map((d) => d.id)).toEqual(['proxy-auth-required']);
    const wrong = await run(protocol, { ALL_PROXY: `http://${PROXY_USER}:not-${PROXY_PASSWORD}@127.0.0.1:${authed.port}` });
    expect(wrong.code, wrong.stdout + wrong.stderr).toBe(4);
    expect(result(wrong).diagnosis.map((d) => d.id)).toEqual(['proxy-auth-required']);
    const right = await run(protocol, { ALL_PROXY: `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${authed.port}` });
    expect(right.code, right.stdout + right.stderr).toBe(0);
  });

  it('a proxy that forbids the port (403): proxy-refused naming the destination', async () => {
    const r = await run(protocol, { ALL_PROXY: imapOnly.url });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const res = result(r);
    expect(res.diagnosis.map((d) => d.id)).toEqual(['proxy-refused']);
    expect(res.diagnosis[0]!.summary).toContain(`127.0.0.1:${portOf(protocol)}`);
  });
});

describe('the human report', () => {
  it('names the proxy in the failed stage and the finding, on one line each', async () => {
    const args = ['test', '--user', USER, '--protocol', 'smtp', '--host', 'localhost', '--port', String(dovecot.submissionPort), '--access-token-file', tokenFile, '--ca-file', caFile, '--timeout', '5'];
    const r = await runCli(args, { env: { ALL_PROXY: deadProxy } });
    expect(r.code).toBe(4);
    expect(r.stdout).toContain(deadProxy);
    expect(r.stdout).toMatch(/proxy .* cannot be reached/i);
  });
});
