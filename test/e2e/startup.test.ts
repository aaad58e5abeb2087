// --help and --version must not pay for MSAL, imapflow or the sandbox's X.509 library.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';

const TRACE = fileURLToPath(new URL('../support/import-trace.mjs', import.meta.url));

function traced(args: string[]) {
  return spawnSync(process.execPath, ['--import', TRACE, BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH } });
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
