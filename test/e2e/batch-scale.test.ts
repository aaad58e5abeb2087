// Large batches end to end against Dovecot and the identity stand-in: no listener warning at any
// concurrency, --rate holding connection starts back, --resume skipping what a previous --jsonl
// run finished (also one killed mid-line), --shard splitting a users file between jobs.
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, findLeak, runCli, type CliRun } from '../support/cli.js';
import { startE2eWorld, type E2eWorld } from '../support/e2e-world.js';

let world: E2eWorld;
const runs: CliRun[] = [];
const USERS = Array.from({ length: 12 }, (_, i) => `user${i + 1}@contoso.com`);
const MANY = Array.from({ length: 130 }, (_, i) => `box${i + 1}@contoso.com`);
let usersFile: string;
let manyFile: string;

async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const run = await runCli(args, { env: { IMAP_OAUTH_CLIENT_SECRET: world.secret, ...env }, cwd: world.dir, timeoutMs: 110_000 });
  runs.push(run);
  return run;
}

const batchArgs = (file: string, ...extra: string[]) => world.batchArgs(file, ...extra);

const jsonLines = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const resultsOf = (stdout: string) => jsonLines(stdout).filter((l) => !l.summary);
const summaryOf = (stdout: string) => jsonLines(stdout).find((l) => l.summary);

beforeAll(async () => {
  world = await startE2eWorld();
  usersFile = join(world.dir, 'users.txt');
  writeFileSync(usersFile, `${USERS.join('\n')}\n`);
  manyFile = join(world.dir, 'many.txt');
  writeFileSync(manyFile, `${MANY.join('\n')}\n`);
});
afterAll(async () => world?.close());

describe('no warning at any concurrency', () => {
  it('--concurrency 64 over 130 mailboxes: every check passes, stderr is empty (no MaxListenersExceededWarning)', async () => {
    // A generous step deadline: 64 handshakes at once on a busy two-core machine are slow, not failed.
    const run = await cli(batchArgs(manyFile, '--concurrency', '64', '--jsonl', '--timeout', '30'));
    expect(run.code, `${run.stderr}\n${run.stdout.split('\n').filter((l) => l.includes('"ok":false')).slice(0, 3).join('\n')}`).toBe(0);
    expect(run.stderr).not.toContain('MaxListenersExceededWarning');
    expect(run.stderr).not.toContain('Warning:');
    expect(run.stderr).toBe('');
    expect(resultsOf(run.stdout)).toHaveLength(130);
    expect(summaryOf(run.stdout)).toMatchObject({ total: 130, passed: 130, failed: 0, tokenRequests: 1 });
  }, 120_000);

  it('the same with the text report (grouped causes, summary table) and --retries', async () => {
    const run = await cli(batchArgs(manyFile, '--concurrency', '64', '--retries', '2', '--no-color', '--timeout', '30'));
    expect(run.code, run.stderr + run.stdout.slice(0, 3000)).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/130 passed, 0 failed/);
    for (const u of ['box1@contoso.com', 'box130@contoso.com']) expect(run.stdout).toMatch(new RegExp(`^${u.replace('.', '\\.')}\\s+PASS`, 'm'));
  }, 120_000);
});

describe('--rate', { timeout: 90_000 }, () => {
  it('holds connection starts back: at 1/m only the first check runs; SIGTERM then ends the wait at once (exit 143)', async () => {
    const child = spawn(process.execPath, [BIN, ...batchArgs(usersFile, '--rate', '1/m', '--jsonl', '--concurrency', '8')], {
      cwd: world.dir,
      env: { PATH: process.env.PATH, IMAP_OAUTH_CLIENT_SECRET: world.secret },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The first check (the bucket's one token) finishes; the other eleven wait for a token a minute away.
    await expect.poll(() => stdout.split('\n').length > 1, { timeout: 20_000 }).toBe(true);
    child.kill('SIGTERM');
    const code = await closed;
    runs.push({ code, stdout, stderr, ms: 0 });
    expect(code, stdout + stderr).toBe(143);
    expect(resultsOf(stdout)).toHaveLength(1);
    expect(resultsOf(stdout)[0]).toMatchObject({ ok: true });
    expect(summaryOf(stdout)).toMatchObject({ total: 12, passed: 1, failed: 0, interrupted: 11, exitCode: 143 });
  });

  it('a rate the batch fits in changes nothing else; IMAP_OAUTH_RATE is read too', async () => {
    const run = await cli(batchArgs(usersFile, '--jsonl'), { IMAP_OAUTH_RATE: '1000/s' });
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run.stdout)).toMatchObject({ total: 12, passed: 12 });
  });

  it.each([
    [['--rate', '10'], {}, /^imap-oauth: invalid rate "10" \(from --rate\): expected connection starts per second or per minute, e\.g\. 10\/s or 600\/m$/],
    [['--rate', '0/s'], {}, /invalid rate "0\/s" \(from --rate\): the rate must be more than 0/],
    [[], { IMAP_OAUTH_RATE: 'fast' }, /invalid rate "fast" \(from IMAP_OAUTH_RATE\)/],
  ])('a bad rate %j is a one-line usage error (exit 2)', async (flags, env, message) => {
    const run = await cli(batchArgs(usersFile, ...flags), env as Record<string, string>);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stdout).toBe('');
  });
});

