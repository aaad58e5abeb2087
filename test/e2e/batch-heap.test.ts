// A batch bounds V8's heap growth (src/batch/heap.ts): the CLI sets --heap-growing-percent=30 for
// a users file or several mailboxes, never for one mailbox (it would slow its start-up), and a
// value given to node wins. Seen from outside: a preload records every V8 flag the CLI sets.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runNode } from '../support/cli.js';
import { startE2eWorld, type E2eWorld } from '../support/e2e-world.js';

let world: E2eWorld;
let dir: string;
let preload: string;
let token: string;

beforeAll(async () => {
  world = await startE2eWorld();
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-heap-'));
  preload = join(dir, 'flags.cjs');
  // Prints each flag on stderr as "v8-flag: …" (the CLI's own stderr stays as it was).
  writeFileSync(preload, "const v8 = require('node:v8'); const set = v8.setFlagsFromString; v8.setFlagsFromString = (f) => { process._rawDebug('v8-flag: ' + f); return set(f); };\n");
  token = world.tokenFile().path;
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await world?.close();
});

/** A ready-token check against Dovecot, with `users` as --user flags or a users file. */
async function run(nodeArgs: string[], users: string[], asFile: boolean) {
  const who = asFile ? ['--users-file', join(dir, 'users.txt')] : users.flatMap((u) => ['--user', u]);
  if (asFile) writeFileSync(join(dir, 'users.txt'), `${users.join('\n')}\n`);
  const args = ['test', ...who, '--access-token-file', token, '--host', world.dovecot.host, '--port', String(world.dovecot.port), '--ca-file', world.caFile, '--timeout', '5', '--jsonl'];
  const result = await runNode([...nodeArgs, '-r', preload, BIN, ...args]);
  expect(result.code, result.stderr).toBe(0);
  return result.stderr.split('\n').filter((l) => l.startsWith('v8-flag: ')).map((l) => l.slice('v8-flag: '.length));
}

describe('a batch bounds V8 heap growth', () => {
  it('sets --heap-growing-percent=30 for a users file, even of one mailbox', async () => {
    expect(await run([], ['first@contoso.com', 'second@contoso.com'], true)).toContain('--heap-growing-percent=30');
    expect(await run([], ['first@contoso.com'], true)).toContain('--heap-growing-percent=30');
  });

  it('sets it for several --user flags', async () => {
    expect(await run([], ['first@contoso.com', 'second@contoso.com'], false)).toContain('--heap-growing-percent=30');
  });

  it('leaves it alone for one mailbox, and when node was given a value', async () => {
    expect(await run([], ['first@contoso.com'], false)).not.toContain('--heap-growing-percent=30');
    expect(await run(['--heap-growing-percent=50'], ['first@contoso.com', 'second@contoso.com'], true)).not.toContain('--heap-growing-percent=30');
  });
});
