// Loaded with `node --import`: reports on stderr every heavy module a run resolves, so a test can
// prove that --help and --version stay light. The bundled CLI (dist/cli-bundle.js) loads chunks
// instead of packages: dist/bundle-manifest.json says which packages each chunk holds, and a chunk
// holding a heavy one is reported as `HEAVY-IMPORT <chunk url> [<packages>]`.
import { register } from 'node:module';

const hooks = `
import { readFileSync, writeSync } from 'node:fs';
const HEAVY = /@azure\\/msal-node|\\/imapflow\\/|@peculiar\\/x509/;
const HEAVY_PACKAGE = /^(@azure\\/msal-node|imapflow|@peculiar\\/x509)$/;
const manifests = new Map();
function chunkPackages(url) {
  const m = /^(file:\\/\\/.*\\/dist\\/)(.*\\.js)$/.exec(url);
  if (!m) return [];
  if (!manifests.has(m[1])) {
    try { manifests.set(m[1], JSON.parse(readFileSync(new URL('bundle-manifest.json', m[1]), 'utf8'))); } catch { manifests.set(m[1], {}); }
  }
  return manifests.get(m[1])[m[2]]?.packages ?? [];
}
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (HEAVY.test(result.url)) writeSync(2, 'HEAVY-IMPORT ' + result.url + '\\n');
  else {
    const heavy = chunkPackages(result.url).filter((p) => HEAVY_PACKAGE.test(p));
    if (heavy.length) writeSync(2, 'HEAVY-IMPORT ' + result.url + ' [' + heavy.join(' ') + ']\\n');
  }
  if (context.parentURL === undefined || /\\/dist\\//.test(result.url)) writeSync(2, 'LOADED ' + result.url + '\\n');
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
