import type { CloudName } from '../config/clouds.js';
import type { CredentialSource } from '../config/types.js';
import type { ProbeResult } from '../imap/types.js';
import type { TokenReport } from '../token/types.js';

/** Everything a rule may read. Pure data: no secrets, no I/O. */
export interface DiagnosisContext {
  user: string;
  host: string;
  tenant?: string;
  clientId?: string;
  scope: string;
  /** The Microsoft 365 cloud (--cloud); absent means worldwide. Fixes name its hosts and scopes. */
  cloud?: CloudName;
  credential: CredentialSource;
  token: TokenReport;
  probe?: ProbeResult;
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
}
