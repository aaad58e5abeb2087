#!/usr/bin/env node
'use strict';
// Launcher. `imap-oauth --help` and `--version` are answered from files, without loading the CLI
// (start-up is part of the product: scripts call --version). Everything else goes to dist/cli.js.
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

compileCache();

// The bundled CLI (scripts/bundle.mjs): a few chunks instead of hundreds of modules.
import('../dist/cli-bundle.js').then((cli) => cli.main(process.argv)).catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli-bundle.js')) {
    process.stderr.write('imap-oauth: not built yet; run `npm run build` first\n');
  } else {
    process.stderr.write(`imap-oauth: internal error: ${err && err.message ? err.message : String(err)}\n`);
  }
  process.exitCode = 1;
});

// V8's code cache for the bundle where Node has one built in (module.enableCompileCache, Node 22.1+):
// later runs skip parsing and compiling. In a directory of our own — $XDG_CACHE_HOME/imap-oauth or
// <tmpdir>/imap-oauth-<uid> — mode 0700 and owned by us, else no cache (another user could plant
// code there). It holds compiled code of the bundle only, never a token or any input.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. Node 20 has no such call: see BENCHMARKS.md.
function compileCache() {
  const mod = require('node:module');
  if (typeof mod.enableCompileCache !== 'function' || process.env.NODE_DISABLE_COMPILE_CACHE) return;
  try {
    const { lstatSync, mkdirSync } = require('node:fs');
    const { tmpdir } = require('node:os');
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    const xdg = process.env.XDG_CACHE_HOME;
    const base = xdg && xdg.startsWith('/') ? join(xdg, 'imap-oauth') : join(tmpdir(), `imap-oauth-${uid ?? 'user'}`);
    for (const dir of [base, join(base, 'compile-cache')]) {
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch (err) {
        if (!err || err.code !== 'EEXIST') return;
      }
      const st = lstatSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) return;
    }
    mod.enableCompileCache(join(base, 'compile-cache'));
  } catch {
    // no cache: only slower
  }
}
