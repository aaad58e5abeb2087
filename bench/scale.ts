// Large batches (issue 13): `imap-oauth test --users-file FILE --jsonl` over 100 … 100,000 mailboxes
// against the bench's tuned Dovecot, straight to its port (no delay proxy: the CPU and memory of the
// client are measured, not the network), with the floor client (bench/floor-batch.ts) doing the same
// exchange beside it. Wall, CPU per mailbox, peak RSS; the CLI's output is read as a stream and only
// counted, so the bench's own memory stays flat too.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GNU_TIME } from './proc.js';
import { fx, mb, median, ms, ratio, table, type Target } from './util.js';

export interface ScaleOptions {
  node: string;
  bin: string;
  floorScript: string;
  dir: string;
  host: string;
  port: number;
  caFile: string;
  tokenFile: string;
  env: Record<string, string>;
  sizes: number[];
  concurrency: number;
  /** The floor client runs at most this many sessions (its CPU per session does not change with N). */
  floorMax: number;
  /** A size is skipped when the one before, scaled, predicts a wall above this. */
  maxWallMs: number;
  /** CPU seconds Dovecot has used so far (master + children). */
  serverCpuS: () => number;
  log: (s: string) => void;
}

export interface ScaleRun {
  n: number;
  ms: number;
  cpuS?: number;
  maxRssKb?: number;
  serverCpuS: number;
  lines: number;
  passed: number;
  failed: number;
  tokenRequests: number;
  stderrLines: number;
  stderrFirst: string;
  timedOut: boolean;
  exitCode: number | null;
}

export interface FloorRun {
  n: number;
  ms: number;
  cpuS: number;
  maxRssKb?: number;
  ok: number;
  failed: number;
  firstError: string;
}

export interface ScaleResult {
  concurrency: number;
  runs: ScaleRun[];
  floor: FloorRun[];
  skipped: { n: number; why: string }[];
}

interface Streamed {
  code: number | null;
  ms: number;
  lines: number;
  last: string;
  stderr: string;
  timedOut: boolean;
  maxRssKb?: number;
  cpuS?: number;
}

/** A child under GNU time whose stdout is counted line by line and not kept (but for its last line). */
function runStreamed(cmd: string, args: string[], env: Record<string, string>, cwd: string, timeoutMs: number, rssFile: string): Promise<Streamed> {
  const timed = GNU_TIME ? [GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, cmd, ...args]] as const : [cmd, args] as const;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(timed[0], [...timed[1]], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let lines = 0;
    let tail = '';
    let last = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const parts = (tail + chunk).split('\n');
      tail = parts.pop() ?? '';
      for (const p of parts) {
        if (!p) continue;
        lines++;
        last = p;
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += d.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (tail) {
        lines++;
        last = tail;
      }
      const out: Streamed = { code, ms: performance.now() - started, lines, last, stderr, timedOut };
      try {
        const [rss, user, sys] = readFileSync(rssFile, 'utf8').trim().split('\n').pop()!.split(/\s+/).map(Number);
        out.maxRssKb = rss;
        out.cpuS = (user ?? NaN) + (sys ?? NaN);
        rmSync(rssFile, { force: true });
      } catch {
        // no GNU time
      }
      resolve(out);
    });
  });
}

