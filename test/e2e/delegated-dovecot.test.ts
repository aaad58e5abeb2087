// A user's sign-in against a real Dovecot that checks delegated tokens: audience outlook.office.com
// and the SASL user must be the token's upn.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, findLeak } from '../support/cli.js';
import { CLIENT_ID, TENANT, USER, startE2eWorld, type E2eWorld } from '../support/e2e-world.js';

let world: E2eWorld;
const outputs: string[] = [];
beforeAll(async () => {
  world = await startE2eWorld({ publicClient: true, delegatedDovecot: true });
});
afterAll(async () => world?.close());

function signIn(extra: string[]) {
  const args = ['test', '--flow', 'device-code', '--tenant', TENANT, '--client-id', CLIENT_ID, '--authority-host', world.identity.url,
    '--host', world.dovecot.host, '--port', String(world.dovecot.port), '--ca-file', world.caFile, '--timeout', '5', '--json', ...extra];
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH }, cwd: world.dir });
  let stdout = '';
  let stderr = '';
  let approved = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    const code = /enter the code ([A-Z0-9-]+)/.exec(stderr)?.[1];
    if (code && !approved) {
      approved = true;
      world.identity.approveDeviceCode(code, { upn: USER });
    }
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('delegated tokens against Dovecot', () => {
  it('the signed-in user opens their own mailbox', async () => {
    const r = await signIn([]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ user: USER, ok: true });
  });

  it('OAUTHBEARER works the same', async () => {
    const r = await signIn(['--mech', 'oauthbearer']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("another user's mailbox is refused by the server (exit 6)", async () => {
    const r = await signIn(['--user', 'someone.else@contoso.com']);
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout).results[0].failedStage).toBe('authenticate');
  });

  it('no token leaks', () => {
    expect(findLeak(outputs, [...world.identity.issuedTokens, ...world.identity.issuedRefreshTokens])).toBeNull();
  });
});
