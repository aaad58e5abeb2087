// Issue 12: the Node API, called as a user's program would (a separate Node process importing the
// built package entry): check() returns the --json document, prints nothing, exits nothing, and
// rejects bad options with CheckOptionsError; no secret reaches its result.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLeak, runNode, type CliRun } from '../support/cli.js';
import { CLIENT_ID, startE2eWorld, TENANT, USER, type E2eWorld } from '../support/e2e-world.js';

const ENTRY = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
let world: E2eWorld;

beforeAll(async () => {
  world = await startE2eWorld();
}, 60_000);
afterAll(async () => world?.close());

/** A user's health check: `import { check } from 'imap-oauth'`, print one line of its own. */
function program(body: string): Promise<CliRun> {
  const file = join(world.dir, `program-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, `import { check, CheckOptionsError, ExitCode, version } from ${JSON.stringify(ENTRY)};\n${body}\n`);
  return runNode([file]);
}

const common = () => ({ user: USER, tenant: TENANT, clientId: CLIENT_ID, authorityHost: world.identity.url, host: world.dovecot.host, port: world.dovecot.port, caFile: world.caFile, timeout: 5 });

describe('check()', () => {
  it('returns the --json document for a passing check and prints nothing itself', async () => {
    const run = await program(`
      const report = await check({ ...${JSON.stringify(common())}, clientSecret: ${JSON.stringify(world.secret)} });
      process.stdout.write('REPORT ' + JSON.stringify(report) + '\\n');
      process.stdout.write('STILL RUNNING ' + ExitCode.OK + ' ' + typeof version + '\\n');`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    const report = JSON.parse(lines[0]!.slice('REPORT '.length));
    expect(report).toMatchObject({ ok: true, exitCode: 0, token: { source: 'client-secret', ok: true, requests: 1 } });
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ user: USER, protocol: 'imap', ok: true, failedStage: null });
    expect(lines[1]).toBe('STILL RUNNING 0 string');
    expect(findLeak([run.stdout, run.stderr], [world.secret])).toBeNull();
  });

  it('takes a ready access token, and reports a failure as a result, not an exception', async () => {
    const { token } = world.tokenFile({ otherKey: true });
    const run = await program(`
      const report = await check({ user: ${JSON.stringify(USER)}, host: ${JSON.stringify(world.dovecot.host)}, port: ${world.dovecot.port}, caFile: ${JSON.stringify(world.caFile)}, accessToken: ${JSON.stringify(token)} });
      process.stdout.write(JSON.stringify(report));`);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: false, exitCode: 6, token: { source: 'access-token-file', requests: 0 } });
    expect(report.results[0].failedStage).toBe('authenticate');
    expect(findLeak([run.stdout, run.stderr], [token])).toBeNull();
  });

  it('a wrong secret is exit 3 in the report, and the secret is nowhere in it', async () => {
    const wrong = 'Wr0ng~secret-value-that-is-long-enough-1';
    const run = await program(`
      const report = await check({ ...${JSON.stringify(common())}, clientSecret: ${JSON.stringify(wrong)} });
      process.stdout.write(JSON.stringify(report));`);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.exitCode).toBe(3);
    expect(report.results[0].diagnosis[0].id).toMatch(/^aadsts-/);
    expect(findLeak([run.stdout, run.stderr], [wrong])).toBeNull();
  });

  it('rejects bad options with CheckOptionsError (exit code 2), the secret not echoed', async () => {
    const secretShaped = 'Q3x8Q~hT2.vL_9mRk-4pZsW1~yN6cB0dF7gJ5eA2';
    const run = await program(`
      try {
        await check({ user: 'someone@contoso.com', clientId: ${JSON.stringify(secretShaped)}, tenant: 'contoso.com', clientSecret: 'x'.repeat(20) });
        process.stdout.write('resolved');
      } catch (err) {
        process.stdout.write(JSON.stringify({ isOptionsError: err instanceof CheckOptionsError, exitCode: err.exitCode, message: err.message }));
      }`);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ isOptionsError: true, exitCode: 2 });
    expect(result.message).toMatch(/^invalid client ID/);
    expect(findLeak([run.stdout, run.stderr], [secretShaped])).toBeNull();
  });

  it('reads no environment variable unless given env', async () => {
    const run = await program(`
      process.env.IMAP_OAUTH_CLIENT_SECRET = 'from-the-environment-value';
      try { await check({ user: 'someone@contoso.com' }); process.stdout.write('resolved'); }
      catch (err) { process.stdout.write(err.message); }`);
    expect(run.stdout).toMatch(/^missing credential/);
  });
});