function usersFile(dir: string, n: number): string {
  const file = path.join(dir, `users-${n}.txt`);
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) lines.push(`user${i}@contoso.com`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export async function measureScale(o: ScaleOptions): Promise<ScaleResult> {
  const res: ScaleResult = { concurrency: o.concurrency, runs: [], floor: [], skipped: [] };
  let prev: ScaleRun | undefined;
  for (const n of o.sizes) {
    const predicted = prev ? (prev.ms * n) / prev.n : 0;
    if (predicted > o.maxWallMs) {
      const why = `the ${prev!.n.toLocaleString('en')}-mailbox run took ${ms(prev!.ms)}: ${n.toLocaleString('en')} would take about ${Math.round(predicted / 60_000)} min, over the ${Math.round(o.maxWallMs / 60_000)} min this bench allows`;
      res.skipped.push({ n, why });
      o.log(`scale: skipping ${n}: ${why}`);
      continue;
    }
    const file = usersFile(o.dir, n);
    o.log(`scale: ${n} mailboxes, --jsonl, concurrency ${o.concurrency}`);
    const s0 = o.serverCpuS();
    const args = [o.bin, 'test', '--users-file', file, '--access-token-file', o.tokenFile, '--host', o.host, '--port', String(o.port), '--ca-file', o.caFile, '--timeout', '30', '--concurrency', String(o.concurrency), '--jsonl'];
    const timeoutMs = Math.max(120_000, 3 * (predicted || 60_000));
    const r = await runStreamed(o.node, args, o.env, o.dir, timeoutMs, path.join(o.dir, `scale-${n}.time`));
    rmSync(file, { force: true });
    let summary: { passed?: number; failed?: number; tokenRequests?: number } = {};
    try {
      summary = JSON.parse(r.last) as typeof summary;
    } catch {
      // no summary line: reported below
    }
    const stderrLines = r.stderr.split('\n').filter(Boolean);
    const run: ScaleRun = {
      n, ms: r.ms, cpuS: r.cpuS, maxRssKb: r.maxRssKb, serverCpuS: o.serverCpuS() - s0, lines: r.lines,
      passed: summary.passed ?? NaN, failed: summary.failed ?? NaN, tokenRequests: summary.tokenRequests ?? NaN,
      stderrLines: stderrLines.length, stderrFirst: stderrLines[0]?.slice(0, 200) ?? '', timedOut: r.timedOut, exitCode: r.code,
    };
    res.runs.push(run);
    o.log(`scale: ${n}: ${ms(r.ms)}, CPU ${fx(r.cpuS ?? NaN, 1)} s, peak RSS ${mb(r.maxRssKb)}, ${run.passed} passed${r.timedOut ? ', TIMED OUT' : ''}`);
    if (r.timedOut) break;
    prev = run;

    const fn = Math.min(n, o.floorMax);
    if (res.floor.some((f) => f.n === fn)) continue;
    const f = await runStreamed(o.node, [o.floorScript, o.host, String(o.port), o.caFile, o.tokenFile, String(fn), String(o.concurrency)], o.env, o.dir, timeoutMs, path.join(o.dir, `floor-${fn}.time`));
    try {
      const doc = JSON.parse(f.last) as Omit<FloorRun, 'n' | 'maxRssKb'>;
      res.floor.push({ n: fn, ...doc, maxRssKb: f.maxRssKb });
      o.log(`scale: floor client ${fn}: ${ms(doc.ms)}, CPU ${fx(doc.cpuS, 1)} s`);
    } catch {
      o.log(`scale: floor client ${fn} failed: ${f.stderr.split('\n')[0]}`);
    }
  }
  return res;
}

/** CPU per mailbox of a CLI run, the process start-up included (it is part of what a batch costs). */
const perMailboxMs = (r: ScaleRun) => ((r.cpuS ?? NaN) * 1000) / r.n;
const floorPerMailboxMs = (f: FloorRun) => (f.cpuS * 1000) / f.n;

export function renderScale(s: ScaleResult, startupCpuMs: number): { text: string; targets: Target[] } {
  const floorFor = (n: number) => s.floor.find((f) => f.n === n) ?? s.floor.filter((f) => f.n <= n).sort((a, b) => b.n - a.n)[0];
  const rows = s.runs.map((r) => {
    const f = floorFor(r.n);
    const ok = r.passed === r.n && r.failed === 0;
    return [
      r.n.toLocaleString('en'), ms(r.ms), fx(r.n / (r.ms / 1000), 0), ok ? `${r.passed}/${r.n}` : `**${r.passed}/${r.n}** (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''})`,
      `${fx(r.cpuS ?? NaN, 1)} s`, `${fx(perMailboxMs(r), 2)} ms`, f ? `${fx(floorPerMailboxMs(f), 2)} ms (${f.n.toLocaleString('en')})` : 'n/a',
      f ? ratio(perMailboxMs(r), floorPerMailboxMs(f)) : 'n/a', mb(r.maxRssKb), `${fx(r.serverCpuS, 1)} s`, String(r.tokenRequests), r.stderrLines ? `${r.stderrLines}: ${r.stderrFirst}` : '0',
    ];
  });
  const targets: Target[] = [];
  const big = [...s.runs].filter((r) => !r.timedOut).sort((a, b) => b.n - a.n)[0];
  const k1 = s.runs.find((r) => r.n === 1000);
  if (big && k1 && big.n > k1.n && big.maxRssKb && k1.maxRssKb) {
    const q = big.maxRssKb / k1.maxRssKb;
    targets.push({
      name: `\`--jsonl\` over ${(100_000).toLocaleString('en')} mailboxes: peak RSS ≤ 1.25× the 1,000-mailbox run`,
      met: big.n === 100_000 ? q <= 1.25 : null,
      detail: `${big.n.toLocaleString('en')} mailboxes: ${mb(big.maxRssKb)} against ${mb(k1.maxRssKb)} at 1,000 = ${fx(q, 2)}×${big.n === 100_000 ? '' : ` (the 100,000 run did not fit: ${s.skipped.map((x) => x.why).join('; ') || 'see the table'})`}.`,
    });
  } else {
    targets.push({ name: '`--jsonl` over 100,000 mailboxes: peak RSS ≤ 1.25× the 1,000-mailbox run', met: null, detail: 'not measured: BENCH_SIZES has no 1,000 run and a larger one, or GNU time is missing.' });
  }
  const f = big ? floorFor(big.n) : undefined;
  if (big && f && big.cpuS !== undefined) {
    const q = perMailboxMs(big) / floorPerMailboxMs(f);
    // Start-up is paid once; per mailbox it is what remains after it.
    const marginal = ((big.cpuS * 1000 - startupCpuMs) / big.n) / floorPerMailboxMs(f);
    targets.push({
      name: '`--jsonl`: CPU per mailbox ≤ 1.5× the raw TLS floor client',
      met: big.n === 100_000 ? q <= 1.5 : q <= 1.5 ? null : false,
      detail: `at ${big.n.toLocaleString('en')} mailboxes the CLI used ${fx(perMailboxMs(big), 2)} ms of CPU per mailbox (its start-up included; ${fx(marginal, 2)}× without its ${ms(startupCpuMs)} start-up), the floor client ${fx(floorPerMailboxMs(f), 2)} ms (${f.n.toLocaleString('en')} sessions, one process, one TLS context): ${fx(q, 2)}×.`,
    });
  }
  const text = [
    `## Large batches: \`imap-oauth test --users-file FILE --access-token-file T --jsonl --concurrency ${s.concurrency}\``,
    '',
    'Straight to the bench\'s tuned Dovecot on loopback (no delay proxy): what one machine spends per mailbox. stdout is read as a stream',
    'and counted; the summary line gives passed/failed. CPU: GNU time\'s user + system of the whole CLI process (start-up included);',
    `the floor client (bench/floor-batch.ts) does the same exchange (TLS 1.3, AUTHENTICATE XOAUTH2 with SASL-IR, EXAMINE, LOGOUT) at the same concurrency`,
    'in one Node process with one TLS context and nothing else, at most the number of sessions shown. Dovecot shares the two CPUs.',
    '',
    table(['mailboxes', 'wall', 'mailboxes/s', 'passed', 'CPU: CLI', 'CPU per mailbox', 'floor client per mailbox (sessions)', 'CLI ÷ floor', 'peak RSS', 'CPU: Dovecot', 'token requests', 'lines on stderr'], rows),
    '',
    ...s.skipped.map((x) => `- ${x.n.toLocaleString('en')} mailboxes not run: ${x.why}.`),
    ...s.floor.filter((x) => x.failed).map((x) => `- floor client: ${x.failed} of ${x.n} sessions failed (${x.firstError}).`),
  ].join('\n');
  return { text, targets };
}

export function sizesFrom(env: string | undefined): number[] {
  const list = (env ?? '100,1000,10000,100000').split(',').map((x) => Number(x.trim().replace(/_/g, ''))).filter((x) => Number.isInteger(x) && x > 0 && x <= 1_000_000);
  return [...new Set(list)].sort((a, b) => a - b);
}

export { median };
