// A batch's failures grouped by cause: each cause once, its fix once, the mailboxes it applies to.
// Where the fix names the mailbox (Add-MailboxPermission -Identity '…'), those lines become one
// PowerShell loop over all of them, quoted by powershell.ts's helpers.
import { Chalk } from 'chalk';
import { mailboxArg } from '../diagnose/powershell.js';
import { printable as p, printableLines as lines } from '../printable.js';
import { checkLabeller, type MailboxResult, type RunResult } from '../result.js';

export interface CauseGroup {
  id: string;
  summary: string;
  cause: string;
  /** The fix, with the per-mailbox lines written once as a loop over `mailboxes`. */
  fix: string;
  docs?: string;
  severity: 'error' | 'advisory';
  /** "user" or "user (protocol)" when the run checked several protocols. */
  mailboxes: string[];
  /** The first result of the group, to show where it failed. */
  example: MailboxResult;
}

// Stands for the quoted mailbox while fixes are compared (no fix text can contain NUL).
const MARK = '\u0000mailbox\u0000';

function normalise(text: string, user: string): string {
  const quoted = mailboxArg(user);
  return text.split(quoted).join(MARK);
}

/** Turns the lines naming the mailbox into one foreach over every mailbox of the group. */
export function loopFix(template: string, users: string[]): string {
  if (!template.includes(MARK)) return template;
  if (users.length === 1) return template.split(MARK).join(mailboxArg(users[0]!));
  const list = `@(${users.map(mailboxArg).join(', ')})`;
  const out: string[] = [];
  const src = template.split('\n');
  for (let i = 0; i < src.length; ) {
    if (!src[i]!.includes(MARK)) {
      out.push(src[i++]!);
      continue;
    }
    // Consecutive lines about the mailbox go into one loop body, at their own indentation.
    const indent = /^\s*/.exec(src[i]!)![0];
    out.push(`${indent}foreach ($m in ${list}) {`);
    while (i < src.length && src[i]!.includes(MARK)) out.push(`${indent}  ${src[i++]!.trimStart().split(MARK).join('$m')}`);
    out.push(`${indent}}`);
  }
  return out.join('\n');
}

export function groupByCause(run: RunResult): CauseGroup[] {
  const labelOf = checkLabeller(run.results);
  const groups = new Map<string, CauseGroup & { template: string; users: string[] }>();
  for (const r of run.results) {
    if (r.ok) continue;
    const findings = r.diagnosis.length
      ? r.diagnosis
      : [{ id: `${r.failedStage ?? 'check'}-failed`, summary: `${r.failedStage} failed: ${r.stages.find((s) => !s.ok)?.detail ?? ''}`, cause: 'No rule recognised this failure; the stages and transcript (--verbose) show what the server said.', fix: 'Run again with --verbose for this mailbox.', severity: 'error' as const }];
    for (const d of findings) {
      const template = normalise(d.fix, r.user);
      const summary = d.summary.split(r.user).join('<mailbox>');
      const key = `${d.id}\u0000${template}\u0000${d.severity === 'advisory' ? '' : summary}`;
      const label = labelOf(r);
      const g = groups.get(key);
      if (g) {
        if (!g.mailboxes.includes(label)) g.mailboxes.push(label);
        if (!g.users.includes(r.user)) g.users.push(r.user);
      } else groups.set(key, { id: d.id, summary: d.summary, cause: d.cause.split(r.user).join('the mailbox'), fix: '', ...(d.docs ? { docs: d.docs } : {}), severity: d.severity, mailboxes: [label], example: r, template, users: [r.user] });
    }
  }
  return [...groups.values()].map(({ template, users, ...g }) => ({
    ...g,
    summary: users.length > 1 ? g.summary.split(users[0]!).join('each mailbox') : g.summary,
    fix: loopFix(template, users),
  }));
}

/** Words wrapped to `width` after `prefix`; a word longer than the line is left whole. */
export function wrap(text: string, width: number, prefix: string, first = prefix): string[] {
  const out: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > width) {
      out.push(line);
      line = prefix;
      empty = true;
    }
    line += (empty ? '' : ' ') + word;
    empty = false;
  }
  out.push(line);
  return out;
}

export function renderGroups(run: RunResult, opts: { color: boolean; width: number }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const groups = groupByCause(run);
  if (!groups.length) return '';
  const w = Math.max(opts.width, 40);
  const failed = run.results.filter((r) => !r.ok).length;
  const out = [c.bold(`Causes (${groups.length} for ${failed} failed check${failed === 1 ? '' : 's'})`), ''];
  for (const g of groups) {
    const mark = g.severity === 'advisory' ? c.yellow('!') : c.red('✖');
    out.push(...wrap(`${p(g.summary)} [${g.id}]`, w, '    ', `  ${mark} `));
    const at = g.example.failedStage ? ` (failed at ${g.example.failedStage}, exit ${g.example.exitCode})` : '';
    out.push(...wrap(`${g.mailboxes.length} mailbox${g.mailboxes.length === 1 ? '' : 'es'}${at}: ${g.mailboxes.map(p).join(', ')}`, w, '      ', '    '));
    out.push(...wrap(`Why: ${lines(g.cause)}`, w, '      ', '    '));
    // Prose lines wrap; indented lines are commands and are never broken (they must paste whole).
    lines(g.fix).split('\n').forEach((l, i) => {
      const first = i === 0 ? '    Fix: ' : '      ';
      if (/^\s/.test(l)) out.push(`${first}${l}`);
      else out.push(...wrap(l, w, '      ', first));
    });
    if (g.docs) out.push(c.dim(`    Docs: ${p(g.docs)}`));
    out.push('');
  }
  return `${out.join('\n')}`;
}
