// Reading secrets from files or standard input ("-"), with one-line errors.
// A FIFO is allowed (`--client-secret-file <(pass show app)` is a real idiom) and so is a device
// such as /dev/null, but neither may hang the run: each must deliver within the input deadline
// (--timeout) and stay under INPUT_MAX_BYTES. Links are followed (Kubernetes mounts secrets so).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, fileErrorReason } from '../errors.js';
import { INPUT_MAX_BYTES, readBounded } from '../safe-file.js';
import { decodeText as decodeWindowsText } from './decode-text.js';

const DEFAULT_INPUT_WAIT_MS = 15_000;
let inputWaitMs = DEFAULT_INPUT_WAIT_MS;

/** How long a FIFO or device given as an input file may take: --timeout, set once per run. */
export function setInputWaitMs(ms: number | undefined): void {
  inputWaitMs = ms && Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_INPUT_WAIT_MS;
}

/** A named file, bounded in time and size; no "-" handling. Throws the file error for the caller to word. */
export function readFileBounded(path: string): Buffer {
  return readBounded(path, { maxBytes: INPUT_MAX_BYTES, waitMs: inputWaitMs });
}

/** Text from a file: UTF-8 with or without a BOM, or UTF-16 as Windows PowerShell 5.1 writes it. */
export function decodeText(bytes: Buffer): string {
  return decodeWindowsText(bytes);
}

export type ReadInput = (pathOrDash: string) => string;

/** Reads a file (or stdin for "-"), reporting `origin` (the flag or variable) on failure. */
export function readInputFile(pathOrDash: string, origin: string, cwd: string): string {
  return decodeText(readInputBytes(pathOrDash, origin, cwd));
}

/** The same, as bytes (binary files such as .pfx). */
export function readInputBytes(pathOrDash: string, origin: string, cwd: string): Buffer {
  try {
    return pathOrDash === '-' ? readFileSync(0) : readFileBounded(resolve(cwd, pathOrDash));
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
