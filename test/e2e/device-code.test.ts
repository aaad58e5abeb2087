// --flow device-code end to end: the code is shown on stderr, the "user" approves it in the stand-in,
// and the delegated token opens the signed-in user's mailbox on the Exchange-like server.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX, startSandbox, type SandboxWorld } from '../../src/sandbox/world.js';
import { actAsBrowser } from '../support/browser.js';
import { findLeak, runCli } from '../support/cli.js';

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

/** Runs the CLI; `onCode` gets the user code (or the interactive sign-in URL) as soon as it is printed. */
function run(extra: string[], onCode: (code: string, child: ChildProcess) => void) {
  const args = ['test', '--flow', 'device-code', '--tenant', SANDBOX.tenantId, '--client-id', SANDBOX.clientId, '--authority-host', world.identity.url,
    '--host', world.imap.host, '--port', String(world.imap.port), '--ca-file', join(dir, 'ca.pem'), '--timeout', '5', ...extra];
  let seen = false;
  return runCli(args, {
    cwd: dir,
    onStderr: (stderr, child) => {
      const code = /enter the code ([A-Z0-9-]+)/.exec(stderr)?.[1] ?? /^(https:\/\/\S+\/authorize\?\S+)$/m.exec(stderr)?.[1];
      if (code && !seen) {
        seen = true;
        onCode(code, child);
      }
    },
  });
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

  it('nobody signs in: the code expires, exit 3 with its own finding (AADSTS70020)', async () => {
    // The stand-in ends the code's life when it is printed (not a short expires_in, which races
    // MSAL's own client-side deadline under load): the next poll is answered expired_token.
    const r = await run(['--json'], (code) => world.identity.expireDeviceCode(code));
    outputs.push(r.stdout, r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stderr).toMatch(/enter the code [A-Z0-9-]+/);
    const doc = JSON.parse(r.stdout);
    expect(doc.token.error).toMatchObject({ kind: 'server', aadsts: 70020 });
    expect(doc.results[0].diagnosis[0].id).toBe('aadsts-device-code-expired');
    expect(world.identity.deviceCodes().at(-1)).toEqual(expect.objectContaining({ state: 'expired' }));
  });

  it('Ctrl-C while the code is pending (it would live 15 minutes) ends the run at once: exit 130, no token', async () => {
    const r = await run(['--json'], (_code, child) => child.kill('SIGINT'));
    outputs.push(r.stdout, r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stderr).toContain('interrupted (SIGINT)');
    expect(world.identity.deviceCodes().at(-1)).toEqual(expect.objectContaining({ state: 'pending' }));
  });

  it('--token-cache keeps the sign-in: --flow refresh-token reuses it, --fresh-token redeems the refresh token, logout forgets it', async () => {
    const cache = join(dir, 'user-cache.json');
    const signIn = await run(['--token-cache', cache], (code) => world.identity.approveDeviceCode(code, { upn: SANDBOX.user, oid: USER_OID }));
    outputs.push(signIn.stdout, signIn.stderr);
    expect(signIn.code, signIn.stderr).toBe(0);
    expect(statSync(cache).mode & 0o777).toBe(0o600);

    const noCode = () => {
      throw new Error('a refresh-token run must not ask for a device code');
    };
    const reuse = await run(['--flow', 'refresh-token', '--token-cache', cache, '--json'], noCode);
    outputs.push(reuse.stdout, reuse.stderr);
    expect(reuse.code, reuse.stderr).toBe(0);
    expect(JSON.parse(reuse.stdout)).toMatchObject({ token: { source: 'refresh-token', requests: 0 }, results: [{ user: SANDBOX.user, ok: true }] });

    const before = world.identity.requests.length;
    const fresh = await run(['--flow', 'refresh-token', '--token-cache', cache, '--fresh-token', '--json'], noCode);
    outputs.push(fresh.stdout, fresh.stderr);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(world.identity.requests.slice(before).map((r) => r.form?.grant_type)).toEqual(['refresh_token']);

    world.identity.revokeRefreshTokens();
    const revoked = await run(['--flow', 'refresh-token', '--token-cache', cache, '--fresh-token', '--json'], noCode);
    outputs.push(revoked.stdout, revoked.stderr);
    expect(revoked.code).toBe(3);
    expect(JSON.parse(revoked.stdout).results[0].diagnosis[0].id).toBe('aadsts-refresh-token-expired');

    const { runCli } = await import('../support/cli.js');
    const out = await runCli(['logout', '--token-cache', cache]);
    expect(out.code).toBe(0);
    expect(existsSync(cache)).toBe(false);
    const after = await run(['--flow', 'refresh-token', '--token-cache', cache], noCode);
    outputs.push(after.stdout, after.stderr);
    expect(after.code).toBe(3);
    expect(after.stdout).toContain('sign in first with --flow device-code');
  });

  it('--flow interactive: PKCE through the loopback redirect, driven by the test as the browser', async () => {
    world.identity.setInteractiveUser({ upn: SANDBOX.user, oid: USER_OID });
    const r = await run(['--flow', 'interactive', '--no-browser', '--json'], (url) => void actAsBrowser(url, world.caPem));
    outputs.push(r.stdout, r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.token).toMatchObject({ source: 'interactive', ok: true, claims: { upn: SANDBOX.user } });
    expect(doc.results[0]).toMatchObject({ user: SANDBOX.user, ok: true });
    const post = world.identity.requests.filter((q) => q.method === 'POST').at(-1);
    expect(post?.form?.grant_type).toBe('authorization_code');
    expect(post?.form?.code_verifier).toMatch(/^[A-Za-z0-9_~.-]{43,128}$/);
  });

  it('no token or refresh token is ever printed', () => {
    expect(findLeak(outputs, [...world.identity.issuedTokens, ...world.identity.issuedRefreshTokens])).toBeNull();
  });
});
