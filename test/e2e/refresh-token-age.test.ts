// The refresh token's age for delegated flows, end to end: a device-code sign-in with --token-cache
// records when it happened (a timestamp in the cache envelope, never a token); --flow refresh-token
// then reports it in --json, JUnit and the text report, and warns when the token had gone unused
// for nearly Entra's 90 days. A cache written before these timestamps still works.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX, startSandbox, type SandboxWorld } from '../../src/sandbox/world.js';
import { findLeak, runCli, type CliRun } from '../support/cli.js';

let world: SandboxWorld;
let dir: string;
let cache: string;
const outputs: string[] = [];
const DAY = 86_400_000;

beforeAll(async () => {
  world = await startSandbox({ app: { publicClient: true }, deviceCodeIntervalSeconds: 0.1 });
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-rt-age-'));
  cache = join(dir, 'cache.json');
  writeFileSync(join(dir, 'ca.pem'), world.caPem);
});
afterAll(async () => {
  // No output shows a refresh or access token the stand-in issued.
  expect(findLeak(outputs, [...world.identity.issuedRefreshTokens, ...world.identity.issuedTokens])).toBeNull();
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

const common = () => ['--tenant', SANDBOX.tenantId, '--client-id', SANDBOX.clientId, '--authority-host', world.identity.url, '--host', world.imap.host, '--port', String(world.imap.port), '--ca-file', join(dir, 'ca.pem'), '--timeout', '5', '--token-cache', cache];

/** A device-code sign-in: the stand-in's user approves the code as soon as it is printed. */
function signIn(): Promise<CliRun> {
  let seen = false;
  return runCli(['test', '--flow', 'device-code', ...common(), '--json'], {
    cwd: dir,
    onStderr: (stderr) => {
      const code = /enter the code ([A-Z0-9-]+)/.exec(stderr)?.[1];
      if (code && !seen) {
        seen = true;
        world.identity.approveDeviceCode(code, { upn: SANDBOX.user });
      }
    },
  });
}

async function refresh(extra: string[]) {
  const run = await runCli(['test', '--flow', 'refresh-token', ...common(), ...extra], { cwd: dir });
  outputs.push(run.stdout, run.stderr);
  return run;
}

const envelope = () => JSON.parse(readFileSync(cache, 'utf8')) as Record<string, unknown>;
const rewrite = (change: (e: Record<string, unknown>) => void) => {
  const e = envelope();
  change(e);
  writeFileSync(cache, JSON.stringify(e), { mode: 0o600 });
};

describe('refresh-token age', () => {
  let signedInAt: string;

  it('a device-code sign-in records its time in the cache envelope (a timestamp, not a token) and reports it', async () => {
    const before = Date.now();
    const run = await signIn();
    outputs.push(run.stdout, run.stderr);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const e = envelope();
    signedInAt = String(e.signedInAt);
    expect(Date.parse(signedInAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(e.refreshedAt).toBe(signedInAt);
    const doc = JSON.parse(run.stdout);
    expect(doc.credential).toMatchObject({ kind: 'device-code', signedInAt, refreshTokenIssuedAt: signedInAt, refreshTokenAgeDays: 0, refreshTokenRenewed: true });
    expect(Date.parse(doc.credential.refreshTokenExpiresAt) - Date.parse(signedInAt)).toBe(90 * DAY);
  });

  it('--flow refresh-token: the sign-in time and the age in --json; no advisory for a token used recently', async () => {
    const run = await refresh(['--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.credential).toMatchObject({ kind: 'refresh-token', signedInAt, refreshTokenRenewed: false });
    expect(doc.credential.refreshTokenAgeDays).toBeLessThan(0.1);
    expect(doc.results[0].diagnosis).toEqual([]);
  });

  it('a refresh token unused for 80 days: advisory in --json, properties in JUnit, a sign-in line in the text report; the run renews it', async () => {
    const eighty = new Date(Date.now() - 80 * DAY).toISOString();
    rewrite((e) => (e.refreshedAt = eighty));
    const junit = join(dir, 'junit.xml');
    const run = await refresh(['--fresh-token', '--json', '--junit', junit]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.credential.refreshTokenAgeDays).toBe(80);
    expect(doc.credential.refreshTokenRenewed).toBe(true);
    expect(Date.parse(doc.credential.refreshTokenIssuedAt)).toBeGreaterThan(Date.parse(eighty));
    expect(doc.results[0].diagnosis).toContainEqual(expect.objectContaining({ id: 'refresh-token-inactive', severity: 'advisory', summary: expect.stringContaining('unused for 80 days of the 90 Entra allows; this run renewed it') }));
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain(`<property name="credential.signedInAt" value="${signedInAt}"/>`);
    expect(xml).toContain('<property name="credential.refreshTokenAgeDays" value="80"/>');
    expect(xml).toMatch(/<property name="credential.refreshTokenExpiresAt" value="[^"]+Z"\/>/);
    // The envelope now says the token was renewed: the next run finds it fresh.
    expect(Date.parse(String(envelope().refreshedAt))).toBeGreaterThan(Date.now() - 60_000);

    rewrite((e) => (e.refreshedAt = eighty));
    const text = await refresh(['--fresh-token', '--no-color']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`sign-in +signed in ${signedInAt.replace(/\./g, '\\.')}; refresh token unused for 80 days before this run, renewed; expires \\S+Z if unused`));
    expect(text.stdout).toContain('[refresh-token-inactive]');
    expect(text.stdout).toContain('imap-oauth test --flow device-code --token-cache PATH');
  });

  it('--warn-days moves the advisory: 80 days unused is not within 5 days of 90', async () => {
    rewrite((e) => (e.refreshedAt = new Date(Date.now() - 80 * DAY).toISOString()));
    const run = await refresh(['--fresh-token', '--json', '--warn-days', '5']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).results[0].diagnosis).toEqual([]);
  });

  it('a cache written before these timestamps: the run works, the age is unknown (null), no advisory; the timestamps appear', async () => {
    rewrite((e) => {
      delete e.signedInAt;
      delete e.refreshedAt;
    });
    const run = await refresh(['--fresh-token', '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.credential).toMatchObject({ kind: 'refresh-token', signedInAt: null, refreshTokenAgeDays: null, refreshTokenRenewed: true });
    expect(doc.results[0].diagnosis).toEqual([]);
    const e = envelope();
    expect(e.signedInAt).toBeUndefined();
    expect(Date.parse(String(e.refreshedAt))).toBeGreaterThan(Date.now() - 60_000);
  });
});
