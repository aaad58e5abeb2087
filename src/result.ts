// The run's result: one shape for every renderer (text, JSON, JUnit).
import { ExitCode } from './exit-codes.js';
import type { Diagnosis } from './diagnose/index.js';
import type { ProbeEvidence, StageName, StageResult, TranscriptLine } from './imap/types.js';
import type { TokenReport } from './token/types.js';
import type { CredentialInfo } from './report/credential-info.js';
import type { AppCheck } from './app-check/evaluate.js';

export interface MailboxResult {
  user: string;
  /** The protocol checked (absent in results made before --protocol: IMAP). */
  protocol?: 'imap' | 'pop' | 'smtp';
  host: string;
  port: number;
  ok: boolean;
  exitCode: ExitCode;
  failedStage: StageName | null;
  stages: StageResult[];
  transcript: TranscriptLine[];
  diagnosis: Diagnosis[];
  /** Exchange Online backend server named in the greeting, for support tickets. */
  backend?: string;
  messages?: number;
  evidence?: ProbeEvidence;
}

/** How reports name a check: "user", or "user (protocol)" when the run checked several protocols. */
export function checkLabel(user: string, protocol: string | undefined, byProtocol: boolean): string {
  return byProtocol ? `${user} (${protocol ?? 'imap'})` : user;
}

/** The labeller for a run's results: by protocol only when they span more than one. */
export function checkLabeller(results: readonly MailboxResult[]): (r: MailboxResult) => string {
  const byProtocol = new Set(results.map((r) => r.protocol ?? 'imap')).size > 1;
  return (r) => checkLabel(r.user, r.protocol, byProtocol);
}

export interface RunResult {
  ok: boolean;
  exitCode: ExitCode;
  token: TokenReport;
  results: MailboxResult[];
  /** Mailboxes an interruption kept from being checked (reports must not read these as passed). */
  notRun?: string[];
  /** The credential used, with a certificate's expiry (absent in results made before it was reported). */
  credential?: CredentialInfo;
  /** --check-app: the app registration's secrets and certificates, and the findings about them. */
  app?: AppReport;
}

export interface AppReport extends AppCheck {
  findings: Diagnosis[];
}

const STAGE_EXIT: Record<StageName, ExitCode> = {
  token: ExitCode.TOKEN,
  connect: ExitCode.CONNECTION,
  capability: ExitCode.NO_MECHANISM,
  authenticate: ExitCode.AUTH_REJECTED,
  mailbox: ExitCode.MAILBOX,
  logout: ExitCode.OK,
};

/**
 * The exit code for a failed stage. The capability stage means "no usable mechanism" only when
 * the capabilities were read; a connection lost or silent before that is a connection failure.
 * Likewise 6 means the server rejected the login (NO, BAD, an error challenge, a BYE) or did not
 * answer it in time: a connection dropped in the middle of AUTHENTICATE without any of these is
 * no verdict on the credentials, so it is a connection failure (the stage still says where).
 */
export function exitCodeFor(stage: StageName | null, evidence?: ProbeEvidence): ExitCode {
  if (!stage) return ExitCode.OK;
  if (stage === 'capability' && evidence?.errorCode !== 'NO_MECHANISM') return ExitCode.CONNECTION;
  if (stage === 'authenticate' && evidence?.connectionLost) return ExitCode.CONNECTION;
  // A server that broke the protocol (PREAUTH, an oversized line or literal, a flood) gave no
  // verdict on the token or the mechanism: before the login that is a connection failure.
  if ((stage === 'capability' || stage === 'authenticate') && evidence?.protocolViolation) return ExitCode.CONNECTION;
  return STAGE_EXIT[stage];
}

/** 0 when every mailbox passed, else the code of the earliest failing stage among the failures. */
export function runExitCode(results: MailboxResult[]): ExitCode {
  const failed = results.filter((r) => !r.ok).map((r) => r.exitCode);
  return failed.length ? (Math.min(...failed) as ExitCode) : ExitCode.OK;
}
