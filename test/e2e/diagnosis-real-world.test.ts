// The failure classes people post (issue 10), end to end through the built CLI against the sandbox
// (identity stand-in + Exchange-like IMAP server): the first finding must name the true cause.
// Then `explain -` on pasted logs of several client libraries. Every output is scanned for secrets.
import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX, startSandbox, type SandboxWorld } from '../../src/sandbox/world.js';
import { BIN, findLeak, runCli } from '../support/cli.js';

let world: SandboxWorld;
let dir: string;
const ALICE = 'alice@contoso.com';
const ALICE_OID = '0a0b0c0d-1111-4222-8333-444455556666';
const outputs: string[] = [];
const secrets: string[] = [];

beforeAll(async () => {
  world = await startSandbox({ app: { publicClient: true }, deviceCodeIntervalSeconds: 0.1 });
  secrets.push(world.clientSecret);
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-real-world-'));
  writeFileSync(join(dir, 'ca.pem'), world.caPem);
});
afterAll(async () => {
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

const imapArgs = () => ['--host', world.imap.host, '--port', String(world.imap.port), '--ca-file', join(dir, 'ca.pem'), '--timeout', '5'];
const entraArgs = () => ['--tenant', SANDBOX.tenantId, '--client-id', SANDBOX.clientId, '--authority-host', world.identity.url];

function post(path: string, form: Record<string, string>): Promise<Record<string, unknown>> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = request(`${world.identity.url}${path}`, { method: 'POST', ca: world.caPem, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
    });
    req.end(body);
  });
}

/** A delegated token as a user's app would get it (device code, approved by `upn`), written to a file. */
async function delegatedTokenFile(upn: string, scope: string): Promise<string> {
  const base = `/${SANDBOX.tenantId}/oauth2/v2.0`;
  const code = await post(`${base}/devicecode`, { client_id: SANDBOX.clientId, scope });
  world.identity.approveDeviceCode(String(code.user_code), { upn, oid: ALICE_OID });
  const reply = await post(`${base}/token`, { client_id: SANDBOX.clientId, grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: String(code.device_code) });
  const token = String(reply.access_token);
  secrets.push(token);
  const path = join(dir, `token-${secrets.length}.txt`);
  writeFileSync(path, `${token}\n`);
  return path;
}

async function cli(args: string[], input?: string, env?: Record<string, string>) {
  const r = await runCli(args, { cwd: dir, input, env });
  outputs.push(r.stdout, r.stderr);
  return r;
}
const secretEnv = () => ({ IMAP_OAUTH_CLIENT_SECRET: world.clientSecret });
const first = (stdout: string) => JSON.parse(stdout).results[0].diagnosis[0];

