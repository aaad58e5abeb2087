// Child processes for the benchmark: timed from spawn to close, always under a deadline, optionally
// under GNU time for the peak RSS. Every child is its own process group, so a deadline (or Ctrl-C)
// kills what it started too (GNU time's child).
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Spawn to close, ms. */
  ms: number;
  /** Peak resident set size in KiB (GNU time's %M), when asked for and available. */
  maxRssKb?: number;
  /** User + system CPU seconds of the child (GNU time's %U + %S), likewise. */
  cpuS?: number;
  timedOut: boolean;
}

export interface ChildOptions {
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
  /** Run under /usr/bin/time -f '%M %U %S'; its output goes to this file (removed afterwards). */
  rssFile?: string;
}

const live = new Set<number>();

export const GNU_TIME = ['/usr/bin/time'].find((f) => {
  try {
    accessSync(f, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

/** Kills every process group this module started and that has not ended yet. */
export function killAllChildren(): void {
  for (const pid of live) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  live.clear();
}

export function runChild(cmd: string, args: string[], opts: ChildOptions): Promise<ChildRun> {
  const timed = opts.rssFile && GNU_TIME ? [GNU_TIME, ['-f', '%M %U %S', '-o', opts.rssFile, cmd, ...args]] as const : [cmd, args] as const;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(timed[0], [...timed[1]], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      if (pid !== undefined) live.delete(pid);
      reject(err);
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      if (pid !== undefined) live.delete(pid);
      let maxRssKb: number | undefined;
      let cpuS: number | undefined;
      if (opts.rssFile && GNU_TIME) {
        try {
          // GNU time writes "Command exited with non-zero status N" before the format on failure.
          const lines = readFileSync(opts.rssFile, 'utf8').trim().split('\n');
          const [rss, user, sys] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
          if (Number.isFinite(rss) && rss! > 0) maxRssKb = rss;
          if (Number.isFinite(user) && Number.isFinite(sys)) cpuS = user! + sys!;
        } catch {
          // no file: killed
        }
        rmSync(opts.rssFile, { force: true });
      }
      resolve({ code, signal, stdout, stderr, ms, maxRssKb, cpuS, timedOut });
    });
  });
}

export function rssFileIn(dir: string, n: number): string {
  return join(dir, `rss-${n}.txt`);
}
