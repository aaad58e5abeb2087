#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (npm run build).
import('../dist/cli.js').then((cli) => cli.main(process.argv)).catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    process.stderr.write('imap-oauth: not built yet; run `npm run build` first\n');
  } else {
    process.stderr.write(`imap-oauth: internal error: ${err && err.message ? err.message : String(err)}\n`);
  }
  process.exitCode = 1;
});
