// Does the code cache pay? Node 20 has no module.enableCompileCache (22.1+) and no code cache for
// ES modules at all, so the bundle's chunks are CommonJS and bin/imap-oauth.js compiles them through
// vm.Script with the cachedData of an earlier run (on Node 22.1+ it turns on Node's own cache). This
// runs the ready-token path (`test --access-token-file` against a closed port: no network wait) with
// the cache warm and with NODE_DISABLE_COMPILE_CACHE=1, beside `node -e 0`: wall and CPU.
import path from 'node:path';
import { rssFileIn, runChild } from './proc.js';
import { fx, median, ms, ratio, table } from './util.js';

export interface CodeCacheResult {
  node: string;
  builtIn: boolean;
  rows: { label: string; wall: number[]; cpu: number[] }[];
  error?: string;
}

export async function measureCodeCache(o: { node: string; bin: string; dir: string; tokenFile: string; runs: number; env: Record<string, string>; log: (s: string) => void }): Promise<CodeCacheResult> {
  const mod = (await import('node:module')) as unknown as { enableCompileCache?: unknown };
  const res: CodeCacheResult = { node: process.version, builtIn: typeof mod.enableCompileCache === 'function', rows: [] };
  const args = [o.bin, 'test', '--user', 'a@contoso.com', '--access-token-file', o.tokenFile, '--host', '127.0.0.1', '--port', '1', '--timeout', '2'];
  const xdg = { XDG_CACHE_HOME: path.join(o.dir, 'xdg-cache') };
  const variants = [
    { label: '`imap-oauth test --access-token-file …`, code cache warm', argv: args, env: xdg, code: 4 },
    { label: 'the same, `NODE_DISABLE_COMPILE_CACHE=1`', argv: args, env: { ...xdg, NODE_DISABLE_COMPILE_CACHE: '1' }, code: 4 },
    { label: '`node -e 0` (reference)', argv: ['-e', '0'], env: {}, code: 0 },
  ];
  res.rows = variants.map((v) => ({ label: v.label, wall: [], cpu: [] }));
  o.log(`code cache: ${variants.length} variants × ${o.runs} runs (after 2 warm-ups, which also fill the cache)`);
  let n = 5000;
  for (let i = -2; i < o.runs; i++) {
    for (const [k, v] of variants.entries()) {
      const run = await runChild(o.node, v.argv, { env: { ...o.env, ...v.env }, cwd: o.dir, timeoutMs: 20_000, rssFile: rssFileIn(o.dir, ++n) });
      if (run.code !== v.code) {
        res.error = `${v.label}: exit ${run.code} (expected ${v.code}): ${run.stderr.split('\n')[0]}`;
        return res;
      }
      if (i >= 0) {
        res.rows[k]!.wall.push(run.ms);
        res.rows[k]!.cpu.push((run.cpuS ?? NaN) * 1000);
      }
    }
  }
  return res;
}

export function renderCodeCache(c: CodeCacheResult): string {
  const [warm, cold, node0] = c.rows.map((r) => ({ wall: median(r.wall), cpu: median(r.cpu) }));
  const rows = c.rows.map((r) => [r.label, String(r.wall.length), ms(median(r.wall)), ms(Math.min(...r.wall)), `${ms(median(r.cpu))}`, ratio(median(r.wall), median(c.rows[2]?.wall ?? []))]);
  return [
    '## Code cache',
    '',
    `Node ${c.node}: \`module.enableCompileCache\` ${c.builtIn ? 'is present: bin/imap-oauth.js turns it on' : 'is absent (it came in Node 22.1), and Node 20 keeps no code cache for ES modules: bin/imap-oauth.js compiles the bundle\'s CommonJS chunks through `vm.Script` with the `cachedData` of an earlier run'}.`,
    'The cache lives in a 0700 directory of the user\'s own (README, Performance). Below: the ready-token path against a closed port (exit 4, no network wait), medians.',
    '',
    c.error ? `**Not measured**: ${c.error}.` : table(['run', 'runs', 'wall', 'min', 'CPU (user + system)', 'vs `node -e 0`'], rows),
    '',
    c.error || !warm || !cold || !node0
      ? ''
      : `The warm cache saves ${ms(cold.wall - warm.wall)} of wall and ${ms(cold.cpu - warm.cpu)} of CPU per run (${ratio(warm.wall, cold.wall)} of the run without it); ` +
        `above \`node -e 0\` the run costs ${ms(warm.wall - node0.wall)} with it and ${ms(cold.wall - node0.wall)} without (CPU ${fx((warm.cpu - node0.cpu) / (cold.cpu - node0.cpu), 2)}×).`,
  ].join('\n');
}