describe('--resume', { timeout: 90_000 }, () => {
  let first: CliRun;
  let lines: string[];
  beforeAll(async () => {
    first = await cli(batchArgs(usersFile, '--jsonl', '--concurrency', '4'));
    lines = first.stdout.trim().split('\n');
  });

  it('skips the checks a killed run finished (its last line cut in half), runs the rest, never writes the file', async () => {
    expect(first.code, first.stderr).toBe(0);
    const file = join(world.dir, 'killed.jsonl');
    // Five whole results, then half a line: what a kill in the middle of a write leaves.
    writeFileSync(file, `${lines.slice(0, 5).join('\n')}\n${lines[5]!.slice(0, 60)}`);
    const before = readFileSync(file, 'utf8');
    const mtime = statSync(file).mtimeMs;
    const run = await cli(batchArgs(usersFile, '--jsonl', '--resume', 'killed.jsonl'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('imap-oauth: --resume killed.jsonl: 5 checks already finished there, skipped; 7 checks to run (1 broken line ignored)\n');
    const done = lines.slice(0, 5).map((l) => (JSON.parse(l) as { user: string }).user);
    const again = resultsOf(run.stdout).map((r) => r.user as string);
    expect(again.sort()).toEqual(USERS.filter((u) => !done.includes(u)).sort());
    expect(summaryOf(run.stdout)).toMatchObject({ total: 7, passed: 7, skipped: 5 });
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(statSync(file).mtimeMs).toBe(mtime);

    // The user appends the new run (>>): the broken line fuses with its first line; all 12 are then done.
    writeFileSync(file, before + run.stdout);
    const third = await cli(batchArgs(usersFile, '--jsonl', '--resume', file));
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toMatch(/12 checks already finished there, skipped; 0 checks to run/);
    expect(resultsOf(third.stdout)).toHaveLength(0);
    expect(summaryOf(third.stdout)).toMatchObject({ ok: true, exitCode: 0, total: 0, skipped: 12 });
  });

  it('failures are results too: a failed check is skipped; a token failure is checked again', async () => {
    const { path } = world.tokenFile({ otherKey: true }); // Dovecot rejects it
    const failed = await cli(['test', '--user', 'user1@contoso.com', '--user', 'user2@contoso.com', '--access-token-file', path, '--host', world.dovecot.host, '--port', String(world.dovecot.port), '--ca-file', world.caFile, '--jsonl']);
    expect(failed.code).toBe(6);
    const noToken = await cli(['test', '--user', 'user3@contoso.com', ...world.args('--jsonl').slice(3)], { IMAP_OAUTH_CLIENT_SECRET: 'wrong-secret-for-resume' });
    expect(noToken.code).toBe(3);
    const file = join(world.dir, 'failed.jsonl');
    writeFileSync(file, failed.stdout + noToken.stdout);
    const run = await cli(batchArgs(usersFile, '--jsonl', '--resume', file));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/: 2 checks already finished there, skipped; 10 checks to run \(1 token failure checked again\)/);
    expect(resultsOf(run.stdout).map((r) => r.user)).toContain('user3@contoso.com');
  });

  it('the text report says the same on stderr and lists only the checks run', async () => {
    const file = join(world.dir, 'five.jsonl');
    writeFileSync(file, `${lines.slice(0, 5).join('\n')}\n`);
    const run = await cli(batchArgs(usersFile, '--resume', file, '--no-color'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/5 checks already finished there, skipped; 7 checks to run\n$/);
    expect(run.stdout).toMatch(/7 passed, 0 failed/);
  });

  it.each([
    ['the users file', () => usersFile, /^imap-oauth: --resume .*users\.txt line 1 is not a line of imap-oauth --jsonl output: give the file a previous run's --jsonl went to$/],
    ['a --json document', () => {
      const p = join(world.dir, 'doc.json');
      writeFileSync(p, JSON.stringify({ ok: true, results: [] }, null, 2));
      return p;
    }, /doc\.json line 1 is not a line of imap-oauth --jsonl output/],
    ['a missing file', () => 'missing.jsonl', /^imap-oauth: cannot read --resume missing\.jsonl: no such file$/],
    ['a directory', () => world.dir, /^imap-oauth: cannot read --resume .*: it is a directory$/],
    ['an empty path', () => '', /^imap-oauth: --resume needs the path of a previous run's --jsonl output$/],
  ])('%s is a one-line usage error (exit 2), before any connection', async (_what, file, message) => {
    const before = world.identity.requests.length;
    const run = await cli(batchArgs(usersFile, '--jsonl', '--resume', file()));
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.trim()).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stdout).toBe('');
    expect(world.identity.requests.length).toBe(before);
  });
});

describe('--shard', { timeout: 90_000 }, () => {
  it('three jobs (--shard 1/3 … 3/3, or IMAP_OAUTH_SHARD) check every mailbox exactly once between them', async () => {
    const seen: string[] = [];
    for (const i of [1, 2, 3]) {
      const run = i === 2 ? await cli(batchArgs(usersFile, '--jsonl'), { IMAP_OAUTH_SHARD: '2/3' }) : await cli(batchArgs(usersFile, '--jsonl', '--shard', `${i}/3`));
      expect(run.code, run.stderr).toBe(0);
      const users = resultsOf(run.stdout).map((r) => r.user as string);
      expect(run.stderr).toBe(`imap-oauth: --shard ${i}/3: ${users.length} of 12 mailboxes\n`);
      expect(summaryOf(run.stdout)).toMatchObject({ total: users.length, shard: `${i}/3` });
      seen.push(...users);
    }
    expect(seen.sort()).toEqual([...USERS].sort());
  });

  it('the same slice on every run and every machine (a stable hash of the address, case ignored)', async () => {
    const upper = join(world.dir, 'upper.txt');
    writeFileSync(upper, `${USERS.map((u) => u.toUpperCase()).join('\n')}\n`);
    const a = await cli(batchArgs(usersFile, '--jsonl', '--shard', '1/3'));
    const b = await cli(batchArgs(upper, '--jsonl', '--shard', '1/3'));
    const users = (r: CliRun) => resultsOf(r.stdout).map((x) => (x.user as string).toLowerCase()).sort();
    expect(users(b)).toEqual(users(a));
  });

  it.each([['0/3'], ['4/3'], ['1/0'], ['half']])('--shard %s is a one-line usage error (exit 2)', async (value) => {
    const run = await cli(batchArgs(usersFile, '--shard', value));
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(new RegExp(`^imap-oauth: invalid shard "${value}" \\(from --shard\\): `));
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('the Node API: rate and shard', { timeout: 90_000 }, () => {
  it('check({ users, rate, shard }) returns that shard\'s results; a bad shard rejects with CheckOptionsError', async () => {
    const entry = join(process.cwd(), 'dist', 'index.js');
    const file = join(world.dir, 'api-shard.mjs');
    const options = { users: USERS, tenant: world.args().at(world.args().indexOf('--tenant') + 1), clientId: world.args().at(world.args().indexOf('--client-id') + 1), clientSecret: world.secret, authorityHost: world.identity.url, host: world.dovecot.host, port: world.dovecot.port, caFile: world.caFile, timeout: 5 };
    writeFileSync(file, `import { check, CheckOptionsError } from ${JSON.stringify(entry)};
const options = ${JSON.stringify(options)};
const report = await check({ ...options, rate: '100/s', shard: '1/2' });
const bad = await check({ ...options, shard: '3/2' }).catch((e) => e);
console.log(JSON.stringify({ ok: report.ok, users: report.results.map((r) => r.user), bad: bad instanceof CheckOptionsError ? bad.message : String(bad) }));
`);
    // Asynchronous on purpose: the identity stand-in runs in this process and must keep answering.
    const child = spawn(process.execPath, [file], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stdout).toBe(0);
    const out = JSON.parse(stdout) as { ok: boolean; users: string[]; bad: string };
    expect(out.ok).toBe(true);
    const direct = await cli(batchArgs(usersFile, '--jsonl', '--shard', '1/2'));
    expect(out.users.sort()).toEqual(resultsOf(direct.stdout).map((r) => r.user as string).sort());
    expect(out.bad).toMatch(/^invalid shard "3\/2" \(from --shard\): i must be between 1 and n \(2\)/);
  });
});

describe('secrets never leak (large batches)', () => {
  it('no output holds the secret or a token', () => {
    const outputs = runs.flatMap((r) => [r.stdout, r.stderr]);
    expect(findLeak(outputs, [world.secret, 'wrong-secret-for-resume', ...world.identity.issuedTokens])).toBeNull();
  });
});
