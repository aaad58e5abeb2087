// imapflow reports every line it sends and receives through its logger (debug level, src 'c' or
// 's'); this logger keeps those lines as a transcript, redacted as they arrive, and swallows the
// rest — imapflow's default logger would write JSON lines with stack traces to stdout.
import type { Redactor } from '../redact.js';
import type { TranscriptLine } from './types.js';

type LogEntry = { src?: string; msg?: string; comment?: string; err?: unknown };

export interface TranscriptLogger {
  lines: TranscriptLine[];
  logger: Record<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', (entry: LogEntry) => void>;
}

export function createTranscriptLogger(redactor: Redactor): TranscriptLogger {
  const lines: TranscriptLine[] = [];
  const capture = (entry: LogEntry) => {
    if (!entry || (entry.src !== 'c' && entry.src !== 's') || typeof entry.msg !== 'string') return;
    if (entry.msg === 'write to socket') return; // raw-mode duplicate
    const dir = entry.src === 'c' ? 'C' : 'S';
    let text = entry.msg.replace(/\r?\n$/, '');
    // imapflow masks the SASL response as "(* value hidden *)"; show it the way the seed does.
    text = text.replace(/"?\(\* value hidden \*\)"?/g, '<redacted>');
    if (dir === 'C' && text === '' && entry.comment?.startsWith('Error response')) text = '(empty response: abort the failed SASL exchange)';
    lines.push({ dir, text: escapeControls(redactor.redact(text)) });
  };
  const ignore = () => undefined;
  return { lines, logger: { trace: ignore, debug: capture, info: ignore, warn: ignore, error: capture, fatal: ignore } };
}

/**
 * A server can send anything (a garbage "greeting", binary from a wrong port): control characters
 * are shown as \xNN so that they cannot move the cursor, clear the screen or retitle the terminal.
 */
export function escapeControls(text: string): string {
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
