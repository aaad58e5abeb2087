// Ctrl-C (SIGINT) or a CI cancel / docker stop (SIGTERM) during a batch: open sessions are closed,
// what finished is reported, the JUnit file marks what did not run, exit 130 / 143.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';

let server: Server;
const sockets = new Set<Socket>();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-int-'));
  // Accepts and never says a word: every probe waits at the greeting.
  server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.resume(); // read (and drop) the TLS hello, so the client's close is seen
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('a signal to a running batch', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s stops the batch, closes the open connections, prints the summary, writes a JUnit file that is not green and exits %i', async (signal, exitCode) => {
    const junit = join(dir, `${signal}.xml`);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    writeFileSync(join(dir, 'token.txt'), `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ aud: 'https://outlook.office365.com', exp: 4102444800 })}.c2lnbmF0dXJl\n`);
    writeFileSync(join(dir, 'users.txt'), 'a@contoso.com\nb@contoso.com\nc@contoso.com\n');
    const port = (server.address() as { port: number }).port;
    const child = spawn(process.execPath, [BIN, 'test', '--users-file', join(dir, 'users.txt'), '--access-token-file', join(dir, 'token.txt'), '--host', '127.0.0.1', '--port', String(port), '--timeout', '60', '--junit', junit], {
      env: { PATH: process.env.PATH },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Wait until every mailbox has its connection open, then interrupt.
    await expect.poll(() => sockets.size, { timeout: 10_000 }).toBe(3);
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stdout + stderr).toBe(exitCode);
    expect(stderr).toContain(`interrupted (${signal})`);
    expect(stdout).toMatch(/0 passed, 0 failed, 3 not checked \(interrupted\)/);
    await expect.poll(() => sockets.size, { timeout: 5_000 }).toBe(0);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/tests="3"/);
    expect(xml).not.toMatch(/errors="0"/);
    for (const user of ['a', 'b', 'c']) expect(xml).toContain(`${user}@contoso.com`);
  });
});
