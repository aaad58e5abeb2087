// Runs the built CLI as a user would: a child process, a clean environment, a deadline.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeFindings, scanForSecrets } from './secret-scan.js';

export const BIN = fileURLToPath(new URL('../../bin/imap-oauth.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
  /** Kill the process after this long (the test then fails on the exit code). */
  timeoutMs?: number;
  /** Called with all of stderr so far as each piece arrives (to act on a prompt: a device code). */
  onStderr?: (stderr: string, child: ChildProcess) => void;
}

/** The built CLI. Hermetic: only PATH and HOME from this process, plus what the test passes. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  return runNode([BIN, ...args], opts);
}

/** Node with these arguments (a user's program, the CLI under a loader), as runCli runs the CLI. */
export function runNode(nodeArgs: string[], opts: CliOptions = {}): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, {
      cwd: opts.cwd ?? process.cwd(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * A description of the first leak found in any output — a whole form of a secret or any
 * 16-character fragment of one (test/support/secret-scan.ts) — or null. Never the secret itself.
 */
export function findLeak(outputs: string[], secrets: string[]): string | null {
  const first = scanForSecrets(outputs, secrets)[0];
  return first ? describeFindings([first], outputs.map((_, i) => `output ${i}`)) : null;
}
