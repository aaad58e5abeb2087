import type { CloudName } from '../config/clouds.js';
import type { CredentialSource } from '../config/types.js';
import type { AuthMode } from '../config/validate.js';
import type { ProbeResult } from '../imap/types.js';
import type { TokenReport } from '../token/types.js';
import type { SecretShape } from './secret-shape.js';

/** Everything a rule may read. Pure data: no secrets, no I/O. */
export interface DiagnosisContext {
  user: string;
  host: string;
  tenant?: string;
  clientId?: string;
  scope: string;
  /** The Microsoft 365 cloud (--cloud); absent means worldwide. Fixes name its hosts and scopes. */
  cloud?: CloudName;
  /** generic: any IMAP server with a ready token, so no Microsoft-specific findings; absent means entra. */
  authMode?: AuthMode;
  credential: CredentialSource;
  /** The shape of the client secret sent (length, quotes, GUID shape: never the value), for AADSTS7000215. */
  secret?: SecretShape;
  token: TokenReport;
  probe?: ProbeResult;
  /** The certificate credential's notAfter (--cert), for the expiry advisory. */
  credentialNotAfter?: Date;
  /** --warn-days: how early a credential's end is worth a word (default 30). */
  warnDays?: number;
  /** Evaluation time, for expiry checks (injected so rules stay pure). */
  now: Date;
}

export interface Diagnosis {
  id: string;
  /** One line: what is wrong. */
  summary: string;
  /** Why this happens, in a sentence or two. */
  cause: string;
  /** What to do, with the user's real values filled in (may span lines: commands). */
  fix: string;
  docs?: string;
  /** advisory: seen in the token before connecting; the server has the final word. */
  severity: 'error' | 'advisory';
}

export interface Rule {
  id: string;
  /** Which evidence it reads, for `explain` and the docs. */
  stage: 'token' | 'claims' | 'connect' | 'capability' | 'authenticate' | 'mailbox';
  /** Words that `explain` matches (AADSTS codes, server texts). */
  keys: string[];
  applies(ctx: DiagnosisContext): boolean;
  diagnose(ctx: DiagnosisContext): Omit<Diagnosis, 'id' | 'severity'>;
  severity?: Diagnosis['severity'];
  /** Only in this --auth-mode (e.g. Exchange Online's own answers only for entra); default both. */
  onlyFor?: AuthMode;
  /** Rules this one replaces when it applies: it names the cause they would only guess at. */
  supersedes?: string[];
}

/** Whether the rule is in play for this run's --auth-mode (it may still not apply). */
export function inMode(rule: Rule, ctx: DiagnosisContext): boolean {
  return !rule.onlyFor || rule.onlyFor === (ctx.authMode ?? 'entra');
}
