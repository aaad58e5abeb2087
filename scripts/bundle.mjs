// Build step: the CLI as a few chunks (esbuild, code splitting), so that a run loads a few files
// per path instead of hundreds of modules. `tsc` still emits dist/*.js and the declarations: the
// library entry (dist/index.js) and the tests use those; bin/imap-oauth.js runs dist/cli-bundle.cjs.
//
// Chunks follow the dynamic import()s already in src/: --help, --version and explain load only the
// entry; a ready token loads the IMAP chunk (imapflow) but not MSAL; MSAL is its own chunk.
// imapflow's dependencies that a login check never calls are left out (LEFT_OUT below): each is
// replaced by a stub that says so on stderr and throws if anything of it is used.
// dist/bundle-manifest.json names the packages in each chunk (the start-up tests read it).
import { build, transform } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const CHUNKS = join(DIST, 'chunks');
const STALE_CHUNK_MS = 10 * 60_000;

const STUBS = join(ROOT, 'scripts', 'bundle-stubs');

/**
 * Left out of the bundle: module → the names its importers take from it. imapflow imports these at
 * its top level but uses them only to decode message bodies, MIME words and charsets (FETCH, which
 * a check never sends), or for its default pino logger (the probe always passes its own logger).
 * Each becomes a stub (scripts/bundle-stubs/left-out.mjs) that fails loudly if reached.
 */
export const LEFT_OUT = {
  pino: [],
  libmime: [],
  libqp: [],
  libbase64: [],
  'encoding-japanese': [],
  '@zone-eu/mailsplit': ['Headers'],
  '@zone-eu/mailsplit/lib/flowed-decoder.js': [],
};

/** Replaced by a smaller file of ours: iconv-lite keeps only IMAP's modified UTF-7; socks loads on first use. */
const REPLACED = {
  'iconv-lite': join(STUBS, 'iconv-lite.mjs'),
  socks: join(STUBS, 'socks.mjs'),
};

const exact = (names) => new RegExp(`^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);

const leftOutPlugin = {
  name: 'left-out',
  setup(b) {
    b.onResolve({ filter: exact(Object.keys(LEFT_OUT)) }, (args) => ({ path: args.path, namespace: 'left-out' }));
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => {
      const helper = JSON.stringify(join(STUBS, 'left-out.mjs'));
      const lines = [`import { leftOut } from ${helper};`, `export default leftOut(${JSON.stringify(args.path)});`];
      for (const n of LEFT_OUT[args.path] ?? []) lines.push(`export const ${n} = leftOut(${JSON.stringify(`${args.path} ${n}`)});`);
      return { contents: lines.join('\n'), loader: 'js', resolveDir: ROOT };
    });
    // Only imapflow's own imports are replaced; our stubs reach the real socks as 'socks-real'.
    b.onResolve({ filter: exact(Object.keys(REPLACED)) }, (args) => (args.importer.includes('/node_modules/imapflow/') ? { path: REPLACED[args.path] } : undefined));
    b.onResolve({ filter: /^socks-real$/ }, (args) => b.resolve('socks', { kind: args.kind, resolveDir: join(ROOT, 'node_modules', 'imapflow') }));
  },
};

/** The npm package a bundled input belongs to, or 'imap-oauth' for our own sources. */
function packageOf(input) {
  if (input.startsWith('left-out:')) return 'left-out';
  if (input.startsWith('scripts/bundle-stubs/')) return 'left-out';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return m ? m[1] : 'imap-oauth';
}

/** `./chunks/x.js` → `./chunks/x.cjs` in the specifiers esbuild wrote (only names of this build). */
const toCjsName = (file) => file.replace(/\.js$/, '.cjs');

export async function bundle() {
  mkdirSync(CHUNKS, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { 'cli-bundle': 'src/cli.ts' },
    outdir: DIST,
    // The entry stays in dist/ (src/cli.ts reads ../package.json relative to its own file).
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // node-forge is loaded with createRequire at run time (PKCS#12 only): it stays a dependency.
    external: ['node-forge'],
    plugins: [leftOutPlugin],
    metafile: true,
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  // esbuild splits only ES modules; each chunk is then turned into CommonJS, one file for one file:
  // V8's code cache (Node 22's compile cache, or bin/imap-oauth.js's own on Node 20) works for
  // CommonJS on every Node this supports, and ES modules on Node 20 have none. import() between
  // chunks becomes require() (module identity is the file's, as before).
  const names = new Set(result.outputFiles.map((o) => relative(DIST, o.path)));
  const outputs = [];
  for (const out of result.outputFiles) {
    const cjs = await transform(out.text, {
      format: 'cjs',
      loader: 'js',
      platform: 'node',
      target: 'node20',
      supported: { 'dynamic-import': false },
      define: { 'import.meta.url': '__imapOauthUrl' },
      banner: "const __imapOauthUrl = require('node:url').pathToFileURL(__filename).href;",
      legalComments: 'none',
    });
    const code = cjs.code.replace(/(["'])(\.{1,2}\/(?:chunks\/)?[\w-]+\.js)\1/g, (m, q, spec) => {
      const target = relative(DIST, join(dirname(out.path), spec));
      return names.has(target) ? `${q}${toCjsName(spec)}${q}` : m;
    });
    outputs.push({ path: toCjsName(out.path), code });
  }
  // Others may be running the CLI from this tree while it is rebuilt: each file appears whole
  // (temp + rename), chunks are named by content hash, and a previous build's chunks are removed
  // only once they are old enough that no run can still be loading them.
  const fresh = new Set();
  for (const out of outputs) {
    const tmp = `${out.path}.${process.pid}.tmp`;
    writeFileSync(tmp, out.code);
    renameSync(tmp, out.path);
    fresh.add(out.path);
  }
  for (const f of readdirSync(CHUNKS)) {
    const file = join(CHUNKS, f);
    if (!fresh.has(file) && Date.now() - statSync(file).mtimeMs > STALE_CHUNK_MS) rmSync(file, { force: true });
  }
  rmSync(join(DIST, 'cli-bundle.js'), { force: true });
  const manifest = {};
  for (const [file, out] of Object.entries(result.metafile.outputs)) {
    const packages = [...new Set(Object.keys(out.inputs).map(packageOf).filter(Boolean))].sort();
    manifest[toCjsName(relative(DIST, join(ROOT, file)))] = { bytes: out.bytes, packages };
  }
  writeFileSync(join(DIST, 'bundle-manifest.json.tmp'), `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(join(DIST, 'bundle-manifest.json.tmp'), join(DIST, 'bundle-manifest.json'));
  return manifest;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle();
}
