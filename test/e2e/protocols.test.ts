// Issue 11: `imap-oauth test --protocol imap,pop,smtp` checks one mailbox over all three with one
// token request, against a real Dovecot (IMAP, POP3 on implicit TLS, submission with STARTTLS
// relaying to a sink) that checks the JWT itself. No message is sent unless --send-test asks.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentityServer, type IdentityServer } from '../../src/sandbox/identity-server.js';
import { createTestPki } from '../../src/sandbox/pki.js';
import { findLeak, runCli } from '../support/cli.js';
import { startDovecot, type Dovecot } from '../support/dovecot.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const CLIENT_ID = '3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21';
const SP_ID = 'b7c4a1e2-5d3f-4e8a-9c1b-2a3d4e5f6a7b';
const USER = 'someone@contoso.com';
const secret = `proto~${randomUUID()}`.replace(/-/g, '');

let identity: IdentityServer;
let dovecot: Dovecot;
let sink: SmtpSink;
let dir: string;
let caFile: string;

beforeAll(async () => {
  const pki = await createTestPki('imap-oauth protocols e2e CA');
  const tls = await pki.issueServerCert(['localhost', '127.0.0.1']);
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'proto-kid';
  sink = await startSmtpSink();
  identity = await startIdentityServer({
    tls,
    signingKey: { kid, privateKeyPem: signing.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() },
    tenants: [{ id: TENANT, domains: ['contoso.onmicrosoft.com'] }],
    apps: [{ clientId: CLIENT_ID, tenantId: TENANT, displayName: 'protocols app', secrets: [{ value: secret }], roles: ['IMAP.AccessAsApp', 'POP.AccessAsApp', 'SMTP.SendAsApp'], servicePrincipalId: SP_ID }],
  });
  dovecot = await startDovecot({
    tls,
    jwtKeys: [{ kid, publicKeyPem: signing.publicKey.export({ format: 'pem', type: 'spki' }).toString() }],
    audience: 'https://outlook.office365.com',
    protocols: ['imap', 'pop3', 'submission'],
    submissionRelay: { host: sink.host, port: sink.port },
    messages: 3,
  });
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-proto-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pki.ca.certPem);
});

afterAll(async () => {
  await Promise.all([identity?.close(), dovecot?.stop(), sink?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Exchange Online's names and ports, each routed to this Dovecot's listener. */
const args = (...extra: string[]) => [
  'test', '--user', USER, '--tenant', TENANT, '--client-id', CLIENT_ID, '--authority-host', identity.url, '--ca-file', caFile, '--timeout', '5',
  '--host', 'localhost',
  '--connect-to', `localhost:993:127.0.0.1:${dovecot.port}`,
  '--connect-to', `localhost:995:127.0.0.1:${dovecot.pop3sPort}`,
  '--connect-to', `localhost:587:127.0.0.1:${dovecot.submissionPort}`,
  ...extra,
];
const env = () => ({ IMAP_OAUTH_CLIENT_SECRET: secret });
const tokenPosts = () => identity.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/token')).length;

describe('--protocol imap,pop,smtp', () => {
  it('checks the mailbox over all three with one token request, and sends no message', async () => {
    const posts = tokenPosts();
    const relayed = sink.messages().length;
    const run = await runCli(args('--protocol', 'imap,pop,smtp', '--json'), { env: env() });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.results.map((r: { protocol: string; port: number; ok: boolean }) => [r.protocol, r.port, r.ok])).toEqual([
      ['imap', 993, true],
      ['pop', 995, true],
      ['smtp', 587, true],
    ]);
    expect(doc.results[1].messages).toBe(3);
    const smtpSent = doc.results[2].transcript.filter((l: { dir: string }) => l.dir === 'C').map((l: { text: string }) => l.text);
    expect(smtpSent.slice(0, 5)).toEqual([expect.stringMatching(/^EHLO /), 'STARTTLS', expect.stringMatching(/^EHLO /), 'AUTH XOAUTH2', '<redacted>']);
    expect(doc.results[2].transcript.some((l: { text: string }) => /^DATA/.test(l.text))).toBe(false);
    expect(tokenPosts() - posts).toBe(1);
    expect(sink.messages().length).toBe(relayed);
    expect(findLeak([run.stdout, run.stderr], [secret])).toBeNull();
  });

  it('repeated --protocol and IMAP_OAUTH_PROTOCOL select the same way; text names each protocol', async () => {
    const run = await runCli(args('--protocol', 'pop', '--protocol', 'smtp', '--verbose'), { env: env() });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/pop: +localhost:995/);
    expect(run.stdout).toMatch(/smtp: +localhost:587 \(STARTTLS, verified, extra CA\) +no message is sent/);
    const fromEnv = await runCli(args('--jsonl'), { env: { ...env(), IMAP_OAUTH_PROTOCOL: 'smtp' } });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(JSON.parse(fromEnv.stdout.split('\n')[0]!).protocol).toBe('smtp');
  });

  it('--send-test sends exactly one message, to the mailbox itself', async () => {
    const relayed = sink.messages().length;
    const run = await runCli(args('--protocol', 'smtp', '--send-test', '--json'), { env: env() });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(sink.messages().length).toBe(relayed + 1);
    expect(JSON.stringify(sink.messages().at(-1))).toContain(USER);
  });

  it.each([
    [['--protocol', 'imap,ftp'], /invalid protocol "imap,ftp" \(from --protocol\): expected imap, pop or smtp/],
    [['--protocol', 'imap,pop', '--port', '993'], /--port names one port, but 2 protocols are checked/],
    [['--send-test'], /--send-test sends a message over SMTP AUTH: add --protocol smtp/],
  ])('%j is a one-line usage error', async (extra, message) => {
    const run = await runCli(args(...extra), { env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
