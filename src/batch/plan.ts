// Which (mailbox, protocol) checks a run makes: every mailbox × every protocol, cut to this
// --shard, less what --resume found finished. Described, not materialised: the checks are
// generated again when needed (a 100,000-mailbox batch keeps only the users list).
import type { Config } from '../config/types.js';
import type { Io } from '../io.js';
import { printable } from '../printable.js';
import type { Protocol } from '../probe/dispatch.js';
import { checkLabel } from '../result.js';
import { checkKey, type ResumeState } from './resume.js';
import { inShard, type Shard } from './shard.js';

export interface Check {
  user: string;
  protocol: Protocol;
}

export interface Plan {
  /** The pending checks, in the order of the users list. */
  checks(): Generator<Check>;
  /** How many checks() yields. */
  total: number;
  /** Mailboxes in this shard (all of them without --shard). */
  mailboxes: number;
  /** Checks --resume found finished in the previous output. */
  skipped: number;
}

export function planChecks(users: readonly string[], protocols: readonly Protocol[], opts: { shard?: Shard; done?: ReadonlySet<string> } = {}): Plan {
  const mine = opts.shard ? users.filter((u) => inShard(u, opts.shard!)) : users;
  const done = opts.done;
  const pending = (user: string, protocol: Protocol) => !done?.has(checkKey(user, protocol));
  let total = 0;
  for (const user of mine) for (const protocol of protocols) if (pending(user, protocol)) total++;
  return {
    *checks() {
      for (const user of mine) for (const protocol of protocols) if (pending(user, protocol)) yield { user, protocol };
    },
    total,
    mailboxes: mine.length,
    skipped: mine.length * protocols.length - total,
  };
}

/** One line each on stderr for --shard and --resume: what this run takes on. */
export function reportPlan(io: Io, config: Pick<Config, 'shard' | 'resume' | 'protocols'>, plan: Plan, allMailboxes: number, resumed?: ResumeState): void {
  if (config.shard) io.err(`imap-oauth: --shard ${config.shard.index}/${config.shard.count}: ${plan.mailboxes} of ${allMailboxes} mailbox${allMailboxes === 1 ? '' : 'es'}\n`);
  if (config.resume && resumed) {
    const extra = [
      resumed.broken && `${resumed.broken} broken line${resumed.broken === 1 ? '' : 's'} ignored`,
      resumed.tokenFailures && `${resumed.tokenFailures} token failure${resumed.tokenFailures === 1 ? '' : 's'} checked again`,
    ].filter(Boolean);
    const checks = (n: number) => `${n} check${n === 1 ? '' : 's'}`;
    io.err(`imap-oauth: --resume ${printable(config.resume.given)}: ${checks(plan.skipped)} already finished there, skipped; ${checks(plan.total)} to run${extra.length ? ` (${extra.join(', ')})` : ''}\n`);
  }
}

/** The checks of the plan that did not finish, as the reports name them. */
export function notRunChecks(plan: Plan, collected: { isDone(index: number): boolean }, byProtocol: boolean): string[] {
  const out: string[] = [];
  let i = 0;
  for (const c of plan.checks()) if (!collected.isDone(i++)) out.push(checkLabel(c.user, c.protocol, byProtocol));
  return out;
}
