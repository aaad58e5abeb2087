import { ExitCode } from './exit-codes.js';

/** An error the user can fix: printed as one line, never with a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.USAGE,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Bad or missing configuration: exit 2. */
export class ConfigError extends UserError {
  constructor(message: string) {
    super(message, ExitCode.USAGE);
    this.name = 'ConfigError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

const FILE_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
};

/** Why a file could not be read or written, in a few words (no "ENOENT:", no repeated path). */
export function fileErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  return FILE_REASONS[code] ?? (errorMessage(err).replace(/^[A-Z]+: /, '').replace(/, (open|unlink|rename|stat) .*$/, '') || code || 'failed');
}
