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

import('../dist/cli.js').then((cli) => cli.main(process.argv)).catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    process.stderr.write('imap-oauth: not built yet; run `npm run build` first\n');
  } else {
    process.stderr.write(`imap-oauth: internal error: ${err && err.message ? err.message : String(err)}\n`);
  }
  process.exitCode = 1;
});
