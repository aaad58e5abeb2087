// `imap-oauth explain CODE-OR-TEXT`: the rule table, offline. Exit 0 when something matched.
import { Chalk } from 'chalk';
import { explain } from '../diagnose/explain.js';
import { ConfigError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

export function runExplain(words: string[], flags: Record<string, unknown>, io: Io): ExitCode {
  const query = words.join(' ').trim();
  if (!query) throw new ConfigError('explain needs a code or a message, e.g. imap-oauth explain AADSTS7000215');
  const result = explain(query);
  if (flags.json === true) {
    io.out(`${JSON.stringify({ query, matched: result.matches.length > 0, matches: result.matches, ...(result.unknownAadsts ? { docs: `https://login.microsoftonline.com/error?code=${result.unknownAadsts}` } : {}) }, null, 2)}\n`);
    return result.matches.length ? ExitCode.OK : ExitCode.USAGE;
  }
  const c = new Chalk({ level: flags.color !== false && !process.env.NO_COLOR && process.stdout.isTTY ? 1 : 0 });
  if (result.unknownAadsts) {
    io.out(`AADSTS${result.unknownAadsts} is not in imap-oauth's table. Microsoft's description: https://login.microsoftonline.com/error?code=${result.unknownAadsts}\n`);
    return ExitCode.USAGE;
  }
  if (!result.matches.length) {
    io.out(`Nothing in the table matches "${query}". Try an AADSTS code or the server's words, e.g. "AUTHENTICATE failed".\n`);
    return ExitCode.USAGE;
  }
  const blocks = result.matches.map((d) =>
    [
      `${c.bold(d.summary)}  ${c.dim(`[${d.id}]`)}`,
      `  Why: ${d.cause}`,
      `  Fix: ${d.fix.split('\n').join('\n       ')}`,
      d.docs ? c.dim(`  Docs: ${d.docs}`) : '',
    ].filter(Boolean).join('\n'),
  );
  io.out(`${blocks.join('\n\n')}\n${c.dim('(Values in <angle brackets> are filled in with your real ones when imap-oauth test finds this.)')}\n`);
  return ExitCode.OK;
}
