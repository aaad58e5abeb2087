// `imap-oauth logout --token-cache PATH`: forget the cached tokens (the refresh token included).
import { rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, fileErrorReason } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

export function runLogout(flags: Record<string, unknown>, io: Io, cwd: string): ExitCode {
  if (typeof flags.tokenCache !== 'string' || !flags.tokenCache.trim()) throw new ConfigError('logout needs --token-cache PATH: the file to clear');
  const path = resolve(cwd, flags.tokenCache);
  try {
    if (!statSync(path).isFile()) throw new ConfigError(`--token-cache ${flags.tokenCache} is not a file`);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      io.out(`Nothing to clear: ${flags.tokenCache} does not exist.\n`);
      return ExitCode.OK;
    }
    throw new ConfigError(`cannot read --token-cache ${flags.tokenCache}: ${fileErrorReason(err)}`);
  }
  rmSync(path);
  io.out(`Removed ${flags.tokenCache}: its access and refresh tokens are gone from this machine. (They stay valid at Microsoft until they expire; an admin can revoke the user's sessions in the Entra admin center.)\n`);
  return ExitCode.OK;
}
