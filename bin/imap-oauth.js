#!/usr/bin/env node
'use strict';
// Launcher. `imap-oauth --help` and `--version` are answered from files, without loading the CLI
// (start-up is part of the product: scripts call --version). Everything else goes to the bundle.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const args = process.argv.slice(2);
if (args.length === 1 && ['--help', '-h', '--version', '-V'].includes(args[0])) {
  try {
    const text = args[0] === '--version' || args[0] === '-V'
      ? `${JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version}\n`
      : readFileSync(join(__dirname, '..', 'dist', 'help.txt'), 'utf8');
    // A reader that already went away (`| head -1`) is no error here either (see src/io.ts).
    process.stdout.on('error', () => undefined);
    process.stdout.write(text);
    return;
  } catch {
    // not built yet, or an odd install: the full CLI answers below
  }
}

const cacheDir = compileCacheDir();
try {
  // The bundled CLI (scripts/bundle.mjs): a few CommonJS chunks instead of hundreds of modules.
  if (cacheDir) useCompileCache(cacheDir);
  const cli = require('../dist/cli-bundle.cjs');
  cli.main(process.argv).catch(internalError);
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('cli-bundle.cjs')) {
    process.stderr.write('imap-oauth: not built yet; run `npm run build` first\n');
    process.exitCode = 1;
  } else internalError(err);
}

function internalError(err) {
  process.stderr.write(`imap-oauth: internal error: ${err && err.message ? err.message : String(err)}\n`);
  process.exitCode = 1;
}

// V8's code cache for the bundle: later runs skip parsing and compiling what they ran before. In a
// directory of our own — $XDG_CACHE_HOME/imap-oauth/compile-cache or <tmpdir>/imap-oauth-<uid>/compile-cache —
// mode 0700 and owned by us, else no cache (someone who can write there could plant code). It holds
// compiled code of dist/ only, never a token or any input. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
function compileCacheDir() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  try {
    const { lstatSync, mkdirSync } = require('node:fs');
    const { tmpdir } = require('node:os');
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    const xdg = process.env.XDG_CACHE_HOME;
    const base = xdg && xdg.startsWith('/') ? join(xdg, 'imap-oauth') : join(tmpdir(), `imap-oauth-${uid ?? 'user'}`);
    const dir = join(base, 'compile-cache');
    for (const d of [base, dir]) {
      try {
        mkdirSync(d, { mode: 0o700 });
      } catch (err) {
        if (!err || err.code !== 'EEXIST') return undefined;
      }
      const st = lstatSync(d);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) return undefined;
    }
    return dir;
  } catch {
    return undefined;
  }
}

// Node 22.1+ has the cache built in (module.enableCompileCache). Node 20 has none: each chunk of
// dist/ is compiled here through vm.Script with the cachedData of an earlier run, found by the
// SHA-256 of its source (a rebuilt chunk never meets an old cache), and the cache is written at
// exit, when it also holds the functions compiled on the way. V8 rejects data that does not fit.
function useCompileCache(dir) {
  const Module = require('node:module');
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache(dir);
    return;
  }
  const fs = require('node:fs');
  const vm = require('node:vm');
  const { createHash } = require('node:crypto');
  const { dirname, sep } = require('node:path');
  const dist = join(__dirname, '..', 'dist') + sep;
  const fallback = Module._extensions['.cjs'] || Module._extensions['.js'];
  const toWrite = [];
  Module._extensions['.cjs'] = function compileWithCache(module, filename) {
    if (!filename.startsWith(dist)) return fallback.call(this, module, filename);
    const source = fs.readFileSync(filename, 'utf8');
    const file = join(dir, `${createHash('sha256').update(process.version).update('\0').update(source).digest('hex').slice(0, 40)}.bin`);
    let cachedData;
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      // first run of this chunk
    }
    const script = new vm.Script(Module.wrap(source), { filename, cachedData });
    if (!cachedData || script.cachedDataRejected) toWrite.push({ file, script });
    const fn = script.runInThisContext({ displayErrors: true });
    fn.call(module.exports, module.exports, Module.createRequire(filename), module, filename, dirname(filename));
  };
  process.once('exit', () => {
    // A new build's chunks are new files: when writing, drop entries no run has touched for 30 days.
    if (toWrite.length) {
      try {
        for (const f of fs.readdirSync(dir)) {
          const p = join(dir, f);
          if (f.endsWith('.bin') && Date.now() - fs.statSync(p).atimeMs > 30 * 86_400_000) fs.rmSync(p, { force: true });
        }
      } catch {
        // pruning is best effort
      }
    }
    for (const { file, script } of toWrite) {
      try {
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600, flag: 'wx' });
        fs.renameSync(tmp, file);
      } catch {
        // no cache this time
      }
    }
  });
}
