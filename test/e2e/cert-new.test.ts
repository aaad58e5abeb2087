// `imap-oauth cert new` end to end: the certificate it writes, once "uploaded", is a working credential.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startE2eWorld, type E2eWorld } from '../support/e2e-world.js';

let world: E2eWorld | undefined;
const dir = mkdtempSync(join(tmpdir(), 'imap-oauth-cert-'));
afterAll(async () => {
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('imap-oauth cert new', () => {
  it('writes a certificate that, uploaded to the app, gets a token and opens the mailbox', async () => {
    const made = await runCli(['cert', 'new', '--out', dir]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/SHA-256 +[0-9A-F]{64}/);
    expect(made.stdout + made.stderr).not.toContain('PRIVATE KEY');

    world = await startE2eWorld({ uploadedCertificates: [readFileSync(join(dir, 'imap-oauth.cer'), 'utf8')] });
    const run = await runCli(world.args('--cert', join(dir, 'imap-oauth.pem'), '--json'), { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).token).toMatchObject({ source: 'certificate', ok: true, claims: { appidacr: '2' } });
  });
});
