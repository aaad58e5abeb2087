// Many mailboxes, CI outputs and token reuse, end to end against Dovecot and the identity stand-in.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLeak, runCli, type CliRun } from '../support/cli.js';
import { startE2eWorld, type E2eWorld } from '../support/e2e-world.js';

let world: E2eWorld;
const runs: CliRun[] = [];
const USERS = Array.from({ length: 12 }, (_, i) => `user${i + 1}@contoso.com`);

async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const run = await runCli(args, { env: { IMAP_OAUTH_CLIENT_SECRET: world.secret, ...env }, cwd: world.dir });
  runs.push(run);
  return run;
}

const batchArgs = (file: string, ...extra: string[]) => world.batchArgs(file, ...extra);

let usersFile: string;
beforeAll(async () => {
  world = await startE2eWorld();
  usersFile = join(world.dir, 'users.txt');
  writeFileSync(usersFile, ['# mailboxes to check', '', ...USERS, ''].join('\n'));
});
afterAll(async () => world?.close());

describe('batch', () => {
  it('checks every mailbox with one token request and prints a summary table', async () => {
    const before = world.identity.requests.length;
    const run = await cli(batchArgs(usersFile, '--concurrency', '4'));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(world.identity.requests.length - before).toBe(1);
    for (const u of USERS) expect(run.stdout).toMatch(new RegExp(`^${u.replace('.', '\\.')}\\s+PASS`, 'm'));
    expect(run.stdout).toMatch(/12 passed, 0 failed .* 1 token request/);
    expect(run.stderr).toBe(''); // no progress bar off a terminal
  });

  it('on a terminal a progress bar shows done / total / failures / rate (run under script(1) for a pty)', async () => {
    // Asynchronous on purpose: the identity stand-in runs in this process and must keep answering.
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../support/cli.js');
    const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
    const command = [process.execPath, BIN, ...batchArgs(usersFile, '--no-color')].map(quote).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH, IMAP_OAUTH_CLIENT_SECRET: world.secret, TERM: 'xterm' } });
    const run = { stdout: '', status: null as number | null };
    child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
    run.status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    runs.push({ code: run.status, stdout: run.stdout, stderr: '', ms: 0 });
    expect(run.status, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/\[#+-*\] \d+\/12 {2}0 failed {2}[\d.]+\/s/);
    expect(run.stdout).toMatch(/\[#{24}\] 12\/12 {2}0 failed/);
  });

  it('reads a CSV export with a UserPrincipalName column, and repeated --user', async () => {
    const csv = join(world.dir, 'users.csv');
    writeFileSync(csv, 'DisplayName,UserPrincipalName\n"Doe, Jane",jane@contoso.com\nBob,bob@contoso.com\n');
    const args = batchArgs(csv, '--json', '--user', 'extra@contoso.com');
    const run = await cli(args);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).results.map((r: { user: string }) => r.user).sort()).toEqual(['bob@contoso.com', 'extra@contoso.com', 'jane@contoso.com']);
  });

  it('a bad address in the users file is a usage error naming the line', async () => {
    const bad = join(world.dir, 'bad-users.txt');
    writeFileSync(bad, 'ok@contoso.com\nnot an address\n');
    const run = await cli(batchArgs(bad));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/line 2/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--jsonl streams one line per mailbox, then a summary line', async () => {
    const run = await cli(batchArgs(usersFile, '--jsonl', '--concurrency', '8'));
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(USERS.length + 1);
    expect(lines.slice(0, -1).map((l) => l.user).sort()).toEqual([...USERS].sort());
    for (const l of lines.slice(0, -1)) expect(l).toMatchObject({ ok: true, exitCode: 0, failedStage: null });
    expect(lines.at(-1)).toMatchObject({ summary: true, ok: true, total: 12, passed: 12, failed: 0, tokenRequests: 1 });
  });

  it('--junit writes one testcase per mailbox; failures carry the diagnosis', async () => {
    const junit = join(world.dir, 'report.xml');
    const { path } = world.tokenFile({ otherKey: true }); // Dovecot rejects it: every mailbox fails
    const args = ['test', '--users-file', usersFile, '--access-token-file', path, '--host', world.dovecot.host, '--port', String(world.dovecot.port), '--ca-file', world.caFile, '--junit', junit];
    const run = await cli(args);
    expect(run.code).toBe(6);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect(xml).toContain('tests="12" failures="12"');
    expect(xml.match(/<testcase /g)).toHaveLength(12);
    expect(xml).toContain('<failure type="authenticate" message="authenticate failed (exit 6)');
    expect(xml).toContain('imap-sasl-error-challenge');
  });

  it('GitHub Actions: failures become ::error annotations', async () => {
    const { path } = world.tokenFile({ otherKey: true });
    const run = await cli(['test', '--user', 'a@contoso.com', '--access-token-file', path, '--host', world.dovecot.host, '--port', String(world.dovecot.port), '--ca-file', world.caFile], { GITHUB_ACTIONS: 'true' });
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/^::error title=imap-oauth%3A a@contoso.com failed at authenticate \(exit 6\)::/m);
    expect(run.stdout).not.toContain('::error');
  });

  it('GitHub Actions: --json and --jsonl stay parseable (annotations go to stderr)', async () => {
    const { path } = world.tokenFile({ otherKey: true });
    const args = ['test', '--user', 'a@contoso.com', '--user', 'b@contoso.com', '--access-token-file', path, '--host', world.dovecot.host, '--port', String(world.dovecot.port), '--ca-file', world.caFile];
    const json = await cli([...args, '--json'], { GITHUB_ACTIONS: 'true' });
    expect(json.code).toBe(6);
    expect(JSON.parse(json.stdout).results).toHaveLength(2);
    const jsonl = await cli([...args, '--jsonl'], { GITHUB_ACTIONS: 'true' });
    const lines = jsonl.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(jsonl.stderr.match(/^::error /gm)).toHaveLength(2);
  });

  it('when the token cannot be had, every mailbox still gets its result, failed at the token stage (exit 3)', async () => {
    const run = await cli(batchArgs(usersFile, '--json'), { IMAP_OAUTH_CLIENT_SECRET: 'wrong-secret-value-for-batch' });
    expect(run.code).toBe(3);
    const doc = JSON.parse(run.stdout);
    expect(doc.results).toHaveLength(12);
    for (const r of doc.results) expect(r).toMatchObject({ failedStage: 'token', exitCode: 3 });
  });
});

