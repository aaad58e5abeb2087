// `imap-oauth explain CODE-OR-TEXT | - | FILE`: the rule table, offline, on a code, a message or a
// whole pasted log (stdin with "-", or a file). Exit 0 when something matched.
import { readFileSync, statSync } from 'node:fs';
import { Chalk } from 'chalk';
import type { Evidence } from '../diagnose/evidence.js';
import { explain } from '../diagnose/explain.js';
import { ConfigError, fileErrorReason } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { printable, printableLines } from '../printable.js';
import type { Redactor } from '../redact.js';
import { isoTime, type TokenClaims } from '../token/claims.js';

const MAX_INPUT = 5 * 1024 * 1024;
/** Control characters (terminal escapes, C1, bidi) in text echoed back are shown escaped. */
const visible = printable;

interface Input {
  text: string;
  source: 'arguments' | 'stdin' | 'file';
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** "-" is standard input; one argument naming an existing file is that file; anything else is the text. */
function readInput(words: string[], readStdin: () => string): Input {
  const only = words.length === 1 ? words[0]! : undefined;
  if (only === '-') return { text: readStdin(), source: 'stdin' };
  if (only !== undefined && !/^(AADSTS)?\d+$/i.test(only) && isFile(only)) {
    if (statSync(only).size > MAX_INPUT) throw new ConfigError(`explain ${only}: the file is larger than 5 MB: paste the part around the error`);
    try {
      return { text: readFileSync(only, 'utf8'), source: 'file' };
    } catch (err) {
      throw new ConfigError(`cannot read ${only}: ${fileErrorReason(err)}`);
    }
  }
  return { text: words.join(' '), source: 'arguments' };
}

const CLAIM_KEYS: (keyof TokenClaims)[] = ['aud', 'scp', 'roles', 'upn', 'preferred_username', 'tid', 'appid', 'azp', 'oid', 'exp'];

function claimsLine(c: TokenClaims): string {
  return CLAIM_KEYS.filter((k) => c[k] !== undefined)
    .map((k) => `${k} ${k === 'exp' ? (isoTime(c.exp) ?? c.exp) : Array.isArray(c[k]) ? (c[k] as string[]).join(' ') : String(c[k])}`)
    .join(', ');
}

/** What was found, one line each; the tokens themselves never (they are only decoded). */
function evidenceLines(ev: Evidence): string[] {
  const out: string[] = [];
  for (const a of ev.aadsts) out.push(`${a.oauthError ? `${a.oauthError}: ` : ''}${a.description.length > 200 ? `${a.description.slice(0, 199)}…` : a.description}`);
  if (ev.correlationId || ev.traceId) out.push([ev.correlationId && `correlation ID ${ev.correlationId}`, ev.traceId && `trace ID ${ev.traceId}`].filter(Boolean).join(', '));
  for (const s of ev.sasl) out.push(`${s.mechanism} string: user=${s.user || '(empty)'}; token (not shown): ${s.claims ? `a JWT: ${claimsLine(s.claims)}` : 'opaque (not a JWT: a personal Microsoft account\'s, or another provider\'s)'}`);
  if (ev.jwtClaims && !ev.sasl.some((s) => s.claims)) out.push(`a token (not shown), a JWT: ${claimsLine(ev.jwtClaims)}`);
  for (const a of ev.answers.slice(-3)) out.push(`server: ${a.status === 'BYE' ? '* BYE' : a.status} ${a.text}${a.command ? ` (to ${a.command})` : ''}`);
  if (ev.capabilities && !ev.capabilities.some((c) => /^AUTH=XOAUTH2$/i.test(c))) out.push(`capabilities without AUTH=XOAUTH2: ${ev.capabilities.join(' ')}`);
  if (ev.errorCode) out.push(`connection: ${ev.errorCode}`);
  if (ev.flow) out.push(`token flow: ${ev.flow}`);
  return out.map(visible);
}

export function runExplain(words: string[], flags: Record<string, unknown>, io: Io, redactor?: Redactor, readStdin = () => readFileSync(0, 'utf8')): ExitCode {
  const input = readInput(words, readStdin);
  if (!input.text.trim()) throw new ConfigError(input.source === 'arguments' ? 'explain needs a code or a message, e.g. imap-oauth explain AADSTS7000215 (or - to read a pasted log from stdin)' : `explain: the ${input.source === 'stdin' ? 'standard input' : 'file'} is empty`);
  const result = explain(input.text);
  // Every token and SASL string found is registered before anything is printed.
  for (const s of result.evidence.secrets) redactor?.add(s);
  const { secrets: _secrets, ...evidence } = result.evidence;
  const docs = result.unknownAadsts ? `https://login.microsoftonline.com/error?code=${result.unknownAadsts}` : undefined;
  if (flags.json === true) {
    const query = input.source === 'arguments' ? { query: input.text.trim() } : {};
    io.out(`${JSON.stringify({ ...query, input: input.source, matched: result.matches.length > 0, evidence, ...(result.tokenAssumed ? { tokenAssumed: true } : {}), matches: result.matches, ...(docs ? { docs } : {}) }, null, 2)}\n`);
    return result.matches.length ? ExitCode.OK : ExitCode.USAGE;
  }
  const c = new Chalk({ level: flags.color !== false && !process.env.NO_COLOR && process.stdout.isTTY ? 1 : 0 });
  const found = evidenceLines(result.evidence);
  const head = found.length && (input.source !== 'arguments' || found.length > 1 || result.evidence.sasl.length) ? `${c.bold('Found in the text')}\n${found.map((l) => `  ${l}`).join('\n')}\n\n` : '';
  if (!result.matches.length) {
    if (docs) io.out(`${head}AADSTS${result.unknownAadsts} is not in imap-oauth's table. Microsoft's description: ${docs}\n`);
    else if (input.source === 'arguments' && input.text.length <= 200) io.out(`${head}Nothing in the table matches "${visible(input.text.trim())}". Try an AADSTS code or the server's words, e.g. "AUTHENTICATE failed".\n`);
    else io.out(`${head}Nothing in the table matches this text. Try the AADSTS code or the server's answer on its own.\n`);
    return ExitCode.USAGE;
  }
  const blocks = result.matches.map((d) =>
    [
      // A finding can quote the pasted text (a server's answer): shown, never obeyed.
      `${d.severity === 'advisory' ? c.yellow('!') : c.red('✖')} ${c.bold(printable(d.summary))}  ${c.dim(`[${d.id}]`)}`,
      `  Why: ${printableLines(d.cause)}`,
      `  Fix: ${printableLines(d.fix).split('\n').join('\n       ')}`,
      d.docs ? c.dim(`  Docs: ${printable(d.docs)}`) : '',
    ].filter(Boolean).join('\n'),
  );
  const notes = [
    result.tokenAssumed ? 'No token was in the text: the findings assume one that is right for Exchange Online.' : '',
    docs ? `AADSTS${result.unknownAadsts} is not in imap-oauth's table. Microsoft's description: ${docs}` : '',
    '(Values in <angle brackets> are filled in with your real ones when imap-oauth test finds this.)',
  ].filter(Boolean);
  io.out(`${head}${blocks.join('\n\n')}\n${c.dim(notes.join('\n'))}\n`);
  return ExitCode.OK;
}
