// The package entry (`import … from 'imap-oauth'`). For now the version and the exit codes; the
// programmatic check() joins them here. Nothing heavy is imported: importing the package is cheap.
import { createRequire } from 'node:module';

export { ExitCode, EXIT_CODE_HELP } from './exit-codes.js';

/** The installed package's version, as `imap-oauth --version` prints it. */
export const version: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export { check, CheckOptionsError, type CheckOptions, type CheckReport } from './api.js';
