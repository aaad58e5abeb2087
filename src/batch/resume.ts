// --resume FILE: the checks a previous --jsonl run already finished, to skip them now. The file is
// the user's: it is only ever read, line by line (an audit's output can be far larger than
// memory should hold), and only the finished (mailbox, protocol) pairs are kept.
//
// A finished check is any result line, passed or failed: a failure is a result too. Only a
// token-stage failure is not, since the mailbox was never reached (the app's credential failed).
// A run killed mid-line leaves a broken last line; appending the next run (>>) then fuses it with
// that run's first line. Both are read: a broken line is ignored, the complete result at the end
// of a fused one is kept; so are our own stderr lines (2>&1). Any other line that is not --jsonl
// output is an error: the wrong file was given.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ConfigError, fileErrorReason } from '../errors.js';

export interface ResumeState {
  /** checkKey(user, protocol) of every finished check. */
  done: Set<string>;
  /** Result lines read (duplicates included). */
  results: number;
  /** Broken lines (a run killed while writing) that were ignored. */
  broken: number;
  /** Token-stage failures, not counted as finished. */
  tokenFailures: number;
}

/** Addresses compare case-insensitively, as the users file does. */
export function checkKey(user: string, protocol: string | undefined): string {
  return `${user.toLowerCase()}\u0000${protocol ?? 'imap'}`;
}

const RESULT_START = '{"user":';

type Line = { kind: 'result'; user: string; protocol?: string; tokenFailure: boolean } | { kind: 'other' } | { kind: 'broken' } | { kind: 'foreign' };

function asResult(value: unknown): Line {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { kind: 'foreign' };
  const o = value as Record<string, unknown>;
  if (o.summary === true) return { kind: 'other' };
  if (typeof o.user !== 'string' || typeof o.ok !== 'boolean') return { kind: 'foreign' };
  if (o.protocol !== undefined && o.protocol !== 'imap' && o.protocol !== 'pop' && o.protocol !== 'smtp') return { kind: 'foreign' };
  return { kind: 'result', user: o.user, ...(typeof o.protocol === 'string' ? { protocol: o.protocol } : {}), tokenFailure: o.failedStage === 'token' };
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** One line of a --jsonl file, classified. */
export function classifyLine(raw: string): Line {
  const line = raw.trim();
  // Empty, or our own stderr in a file written with 2>&1 (warnings, GitHub annotations).
  if (!line || line.startsWith('imap-oauth: ') || line.startsWith('::')) return { kind: 'other' };
  const parsed = tryParse(line);
  if (parsed !== undefined) return asResult(parsed);
  // A fused line: a cut-off result, then (from an appended run) a whole one.
  const last = line.lastIndexOf(RESULT_START);
  if (last > 0) {
    const tail = asResult(tryParse(line.slice(last)));
    if (tail.kind === 'result') return tail;
  }
  return line.startsWith('{"') ? { kind: 'broken' } : { kind: 'foreign' };
}

/** Feeds lines one by one; throws a one-line ConfigError (`where` names the file) on a foreign line. */
export class ResumeParser {
  readonly state: ResumeState = { done: new Set(), results: 0, broken: 0, tokenFailures: 0 };
  private lineNo = 0;

  constructor(private readonly where: string) {}

  add(raw: string): void {
    this.lineNo++;
    const line = classifyLine(this.lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw);
    if (line.kind === 'foreign') {
      throw new ConfigError(`--resume ${this.where} line ${this.lineNo} is not a line of imap-oauth --jsonl output: give the file a previous run's --jsonl went to`);
    }
    if (line.kind === 'broken') this.state.broken++;
    if (line.kind !== 'result') return;
    this.state.results++;
    if (line.tokenFailure) this.state.tokenFailures++;
    else this.state.done.add(checkKey(line.user, line.protocol));
  }
}

/** Reads FILE (`path`, named `given` in messages) as a stream; a missing or unreadable file is a ConfigError. */
export async function readResume(path: string, given = path): Promise<ResumeState> {
  const parser = new ResumeParser(given);
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) parser.add(line);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read --resume ${given}: ${fileErrorReason(err)}`);
  } finally {
    lines.close();
    stream.destroy();
  }
  return parser.state;
}
