// Every byte the tool prints or writes goes through here, redacted: stdout, stderr and report
// files alike, so that a new output cannot forget to redact.
import { writeAtomic } from './safe-file.js';
import type { Redactor } from './redact.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface FileOptions {
  /** XML or HTML: the marker is escaped so that the file stays well-formed. */
  markup?: boolean;
  /** File mode on creation (default 0o644: a report, not a secret). */
  mode?: number;
}

/** The sink for commands that also write report files (--junit and the like). */
export interface Sink extends Io {
  /** Writes a report file, redacted; throws the file system's error for the caller to word. */
  file(path: string, text: string, opts?: FileOptions): void;
}

/** The one place a report file is written: replaced by the safe, atomic writer where available. */
export type FileWriter = (path: string, text: string, mode: number) => void;

// Exclusive temporary file in the same directory, renamed over the path; links, FIFOs, devices refused.
const plainWriter: FileWriter = (path, text, mode) => writeAtomic(path, text, mode);

// A reader that went away (`imap-oauth … | head -1`) is no error: the rest of that stream's output
// is dropped and the run ends with its own exit code. Node ignores SIGPIPE and reports EPIPE as an
// 'error' event, which unhandled became "internal error: write EPIPE".
const watched = new WeakSet<NodeJS.WritableStream>();
const closed = new WeakSet<NodeJS.WritableStream>();

function writerFor(stream: NodeJS.WritableStream): (text: string) => void {
  if (!watched.has(stream)) {
    watched.add(stream);
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
      closed.add(stream);
    });
  }
  return (text) => {
    if (!closed.has(stream)) stream.write(text);
  };
}

export function createIo(
  redactor: Redactor,
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
  writeFile: FileWriter = plainWriter,
): Sink {
  const [toOut, toErr] = [writerFor(stdout), writerFor(stderr)];
  return {
    out: (text) => toOut(redactor.redact(text)),
    err: (text) => toErr(redactor.redact(text)),
    file: (path, text, opts = {}) => writeFile(path, redactor.redact(text, opts.markup ? { marker: '&lt;redacted&gt;' } : {}), opts.mode ?? 0o644),
  };
}
