// `imap-oauth logout --token-cache PATH`: forget the cached tokens (the refresh token included).
// Only a file that holds an imap-oauth cache is deleted: a mistyped path to notes, a .env, a link
// or a device is refused and left as it is.
import { unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, fileErrorReason } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { inspectTokenCache } from '../token/cache.js';

export function runLogout(flags: Record<string, unknown>, io: Io, cwd: string): ExitCode {
  if (typeof flags.tokenCache !== 'string' || !flags.tokenCache.trim()) throw new ConfigError('logout needs --token-cache PATH: the file to clear');
  const given = flags.tokenCache;
  const path = resolve(cwd, given);
  const state = inspectTokenCache(path, given);
  if (state.kind === 'missing') {
    io.out(`Nothing to clear: ${given} does not exist.\n`);
    return ExitCode.OK;
  }
  if (state.kind === 'empty') {
    io.out(`Nothing to clear: ${given} is empty (it holds no tokens; left as it is).\n`);
    return ExitCode.OK;
  }
  try {
    // unlink removes the name itself: were it swapped for a link meanwhile, the link's target stays.
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      io.out(`Nothing to clear: ${given} does not exist.\n`);
      return ExitCode.OK;
    }
    throw new ConfigError(`cannot delete --token-cache ${given}: ${fileErrorReason(err)}`);
  }
  io.out(`Removed ${given}: its access and refresh tokens are gone from this machine. (They stay valid at Microsoft until they expire; an admin can revoke the user's sessions in the Entra admin center.)\n`);
  return ExitCode.OK;
}
