// A closed pipe (`imap-oauth … | head -1`) ends the run quietly: no "internal error: write EPIPE",
// and the exit code is the run's own. The reading end is closed before the CLI writes anything,
// so every write meets EPIPE (the same as `head` exiting after its first line, without a race).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';

function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('a closed stdout', () => {
  it.each([
    [['test', '--help'], 0],
    [['--help'], 0],
    [['--version'], 0],
    [['demo'], 0],
    [['demo', '--scenario', 'no-mailbox-permission'], 7],
    [['explain', 'AADSTS7000215'], 0],
  ])('%j ends quietly with the run\'s exit code %i', async (args, code) => {
    const run = await runWithClosedStdout(args as string[]);
    expect(run.stderr).not.toMatch(/EPIPE|internal error/);
    expect(run.code, run.stderr).toBe(code);
  });
});
