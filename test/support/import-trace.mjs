// Loaded with `node --import`: reports on stderr every heavy module a run resolves, so a test can
// prove that --help and --version stay light.
import { register } from 'node:module';

const hooks = `
import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (/@azure\\/msal-node|\\/imapflow\\/|@peculiar\\/x509/.test(result.url)) writeSync(2, 'HEAVY-IMPORT ' + result.url + '\\n');
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
