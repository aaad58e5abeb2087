// A left-out module (scripts/bundle.mjs): importing it costs nothing; touching anything of it
// (a call, `new`, or a property of what those would return) writes one line to stderr and throws,
// so a test on the bundle sees it even when the caller catches the error.
import { writeSync } from 'node:fs';

export function leftOut(name) {
  const reached = (what) => {
    const message = `left-out module ${name} reached (${what}): the bundle must include it (scripts/bundle.mjs)`;
    try {
      writeSync(2, `imap-oauth: internal error: ${message}\n`);
    } catch {
      // stderr gone: the throw still says it
    }
    throw new Error(message);
  };
  const make = (path) =>
    new Proxy(function leftOutModule() {}, {
      get(_target, key) {
        // What module interop and `await` probe for: not a use.
        if (typeof key === 'symbol' || key === 'then' || key === '__esModule') return undefined;
        return make(`${path}.${String(key)}`);
      },
      apply: () => reached(`${path}()`),
      construct: () => reached(`new ${path}`),
    });
  return make(name);
}
