// imapflow reports every line it sends through its logger (debug level, src 'c'), and ProbeClient
// every line it receives as it came (src 's'); this logger keeps those lines as a transcript,
// redacted as they arrive, and swallows the rest — imapflow's default logger would write JSON
// lines with stack traces to stdout.
//
// A hostile server can send without end: the transcript keeps the first lines and the last ones,
// each cut to a bounded length, and says what it left out; past MAX_SERVER_LINES it reports a
// flood, so the probe can end the session (no check of one mailbox needs that many lines).
import type { Redactor } from '../redact.js';
import type { TranscriptLine } from './types.js';

type LogEntry = { src?: string; msg?: string; comment?: string; err?: unknown };

/** Characters kept of one line (after redaction and escaping); the rest is replaced by a mark. */
export const MAX_LINE_CHARS = 1000;
/** Lines kept from the start of the session, and at most this many characters in them. */
export const MAX_HEAD_LINES = 200;
export const MAX_HEAD_CHARS = 64 * 1024;
/** Lines kept from the end (the verdict is there). */
export const MAX_TAIL_LINES = 20;
/** More lines from the server than this in one check is a flood. */
export const MAX_SERVER_LINES = 1000;

export interface TranscriptLogger {
  /** The kept lines: the head, a line saying what was cut (if anything), the tail. */
  readonly lines: TranscriptLine[];
  logger: Record<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', (entry: LogEntry) => void>;
}

export interface TranscriptOptions {
  /** Called once, when the server has sent more than MAX_SERVER_LINES lines. */
  onFlood?: (lines: number) => void;
}

/** One line cut to MAX_LINE_CHARS, without splitting a \xNN escape, with how much was left out. */
export function clipLine(text: string, max = MAX_LINE_CHARS): string {
  if (text.length <= max) return text;
  const kept = text.slice(0, max).replace(/\\(x[0-9a-f]?)?$/, '');
  return `${kept}… (${text.length - kept.length} more characters not shown)`;
}

export function createTranscriptLogger(redactor: Redactor, opts: TranscriptOptions = {}): TranscriptLogger {
  const head: TranscriptLine[] = [];
  let headChars = 0;
  const tail: TranscriptLine[] = [];
  let cutLines = 0;
  let cutChars = 0;
  let serverLines = 0;
  let flooded = false;

  const keep = (line: TranscriptLine) => {
    if (!tail.length && head.length < MAX_HEAD_LINES && headChars + line.text.length <= MAX_HEAD_CHARS) {
      head.push(line);
      headChars += line.text.length;
      return;
    }
    tail.push(line);
    if (tail.length > MAX_TAIL_LINES) {
      const dropped = tail.shift()!;
      cutLines++;
      cutChars += dropped.text.length;
    }
  };

  const capture = (entry: LogEntry) => {
    if (!entry || (entry.src !== 'c' && entry.src !== 's') || typeof entry.msg !== 'string') return;
    if (entry.msg === 'write to socket') return; // raw-mode duplicate
    const dir = entry.src === 'c' ? 'C' : 'S';
    if (dir === 'S' && ++serverLines > MAX_SERVER_LINES && !flooded) {
      flooded = true;
      opts.onFlood?.(serverLines);
    }
    let text = entry.msg.replace(/\r?\n$/, '');
    // imapflow masks the SASL response as "(* value hidden *)"; show it the way the seed does.
    text = text.replace(/"?\(\* value hidden \*\)"?/g, '<redacted>');
    if (dir === 'C' && text === '' && entry.comment?.startsWith('Error response')) text = '(empty response: abort the failed SASL exchange)';
    // Redacted whole before it is cut: a cut must not leave the start of a secret behind.
    keep({ dir, text: clipLine(escapeControls(redactor.redact(text))) });
  };
  const ignore = () => undefined;
  return {
    get lines() {
      if (!cutLines) return [...head, ...tail];
      const mark: TranscriptLine = { dir: 'S', text: `… ${cutLines} line${cutLines === 1 ? '' : 's'} (${cutChars} characters) not kept: the transcript keeps the first ${head.length} and the last ${tail.length}` };
      return [...head, mark, ...tail];
    },
    // error: imapflow logs a line it could not parse there, which ProbeClient has recorded already.
    logger: { trace: ignore, debug: capture, info: ignore, warn: ignore, error: ignore, fatal: ignore },
  };
}

/**
 * A server can send anything (a garbage "greeting", binary from a wrong port): control characters
 * are shown as \xNN so that they cannot move the cursor, clear the screen or retitle the terminal.
 */
export function escapeControls(text: string): string {
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
