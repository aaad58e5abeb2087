import type { ProxyFailure } from '../net/proxy.js';

export type StageName = 'token' | 'connect' | 'capability' | 'authenticate' | 'mailbox' | 'logout';

export const PROBE_STAGES: readonly StageName[] = ['connect', 'capability', 'authenticate', 'mailbox', 'logout'];

export type ProtocolViolationKind = 'preauth' | 'line-too-long' | 'literal-too-large' | 'response-too-large' | 'too-many-tokens' | 'flood';

export interface StageResult {
  name: StageName;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface TranscriptLine {
  dir: 'C' | 'S';
  text: string;
}

export interface PeerCertificate {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  altNames?: string;
}

/** What the probe saw, for the diagnosis rules. Never holds a secret. */
export interface ProbeEvidence {
  /** Node/imapflow error code: ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED, … */
  errorCode?: string;
  errorMessage?: string;
  timedOut?: StageName;
  greeting?: string;
  /** Exchange Online's backend server, decoded from the greeting. */
  backend?: string;
  capabilities?: string[];
  /** The SASL mechanism used (or asked for). */
  mechanism?: 'XOAUTH2' | 'OAUTHBEARER';
  /** AUTHENTICATE itself was answered OK. */
  authenticated: boolean;
  /** Tagged NO/BAD text of the failing command, without tag and status ("AUTHENTICATE failed."). */
  serverResponse?: string;
  serverStatus?: 'NO' | 'BAD';
  /** Response code in brackets, e.g. AUTHENTICATIONFAILED. */
  serverResponseCode?: string;
  /** Decoded SASL error challenge ({"status":"401",…}). */
  saslChallenge?: Record<string, unknown>;
  /** The text of a BYE the server sent (greeting, or in answer to a command). */
  bye?: string;
  /** Before any greeting the server sent bytes that are not IMAP (escaped, cut short). */
  notImap?: { firstLine: string };
  /** The connection ended without a verdict: no NO/BAD, no BYE, no error challenge, no timeout. */
  connectionLost?: boolean;
  /**
   * The server broke the protocol and the session was ended: a PREAUTH greeting (the token is then
   * never sent), a line, literal or response over the probe's limits, or a flood of lines.
   */
  protocolViolation?: { kind: ProtocolViolationKind; detail: string };
  tls?: { protocol?: string; cipher?: string; peer?: PeerCertificate };
  /** A TLS verification failure, with the certificate that was presented. */
  tlsFailure?: { code: string; peer?: PeerCertificate };
  mailbox?: { folder: string; exists?: number };
  /** Stopped by Ctrl-C before it finished. */
  interrupted?: boolean;
  /** The proxy (--proxy, ALL_PROXY) refused, wanted authentication or was not there. */
  proxy?: ProxyFailure;
  /** The protocol the probe spoke (src/probe/); absent means IMAP. */
  protocol?: 'imap' | 'pop' | 'smtp';
  /** SMTP: the reply that failed the step, and the command it answered. */
  smtpReply?: { command: string; code: number; enhanced?: string; text: string };
  /** SMTP: STARTTLS was not offered, so nothing was authenticated (never AUTH in clear). */
  noStartTls?: boolean;
  /** SMTP --send-test: the message was accepted for this recipient (the server's reply text). */
  smtpSent?: { recipient: string; reply: string };
}

export interface ProbeResult {
  user: string;
  host: string;
  port: number;
  ok: boolean;
  failedStage: StageName | null;
  stages: StageResult[];
  transcript: TranscriptLine[];
  evidence: ProbeEvidence;
}