describe('the first cause is the true one', () => {
  it("a delegated token for someone else's mailbox: the token belongs to A, the mailbox is B", async () => {
    const token = await delegatedTokenFile(ALICE, 'https://outlook.office.com/IMAP.AccessAsUser.All');
    const r = await cli(['test', '--user', SANDBOX.user, '--access-token-file', token, ...imapArgs(), '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(7);
    const d = first(r.stdout);
    expect(d.id).toBe('delegated-other-mailbox');
    expect(d.summary).toBe(`The token belongs to ${ALICE}, the mailbox is ${SANDBOX.user}`);
    expect(d.fix).toContain(`Add-MailboxPermission -Identity '${SANDBOX.user}' -User '${ALICE}' -AccessRights FullAccess`);
    expect(JSON.stringify(JSON.parse(r.stdout).results[0].diagnosis)).not.toMatch(/client-credentials|New-ServicePrincipal/);
    // The server said it as Exchange does, and closed after the second refused command.
    expect(JSON.parse(r.stdout).results[0].transcript.map((l: { text: string }) => l.text)).toEqual(expect.arrayContaining([expect.stringMatching(/BAD User is authenticated but not connected\.$/)]));
  });

  it('the same through --flow device-code, the wrong account signed in (human output: the FAIL line names both)', async () => {
    const args = ['test', '--flow', 'device-code', ...entraArgs(), '--user', SANDBOX.user, ...imapArgs()];
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH }, cwd: dir });
    let stdout = '';
    let stderr = '';
    let approved = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const code = /enter the code ([A-Z0-9-]+)/.exec(stderr)?.[1];
      if (code && !approved) {
        approved = true;
        world.identity.approveDeviceCode(code, { upn: ALICE, oid: ALICE_OID });
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    outputs.push(stdout, stderr);
    secrets.push(...world.identity.issuedTokens);
    expect(code, stdout + stderr).toBe(7);
    expect(stdout).toMatch(new RegExp(`FAIL  ${SANDBOX.user}: failed at mailbox \\(exit 7\\) — The token belongs to ${ALICE}, the mailbox is ${SANDBOX.user}`));
  });

  it('AADSTS7000218 in a public-client flow: allow public client flows, not a secret', async () => {
    const confidential = await startSandbox({ deviceCodeIntervalSeconds: 0.1 });
    try {
      writeFileSync(join(dir, 'conf-ca.pem'), confidential.caPem);
      const r = await cli(['test', '--flow', 'device-code', '--tenant', SANDBOX.tenantId, '--client-id', SANDBOX.clientId, '--authority-host', confidential.identity.url,
        '--host', confidential.imap.host, '--port', String(confidential.imap.port), '--ca-file', join(dir, 'conf-ca.pem'), '--timeout', '5', '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(3);
      const d = first(r.stdout);
      expect(d.id).toBe('aadsts-no-credential');
      expect(d.summary).toBe('The app registration does not allow public client flows');
      expect(d.fix).toContain('"Allow public client flows" → Yes');
      expect(d.fix).not.toContain('IMAP_OAUTH_CLIENT_SECRET');
    } finally {
      await confidential.close();
    }
  });

  it('an opaque personal-account token: accepted in entra mode, claim checks skipped, the refusal explained', async () => {
    const opaque = `EwBwA8l6BAAU${Buffer.from('personal-account-ticket '.repeat(12)).toString('base64')}`;
    secrets.push(opaque);
    writeFileSync(join(dir, 'msa.txt'), `${opaque}\n`);
    const r = await cli(['test', '--user', 'someone@outlook.com', '--access-token-file', join(dir, 'msa.txt'), ...imapArgs(), '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(6);
    const ids = JSON.parse(r.stdout).results[0].diagnosis.map((d: { id: string }) => d.id);
    expect(ids[0]).toBe('imap-auth-rejected-opaque');
    expect(ids).toContain('token-opaque');
    expect(ids).not.toContain('imap-auth-rejected-service-principal');
  });

  it('aud https://ps.outlook.com is Exchange Online: the check passes with no finding', async () => {
    const r = await cli(['test', '--user', SANDBOX.user, ...entraArgs(), '--scope', 'https://ps.outlook.com/.default', ...imapArgs(), '--json'], undefined, secretEnv());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.token.claims.aud).toBe('https://ps.outlook.com');
    expect(doc.results[0].diagnosis).toEqual([]);
  });

  it('a Graph-scoped delegated token: the fix names IMAP.AccessAsUser.All and shows the aud/scp the token has', async () => {
    const token = await delegatedTokenFile(ALICE, 'https://graph.microsoft.com/Mail.Read');
    const r = await cli(['test', '--user', ALICE, '--access-token-file', token, ...imapArgs(), '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(6);
    const d = first(r.stdout);
    expect(d.id).toBe('token-wrong-audience');
    expect(d.fix).toContain('--scope https://outlook.office.com/IMAP.AccessAsUser.All');
    expect(d.fix).toContain('aud https://graph.microsoft.com, scp Mail.Read');
    expect(d.fix).not.toContain('/.default');
  });

  it('a Conditional Access code the table does not know (AADSTS53005): read from Entra\'s text', async () => {
    world.identity.setFault({ kind: 'aadsts', code: 53005 });
    try {
      const r = await cli(['test', '--user', SANDBOX.user, ...entraArgs(), ...imapArgs(), '--json'], undefined, secretEnv());
      expect(r.code, r.stdout + r.stderr).toBe(3);
      const doc = JSON.parse(r.stdout);
      expect(doc.token.error).toMatchObject({ aadsts: 53005, description: 'AADSTS53005: Application needs to enforce Intune protection policies.' });
      const d = doc.results[0].diagnosis[0];
      expect(d.id).toBe('aadsts-device-not-compliant');
      expect(d.summary).toContain("AADSTS53005: not in imap-oauth's table; read from Entra's text");
    } finally {
      world.identity.setFault(null);
    }
  });

  it("AADSTS700016 quotes the directory's display name, and the finding names both IDs", async () => {
    const wrong = '0bad0bad-0bad-40ba-80ba-0bad0bad0bad';
    const r = await cli(['test', '--user', SANDBOX.user, '--tenant', SANDBOX.tenantId, '--client-id', wrong, '--authority-host', world.identity.url, ...imapArgs(), '--json'], undefined, secretEnv());
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const d = first(r.stdout);
    expect(d).toMatchObject({ id: 'aadsts-app-not-found', summary: `The application ${wrong} was not found in the directory 'Contoso'` });
    expect(d.fix).toContain(wrong);
    expect(d.fix).toContain(SANDBOX.tenantId);
  });
});

describe('explain - on pasted logs', () => {
  const logs = new URL('../fixtures/pasted-logs/', import.meta.url);
  const tokens = JSON.parse(readFileSync(new URL('tokens.json', logs), 'utf8')) as Record<string, string>;

  it.each([
    ['MailKit', 'mailkit-shared-mailbox.txt', 'delegated-other-mailbox'],
    ['JavaMail', 'javamail-no-role.txt', 'token-missing-imap-role'],
    ['imapsync', 'imapsync-outlook-com.txt', 'imap-auth-rejected-opaque'],
    ['curl', 'curl-graph-token.txt', 'token-wrong-audience'],
    ['Python imaplib', 'python-imaplib-expired.txt', 'token-expired'],
    ['an Entra JSON body', 'entra-json-device-code.txt', 'aadsts-no-credential'],
    ['an MSAL.NET stack trace', 'msal-dotnet-other-directory.txt', 'aadsts-app-not-found'],
    ['an MSAL Node error', 'node-msal-ca-53005.txt', 'aadsts-device-not-compliant'],
  ])('%s: the first finding, and the token stays redacted', async (_lib, file, id) => {
    const text = readFileSync(new URL(file, logs), 'utf8');
    const json = await cli(['explain', '-', '--json'], text);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.input).toBe('stdin');
    expect(doc.matches[0].id).toBe(id);
    const human = await cli(['explain', '-'], text);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`[${id}]`);
    const viaFile = await cli(['explain', join(new URL(file, logs).pathname)]);
    expect(viaFile.stdout).toBe(human.stdout);
    expect(findLeak([json.stdout, json.stderr, human.stdout, human.stderr], Object.values(tokens))).toBeNull();
  });

  it('a decoded XOAUTH2 string shows its user and claims, never the token', async () => {
    const r = await cli(['explain', '-'], readFileSync(new URL('mailkit-shared-mailbox.txt', logs), 'utf8'));
    expect(r.stdout).toMatch(/XOAUTH2 string: user=shared\.inbox@contoso\.com; token \(not shown\): a JWT: aud https:\/\/outlook\.office\.com, scp IMAP\.AccessAsUser\.All User\.Read, upn alice@contoso\.com/);
    expect(r.stdout).not.toContain(tokens.alice!.slice(0, 40));
  });

  it('"-ERR …" is text, not an option', async () => {
    const r = await cli(['explain', '-ERR', 'Authentication', 'failure:', 'unknown', 'user', 'name', 'or', 'bad', 'password.']);
    expect(r.stderr).not.toMatch(/unknown option/);
    expect(r.stdout).toContain('-ERR Authentication failure');
    // Exchange's POP3 refusal: its own finding first (the POP3 rules know this wording).
    expect(r.stdout.split('\n')[0]).toMatch(/\[pop-auth-rejected-service-principal\]$/);
    expect(r.code).toBe(0);
  });

  it('nothing to read: one line, exit 2', async () => {
    const r = await cli(['explain', '-'], '   \n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^imap-oauth: explain: the standard input is empty\n$/);
  });
});

describe('secrets never leak', () => {
  it('no output of any run holds a secret or token in any encoding', () => {
    expect(outputs.length).toBeGreaterThan(10);
    expect(findLeak(outputs, [...secrets, ...world.identity.issuedTokens])).toBeNull();
  });
});