describe('--token-cache', () => {
  it('second run makes no token request; file is mode 0600; --fresh-token asks again', async () => {
    const cache = join(world.dir, 'token-cache.json');
    const before = world.identity.requests.length;
    const first = await cli(world.args('--token-cache', cache, '--json'));
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(cache)).toBe(true);
    expect(statSync(cache).mode & 0o777).toBe(0o600);
    const second = await cli(world.args('--token-cache', cache, '--json'));
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout).token).toMatchObject({ requests: 0, fromCache: true });
    expect(world.identity.requests.length - before).toBe(1);
    const fresh = await cli(world.args('--token-cache', cache, '--fresh-token', '--json'));
    expect(JSON.parse(fresh.stdout).token).toMatchObject({ requests: 1, fromCache: false });
  });

  it('a changed credential does not reuse a token cached with the old one', async () => {
    const cache = join(world.dir, 'token-cache-2.json');
    const ok = await cli(world.args('--token-cache', cache));
    expect(ok.code, ok.stderr).toBe(0);
    const changed = await cli(world.args('--token-cache', cache, '--json'), { IMAP_OAUTH_CLIENT_SECRET: 'a-different-and-wrong-secret' });
    expect(changed.code).toBe(3);
    expect(JSON.parse(changed.stdout).token.error.aadsts).toBe(7000215);
  });
});

describe('secrets never leak (batch outputs)', () => {
  it('no output, JUnit file or cache holds the secret in a readable form', () => {
    const outputs = [...runs.flatMap((r) => [r.stdout, r.stderr]), readFileSync(join(world.dir, 'report.xml'), 'utf8')];
    const tokens = world.identity.issuedTokens;
    expect(findLeak(outputs, [world.secret, 'wrong-secret-value-for-batch', 'a-different-and-wrong-secret', ...tokens])).toBeNull();
    // The cache file holds the token by design (mode 0600) but never the secret.
    expect(readFileSync(join(world.dir, 'token-cache.json'), 'utf8')).not.toContain(world.secret);
  });
});
