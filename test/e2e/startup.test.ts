// --help and --version must not pay for MSAL, imapflow or the sandbox's X.509 library.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';

const TRACE = fileURLToPath(new URL('../support/import-trace.mjs', import.meta.url));

function traced(args: string[], input = '') {
  return spawnSync(process.execPath, ['--import', TRACE, BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH }, input });
}

describe('start-up stays light', () => {
  for (const args of [['--help'], ['--version'], ['test', '--help'], ['test']]) {
    it(`imap-oauth ${args.join(' ')} loads no heavy module`, () => {
      const run = traced(args);
      expect(run.stderr).not.toContain('HEAVY-IMPORT');
    });
  }

  it('the trace does see heavy modules when a command needs them (the check can fail)', () => {
    const run = traced(['demo', '--list']);
    expect(run.status).toBe(0);
    const withWork = traced(['demo', '--scenario', 'wrong-tenant', '--json']);
    expect(withWork.stderr).toMatch(/HEAVY-IMPORT .*msal-node/);
    expect(withWork.stderr).toMatch(/HEAVY-IMPORT .*x509/);
  });

  it('--version prints the package version', () => {
    const run = traced(['--version']);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('imap-oauth explain (offline)', () => {
  it('exit 0 with the rule when something matches, 2 when nothing does', () => {
    const hit = spawnSync(process.execPath, [BIN, 'explain', 'AADSTS7000215'], { encoding: 'utf8' });
    expect(hit.status).toBe(0);
    expect(hit.stdout).toContain('[aadsts-invalid-secret]');
    const miss = spawnSync(process.execPath, [BIN, 'explain', 'banana'], { encoding: 'utf8' });
    expect(miss.status).toBe(2);
    const json = spawnSync(process.execPath, [BIN, 'explain', '--json', 'User is authenticated but not connected'], { encoding: 'utf8' });
    expect(JSON.parse(json.stdout)).toMatchObject({ matched: true, matches: [{ id: 'imap-authenticated-not-connected' }] });
  });
});

describe('launcher fast path', () => {
  it('--help from dist/help.txt is what commander prints (imap-oauth help)', () => {
    const fast = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    const full = spawnSync(process.execPath, [BIN, 'help'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(fast.status).toBe(0);
    expect(fast.stdout).toContain('Exit codes:');
    expect(fast.stdout).toBe(full.stdout);
  });
});

describe('a ready token does not load MSAL', () => {
  it('--access-token-file runs never import @azure/msal-node', () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ aud: 'https://outlook.office365.com', exp: 4102444800 })}.c2lnbmF0dXJl`;
    const run = traced(['test', '--user', 'a@contoso.com', '--access-token-file', '-', '--host', '127.0.0.1', '--port', '1', '--timeout', '1'], token);
    expect(run.status, run.stdout).toBe(4); // it got as far as connecting (nothing listens on port 1)
    expect(run.stderr).toMatch(/HEAVY-IMPORT .*imapflow/);
    expect(run.stderr).not.toMatch(/HEAVY-IMPORT .*msal-node/);
  });
});

describe('imap-oauth sasl (offline)', () => {
  const VECTOR = 'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==';
  const TOKEN = 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg';

  it('encode prints exactly the seed vector; decode shows the user, not the token', () => {
    const enc = spawnSync(process.execPath, [BIN, 'sasl', 'encode', '--user', 'someuser@example.com', '--token-file', '-'], { encoding: 'utf8', input: `${TOKEN}\n` });
    expect(enc.status, enc.stderr).toBe(0);
    expect(enc.stdout).toBe(`${VECTOR}\n`);
    const dec = spawnSync(process.execPath, [BIN, 'sasl', 'decode'], { encoding: 'utf8', input: `A01 AUTHENTICATE XOAUTH2 ${VECTOR}\n` });
    expect(dec.status, dec.stderr).toBe(0);
    expect(dec.stdout).toContain('someuser@example.com');
    expect(dec.stdout + dec.stderr).not.toContain(TOKEN);
    const shown = spawnSync(process.execPath, [BIN, 'sasl', 'decode', '--show-secrets', '-'], { encoding: 'utf8', input: VECTOR });
    expect(shown.stdout).toContain(TOKEN);
    // On the command line (ps, shell history) it is refused, and nothing of it is printed.
    const argv = spawnSync(process.execPath, [BIN, 'sasl', 'decode', VECTOR], { encoding: 'utf8' });
    expect(argv.status).toBe(2);
    expect(argv.stderr).toMatch(/^imap-oauth: a SASL string carries the access token: do not put it on the command line/);
    expect(argv.stdout + argv.stderr).not.toContain(VECTOR.slice(0, 16));
  });
});

describe('exit codes of commander itself', () => {
  it.each([
    [['help'], 0],
    [['test', '--help'], 0],
    [['sasl'], 2],
    [['cert'], 2],
    [['nope'], 2],
    [[], 2],
  ])('imap-oauth %j → %i', (args, code) => {
    const run = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    expect(run.status).toBe(code);
  });
});
