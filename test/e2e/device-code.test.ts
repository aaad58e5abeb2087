// --flow device-code end to end: the code is shown on stderr, the "user" approves it in the stand-in,
// and the delegated token opens the signed-in user's mailbox on the Exchange-like server.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX, startSandbox, type SandboxWorld } from '../../src/sandbox/world.js';
import { BIN, findLeak } from '../support/cli.js';

let world: SandboxWorld;
let dir: string;
const USER_OID = '0a0b0c0d-1111-4222-8333-444455556666';

beforeAll(async () => {
  world = await startSandbox({ app: { publicClient: true }, deviceCodeIntervalSeconds: 0.1, mailbox: { fullAccess: [SANDBOX.servicePrincipalId] } });
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-dc-'));
  writeFileSync(join(dir, 'ca.pem'), world.caPem);
});
afterAll(async () => {
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI; `onCode` gets the user code as soon as it is printed. */
function run(extra: string[], onCode: (code: string) => void) {
  const args = ['test', '--flow', 'device-code', '--tenant', SANDBOX.tenantId, '--client-id', SANDBOX.clientId, '--authority-host', world.identity.url,
    '--host', world.imap.host, '--port', String(world.imap.port), '--ca-file', join(dir, 'ca.pem'), '--timeout', '5', ...extra];
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH }, cwd: dir });
  let stdout = '';
  let stderr = '';
  let seen = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    const code = /enter the code ([A-Z0-9-]+)/.exec(stderr)?.[1];
    if (code && !seen) {
      seen = true;
      onCode(code);
    }
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('--flow device-code', () => {
  const outputs: string[] = [];

  it('signs the user in with a device code and opens their own mailbox (no --user needed)', async () => {
    const r = await run(['--json'], (code) => world.identity.approveDeviceCode(code, { upn: SANDBOX.user, oid: USER_OID }));
    outputs.push(r.stdout, r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/https:\/\/microsoft\.com\/devicelogin/);
    const doc = JSON.parse(r.stdout);
    expect(doc.token).toMatchObject({ source: 'device-code', ok: true, claims: { aud: 'https://outlook.office.com', scp: expect.stringContaining('IMAP.AccessAsUser.All'), upn: SANDBOX.user } });
    expect(doc.results[0]).toMatchObject({ user: SANDBOX.user, ok: true });
    expect(doc.results[0].diagnosis).toEqual([]);
  });

  it('another mailbox without FullAccess: authenticated but not connected (exit 7), flagged as a shared mailbox', async () => {
    const r = await run(['--user', 'shared@contoso.com'], (code) => world.identity.approveDeviceCode(code, { upn: SANDBOX.user, oid: USER_OID }));
    outputs.push(r.stdout, r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(7);
    expect(r.stdout).toContain('opened as the signed-in user');
  });

  it('a declined sign-in is exit 3 with its AADSTS code kept', async () => {
    const r = await run(['--json'], (code) => world.identity.declineDeviceCode(code));
    outputs.push(r.stdout, r.stderr);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.token.error).toMatchObject({ kind: 'server', oauthError: 'authorization_declined', aadsts: 70000 });
    expect(doc.results[0].diagnosis[0].id).toBe('aadsts-sign-in-declined');
  });

  it('no token or refresh token is ever printed', () => {
    expect(findLeak(outputs, world.identity.issuedTokens)).toBeNull();
  });
});
