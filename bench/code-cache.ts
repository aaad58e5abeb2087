// Does a V8 code cache pay on Node 20? Node 20 has no module.enableCompileCache (22.1+), and V8's
// cachedData is only reachable through vm.Script — a CommonJS-style script, not an ES module. So the
// experiment builds the same CLI as one CommonJS file (esbuild, no splitting) and runs the
// ready-token path (`test --access-token-file`, against a closed port: no network wait) three ways:
// the shipped ESM bundle, the CommonJS file by require(), and the CommonJS file compiled through
// vm.Script with cachedData written by an earlier run. Decides by the numbers (BENCHMARKS.md).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runChild } from './proc.js';
import { median, ms, ratio, table } from './util.js';

export interface CodeCacheResult {
  node: string;
  builtIn: boolean;
  rows: { label: string; samples: number[] }[];
  error?: string;
}

// CommonJS on purpose (vm.Script + Module.wrap): written next to the CommonJS bundle at bench time.
const LOADER = `'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');
const [file, cacheFile] = process.argv.splice(2, 2);
const source = readFileSync(file, 'utf8');
let cachedData;
try { cachedData = readFileSync(cacheFile); } catch {}
const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
// After the run: the cache then holds the functions compiled lazily on the way too.
process.on('exit', () => { if (!cachedData || script.cachedDataRejected) writeFileSync(cacheFile, script.createCachedData()); });
mod.exports.main(process.argv);
`;

export async function measureCodeCache(o: { node: string; snapshot: string; dir: string; tokenFile: string; runs: number; env: Record<string, string>; log: (s: string) => void }): Promise<CodeCacheResult> {
  const mod = (await import('node:module')) as unknown as { enableCompileCache?: unknown };
  const res: CodeCacheResult = { node: process.version, builtIn: typeof mod.enableCompileCache === 'function', rows: [] };
  const cjs = path.join(o.snapshot, 'dist', 'cli-cjs.cjs');
  try {
    // esbuild is a dev dependency; the plugin for the left-out modules is the shipped bundle's.
    const { build } = await import('esbuild');
    const { leftOutPlugin } = (await import(path.join(o.snapshot, '..', '..', '..', 'scripts', 'bundle.mjs'))) as { leftOutPlugin: unknown };
    await build({
      absWorkingDir: path.join(o.snapshot, '..', '..', '..'),
      entryPoints: ['src/cli.ts'],
      outfile: cjs,
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      external: ['node-forge'],
      define: { 'import.meta.url': '__importMetaUrl' },
      banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
      plugins: [leftOutPlugin as never],
      logLevel: 'error',
    });
  } catch (err) {
    res.error = `could not build the CommonJS variant: ${err instanceof Error ? err.message : String(err)}`;
    return res;
  }
  const loader = path.join(o.dir, 'cached-loader.cjs');
  writeFileSync(loader, LOADER);
  const cache = path.join(o.dir, 'cli-cjs.v8cache');
  const args = ['test', '--user', 'a@contoso.com', '--access-token-file', o.tokenFile, '--host', '127.0.0.1', '--port', '1', '--timeout', '2'];
  const variants = [
    { label: 'shipped ESM bundle (`bin/imap-oauth.js`)', argv: [path.join(o.snapshot, 'bin', 'imap-oauth.js'), ...args] },
    { label: 'one CommonJS file, `require()`', argv: ['-e', `require(${JSON.stringify(cjs)}).main([process.argv[0], 'imap-oauth', ...process.argv.slice(1)])`, ...args] },
    { label: 'one CommonJS file, vm.Script + cachedData from an earlier run', argv: [loader, cjs, cache, ...args] },
    { label: '`node -e 0` (reference)', argv: ['-e', '0'] },
  ];
  res.rows = variants.map((v) => ({ label: v.label, samples: [] }));
  o.log(`code cache: ${variants.length} variants × ${o.runs} runs (after 2 warm-ups, which also write the cache)`);
  for (let i = -2; i < o.runs; i++) {
    for (const [k, v] of variants.entries()) {
      const run = await runChild(o.node, v.argv, { env: o.env, cwd: o.dir, timeoutMs: 20_000 });
      if (k < 3 && run.code !== 4) {
        res.error = `${v.label}: exit ${run.code} (expected 4, nothing listens on port 1): ${run.stderr.split('\n')[0]}`;
        return res;
      }
      if (i >= 0) res.rows[k]!.samples.push(run.ms);
    }
  }
  return res;
}

export function renderCodeCache(c: CodeCacheResult): string {
  const base = median(c.rows[0]?.samples ?? []);
  const node0 = median(c.rows[3]?.samples ?? []);
  const rows = c.rows.map((r) => [r.label, String(r.samples.length), ms(median(r.samples)), ms(Math.min(...r.samples)), ratio(median(r.samples), base), ratio(median(r.samples) - node0, base - node0)]);
  const plain = median(c.rows[1]?.samples ?? []);
  const cached = median(c.rows[2]?.samples ?? []);
  return [
    '## Code cache on this Node',
    '',
    `Node ${c.node}: \`module.enableCompileCache\` ${c.builtIn ? 'is present: bin/imap-oauth.js turns it on (a private 0700 directory, see README)' : 'is absent (it came in Node 22.1): bin/imap-oauth.js turns it on only where present'}.`,
    'For Node 20 the one way to V8\'s code cache is `vm.Script` with `cachedData`, which compiles a CommonJS-style script, not an ES module:',
    'the experiment below builds the same CLI as one CommonJS file and runs the ready-token path against a closed port (exit 4, no network wait).',
    '',
    c.error ? `**Not measured**: ${c.error}.` : table(['variant', 'runs', 'median', 'min', 'vs shipped', 'above `node -e 0`, vs shipped'], rows),
    '',
    c.error
      ? ''
      : `The cache saves ${ms(plain - cached)} against the same file without it (${ratio(cached, plain)}). ` +
        (plain - cached < 0.1 * (base - node0)
          ? 'Less than a tenth of what the CLI adds to `node -e 0`: on Node 20 the CLI ships without a managed cache (no second build, no cache files to keep safe).'
          : 'A managed cache would pay on Node 20 by this measure; it is not shipped (a second, CommonJS build without the chunks); see the README.'),
  ].join('\n');
}
