// Reading secrets from files or standard input ("-"), with one-line errors.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, fileErrorReason } from '../errors.js';

export type ReadInput = (pathOrDash: string) => string;

/** Reads a file (or stdin for "-"), reporting `origin` (the flag or variable) on failure. */
export function readInputFile(pathOrDash: string, origin: string, cwd: string): string {
  return readInputBytes(pathOrDash, origin, cwd).toString('utf8');
}

/** The same, as bytes (binary files such as .pfx). */
export function readInputBytes(pathOrDash: string, origin: string, cwd: string): Buffer {
  try {
    return pathOrDash === '-' ? readFileSync(0) : readFileSync(resolve(cwd, pathOrDash));
  } catch (err) {
    const what = pathOrDash === '-' ? 'standard input' : pathOrDash;
    throw new ConfigError(`cannot read ${what} (${origin}): ${fileErrorReason(err)}`);
  }
}

/** A secret value from a file: surrounding whitespace (the trailing newline) is not part of it. */
export function readSecret(pathOrDash: string, origin: string, cwd: string, what: string): string {
  const value = readInputFile(pathOrDash, origin, cwd).trim();
  if (!value) {
    throw new ConfigError(`${pathOrDash === '-' ? 'standard input' : pathOrDash} (${origin}) is empty: expected the ${what}`);
  }
  if (/[\r\n]/.test(value)) {
    throw new ConfigError(`${pathOrDash === '-' ? 'standard input' : pathOrDash} (${origin}) has more than one line: expected only the ${what}`);
  }
  return value;
}
