// Loaded with `node --import`: reports on stderr every heavy module a run resolves, so a test can
// prove that --help and --version stay light. The bundled CLI (dist/cli-bundle.cjs) loads chunks
// instead of packages: dist/bundle-manifest.json says which packages each chunk holds, and a chunk
// holding a heavy one is reported as `HEAVY-IMPORT <chunk url> [<packages>]`. ES modules are seen
// by a resolve hook, CommonJS (the bundle's chunks) by wrapping Module._resolveFilename; every file
// of dist/ loaded is also listed as `LOADED <url>`.
import { readFileSync as readFileSyncCjs, writeSync } from 'node:fs';
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const hooks = `
import { readFileSync, writeSync } from 'node:fs';
const HEAVY = /@azure\\/msal-node|\\/imapflow\\/|@peculiar\\/x509/;
const HEAVY_PACKAGE = /^(@azure\\/msal-node|imapflow|@peculiar\\/x509)$/;
const manifests = new Map();
function chunkPackages(url) {
  const m = /^(file:\\/\\/.*\\/dist\\/)(.*\\.c?js)$/.exec(url);
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

// The same report for CommonJS, in this thread (require runs here, not in the hooks' thread).
const resolveFilename = Module._resolveFilename;
const HEAVY_CJS = /@azure\/msal-node|\/imapflow\/|@peculiar\/x509/;
const HEAVY_PACKAGE_CJS = /^(@azure\/msal-node|imapflow|@peculiar\/x509)$/;
const cjsManifests = new Map();
function cjsChunkPackages(url) {
  const m = /^(file:\/\/.*\/dist\/)(.*\.c?js)$/.exec(url);
  if (!m) return [];
  if (!cjsManifests.has(m[1])) {
    try {
      cjsManifests.set(m[1], JSON.parse(readFileSyncCjs(new URL('bundle-manifest.json', m[1]), 'utf8')));
    } catch {
      cjsManifests.set(m[1], {});
    }
  }
  return cjsManifests.get(m[1])[m[2]]?.packages ?? [];
}
Module._resolveFilename = function traced(...args) {
  const file = resolveFilename.apply(this, args);
  if (typeof file === 'string' && file.startsWith('/')) {
    const url = pathToFileURL(file).href;
    if (HEAVY_CJS.test(url)) writeSync(2, `HEAVY-IMPORT ${url}\n`);
    else {
      const heavy = cjsChunkPackages(url).filter((p) => HEAVY_PACKAGE_CJS.test(p));
      if (heavy.length) writeSync(2, `HEAVY-IMPORT ${url} [${heavy.join(' ')}]\n`);
    }
    if (/\/dist\//.test(url)) writeSync(2, `LOADED ${url}\n`);
  }
  return file;
};
