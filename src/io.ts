// Every byte the tool prints goes through here, redacted.
import type { Redactor } from './redact.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export function createIo(redactor: Redactor, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Io {
  return {
    out: (text) => void stdout.write(redactor.redact(text)),
    err: (text) => void stderr.write(redactor.redact(text)),
  };
}
