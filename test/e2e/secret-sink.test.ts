// Issue 9: one redacting sink for every output. A token endpoint that echoes the request (in the
// error description, base64-encoded, cut at 120 characters, form-encoded) must not get the client
// secret or the signed client assertion into stdout, stderr, --json, --jsonl or the --junit file;
// and a run stopped by a signal while the token request hangs ends at once, writing its report.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedCert, createTestPki } from '../../src/sandbox/pki.js';
import { BIN, findLeak, runCli } from '../support/cli.js';

const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const CLIENT_ID = '3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21';
// Shaped like an Entra secret: 40 characters with "~" (form-encoded as %7E).
const SECRET = 'Q3x8Q~hT2.vL_9mRk-4pZsW1~yN6cB0dF7gJ5eA2';

let dir: string;
let caFile: string;
let certFile: string;
let keyPem: string;
let echo: Server;
let hang: Server;
const hanging = new Set<Socket>();
/** Token requests the hanging endpoint holds (its connection opens earlier: net/early-connect.ts). */
let hangingRequests = 0;
const bodies: string[] = [];

const origin = (s: Server) => `https://localhost:${(s.address() as { port: number }).port}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-sink-'));
  const pki = await createTestPki('imap-oauth sink CA');
  const tls = await pki.issueServerCert(['localhost']);
  const app = await createSelfSignedCert('CN=imap-oauth sink app');
  keyPem = app.keyPem;
  caFile = join(dir, 'ca.pem');
  certFile = join(dir, 'app.pem');
  writeFileSync(caFile, pki.ca.certPem);
  writeFileSync(certFile, app.keyPem + app.certPem);

  // Echoes the whole request back, in every way a careless endpoint might.
  echo = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      const form = new URLSearchParams(body);
      const sent = form.get('client_secret') ?? form.get('client_assertion') ?? '';
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        error: 'invalid_client',
        error_description: `AADSTS7000215: Invalid client secret provided. Received: ${body} | base64 ${Buffer.from(body).toString('base64')} | decoded ${sent} | cut ${body.slice(0, 120)}\r\nTrace ID: 0d5c1e5a-0000-0000-0000-000000000000\r\nCorrelation ID: 6a1f3b8e-0000-0000-0000-000000000000\r\nTimestamp: 2026-12-02 08:00:00Z`,
        error_codes: [7000215],
        echo: { body, sent, wrapped: Buffer.from(sent).toString('base64').match(/.{1,76}/g) },
      }));
    });
  });
  // Accepts the request and never answers.
  hang = createServer({ key: tls.keyPem, cert: tls.certPem }, () => void hangingRequests++);
  hang.on('connection', (s: Socket) => {
    hanging.add(s);
    s.on('close', () => hanging.delete(s));
  });
  await Promise.all([echo, hang].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
});

afterAll(async () => {
  for (const s of hanging) s.destroy();
  await Promise.all([echo, hang].map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

const baseArgs = (authority: string, ...extra: string[]) => [
  'test', '--user', 'a@contoso.com', '--user', 'b@contoso.com', '--tenant', TENANT, '--client-id', CLIENT_ID,
  '--authority-host', authority, '--host', '127.0.0.1', '--port', '9', '--ca-file', caFile, '--timeout', '5', ...extra,
];

/** The base64 lines of the private key, each a secret of its own. */
const keyLines = () => keyPem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'));

describe('an echoing token endpoint', () => {
  it.each([
    ['text', []],
    ['--json', ['--json']],
    ['--jsonl', ['--jsonl']],
  ])('leaks neither the secret nor a fragment of it (%s, stderr, --junit)', async (_name, extra) => {
    const junit = join(dir, `secret-${extra.join('') || 'text'}.xml`);
    bodies.length = 0;
    const run = await runCli([...baseArgs(origin(echo), '--junit', junit, ...extra)], { env: { IMAP_OAUTH_CLIENT_SECRET: SECRET, GITHUB_ACTIONS: 'true' } });
    expect(run.code, run.stderr).toBe(3);
    expect(new URLSearchParams(bodies[0] ?? '').get('client_secret')).toBe(SECRET); // the endpoint did get it, and echoed it
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('AADSTS7000215');
    expect(findLeak([run.stdout, run.stderr, xml], [SECRET])).toBeNull();
    // The marker inside the XML is escaped: the file stays well-formed.
    expect(xml).not.toMatch(/<redacted>/);
    if (extra.includes('--json')) expect(() => JSON.parse(run.stdout)).not.toThrow();
    if (extra.includes('--jsonl')) for (const line of run.stdout.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('leaks neither the signed client assertion nor the private key (--cert)', async () => {
    const junit = join(dir, 'cert.xml');
    bodies.length = 0;
    const run = await runCli([...baseArgs(origin(echo), '--cert', certFile, '--junit', junit, '--json')]);
    expect(run.code, run.stderr).toBe(3);
    const assertion = new URLSearchParams(bodies[0] ?? '').get('client_assertion');
    expect(assertion).toMatch(/^eyJ/);
    expect(findLeak([run.stdout, run.stderr, readFileSync(junit, 'utf8')], [assertion!, ...keyLines()])).toBeNull();
  });
});

describe('configuration errors never echo a secret', () => {
  it.each([
    ['a secret pasted into IMAP_OAUTH_CLIENT_ID', [], { IMAP_OAUTH_CLIENT_ID: SECRET, IMAP_OAUTH_CLIENT_SECRET: 'x'.repeat(20), IMAP_OAUTH_TENANT_ID: TENANT }],
    ['an unknown --client-secrets=VALUE', ['--client-secrets=' + SECRET], {}],
    ['a secret as the command', [SECRET], {}],
    ['a secret after --tenant', ['--tenant', SECRET], { IMAP_OAUTH_CLIENT_SECRET: 'y'.repeat(20) }],
  ])('%s', async (_name, args, env) => {
    const argv = args[0] === SECRET ? args : ['test', '--user', 'a@contoso.com', ...args];
    const run = await runCli(argv, { env: env as Record<string, string> });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(findLeak([run.stdout, run.stderr], [SECRET])).toBeNull();
  });

  it('refuses two options reading standard input before reading either', async () => {
    const run = await runCli(['test', '--users-file', '-', '--client-secret-file', '-', '--tenant', TENANT, '--client-id', CLIENT_ID], { input: `${SECRET}\n` });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^imap-oauth: --users-file - and --client-secret-file - would all read standard input/);
    expect(findLeak([run.stdout, run.stderr], [SECRET])).toBeNull();
  });
});

describe('signals while the token request hangs', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s ends the run at once with exit %i and still writes the JUnit file, not green', async (signal, exitCode) => {
    const junit = join(dir, `${signal}.xml`);
    const child = spawn(process.execPath, [BIN, ...baseArgs(origin(hang), '--timeout', '60', '--junit', junit)], {
      env: { PATH: process.env.PATH, IMAP_OAUTH_CLIENT_SECRET: SECRET },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const before = hangingRequests;
    await expect.poll(() => hangingRequests, { timeout: 10_000 }).toBeGreaterThan(before);
    child.kill(signal);
    // The token deadline is a minute away: ending before the test's own timeout means it did not wait.
    const code = await closed;
    expect(code, out).toBe(exitCode);
    expect(out).toContain(`interrupted (${signal})`);
    expect(existsSync(junit)).toBe(true);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).not.toMatch(/tests="0" failures="0"/);
    expect(xml).toMatch(/a@contoso\.com/);
    expect(xml).toMatch(/b@contoso\.com/);
    expect(findLeak([out, xml], [SECRET])).toBeNull();
  }, 20_000);
});
