// Runs the built CLI as a user would: a child process, a clean environment, a deadline.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
}

/** Hermetic: only PATH and HOME from this process, plus what the test passes. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? process.cwd(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Every encoding in which a secret could leak (the forms the redactor promises to hide). */
export function leakForms(secret: string): string[] {
  const b = Buffer.from(secret);
  const form = new URLSearchParams({ v: secret }).toString().slice(2);
  const forms = [secret, b.toString('base64'), b.toString('base64url'), encodeURIComponent(secret), form, JSON.stringify(secret).slice(1, -1)];
  // Inside a larger base64 payload the secret sits at one of three alignments.
  for (const shift of [1, 2]) {
    const enc = Buffer.concat([Buffer.alloc(shift), b]).toString('base64');
    forms.push(enc.slice(Math.ceil((shift * 8) / 6), Math.floor(((shift + b.length) * 8) / 6)));
  }
  return [...new Set(forms)].filter((s) => s.length >= 8);
}

/** Length of the shortest fragment of a secret that counts as a leak. */
export const LEAK_FRAGMENT = 16;

/**
 * Returns a description of the first leak found in any output — a whole form of a secret or any
 * LEAK_FRAGMENT-character fragment of one — or null. Never returns the secret itself.
 */
export function findLeak(outputs: string[], secrets: string[]): string | null {
  for (const secret of secrets) {
    for (const form of leakForms(secret)) {
      const pieces = form.length <= LEAK_FRAGMENT ? [form] : Array.from({ length: form.length - LEAK_FRAGMENT + 1 }, (_, i) => form.slice(i, i + LEAK_FRAGMENT));
      const seen = new Set<string>();
      for (const piece of pieces) {
        if (seen.has(piece)) continue;
        seen.add(piece);
        const at = outputs.findIndex((out) => out.includes(piece));
        if (at >= 0) return `output ${at} holds ${form === secret ? 'the secret' : 'an encoding of a secret'}${piece === form ? '' : ` (a ${LEAK_FRAGMENT}-character fragment at ${form.indexOf(piece)})`}: ${piece.slice(0, 4)}…`;
      }
    }
  }
  return null;
}
