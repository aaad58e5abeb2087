import type { LoadedCertificate } from '../token/certificate.js';
import type { CloudName } from './clouds.js';
import type { ConnectTo } from './connect-to.js';
import type { AuthMode } from './validate.js';
import type { ProxySettings } from '../net/proxy.js';
import type { Protocol } from '../probe/dispatch.js';
import type { Rate } from '../batch/rate.js';
import type { Shard } from '../batch/shard.js';

export type SaslMechanism = 'XOAUTH2' | 'OAUTHBEARER';

export type CredentialSource = 'client-secret' | 'certificate' | 'access-token-file' | 'device-code' | 'interactive' | 'refresh-token';

/** A user's sign-in (a public client, delegated token), as opposed to the app's own credential. */
export function isUserSignIn(kind: CredentialSource): boolean {
  return kind === 'device-code' || kind === 'interactive' || kind === 'refresh-token';
}

/** How each credential is named in reports. */
export const CREDENTIAL_TEXT: Record<CredentialSource, string> = {
  'client-secret': 'client secret',
  certificate: 'certificate',
  'access-token-file': 'access token from file',
  'device-code': 'device code sign-in',
  interactive: 'browser sign-in',
  'refresh-token': 'refresh token from the token cache',
};

export type Credential =
  | { kind: 'client-secret'; secret: string; origin: string }
  | { kind: 'certificate'; certificate: LoadedCertificate; path: string; origin: string; /** of an encrypted key, kept only to be redacted */ passphrase?: string }
  | { kind: 'access-token-file'; token: string; path: string; origin: string }
  /** Delegated: the user signs in with a device code; the app is a public client (no credential). */
  | { kind: 'device-code'; origin: string }
  /** Delegated: authorization code with PKCE, the browser redirecting to a loopback port. */
  | { kind: 'interactive'; origin: string; openBrowser: boolean }
  /** Delegated: the refresh token a device-code sign-in left in --token-cache. */
  | { kind: 'refresh-token'; origin: string };

export interface OutputOptions {
  json: boolean;
  /** One JSON line per mailbox as it finishes. */
  jsonl: boolean;
  /** Write a JUnit XML report here. */
  junitPath?: string;
  /** --html: a self-contained HTML report written here. */
  htmlPath?: string;
  /** --nagios: plugin output on stdout, exit 0-3 (OK, WARNING, CRITICAL, UNKNOWN). */
  nagios: boolean;
  /** --prometheus: a node_exporter textfile-collector file written here. */
  prometheusPath?: string;
  /** --warn-days: a certificate credential expiring within this many days is a warning. */
  warnDays: number;
  /** GITHUB_STEP_SUMMARY under GitHub Actions: a Markdown table is appended to it. */
  stepSummaryPath?: string;
  /** Emit ::error annotations (GitHub Actions). */
  githubAnnotations: boolean;
  /** Progress bar on stderr (a terminal, several mailboxes, human output). */
  progress: boolean;
  /** Each stage on stderr as it ends (a terminal, one mailbox, human output, not --nagios). */
  stages?: boolean;
  verbose: boolean;
  color: boolean;
  debug: boolean;
}

/** Everything a run needs, validated before any network I/O. */
export interface Config {
  users: string[];
  /** Tenant GUID or verified domain; absent only with a ready access token. */
  tenant?: string;
  clientId?: string;
  credential: Credential;
  /** entra (Microsoft 365, the default) or generic: a ready, possibly opaque, token for any IMAP server. */
  authMode: AuthMode;
  /** The Microsoft 365 cloud whose defaults were used (authority host, IMAP host, scope). */
  cloud: CloudName;
  authorityHost: string;
  scope: string;
  /** IMAP host and port (and the host of every protocol when --host is given). */
  host: string;
  port: number;
  /** The protocols checked for each mailbox (--protocol), in this order. */
  protocols: Protocol[];
  /** Where POP3 and SMTP AUTH are reached: the cloud's hosts unless --host names one server. */
  popHost: string;
  smtpHost: string;
  /** --port for POP3 or SMTP when that is the only protocol; else the protocol's default. */
  popPort: number;
  smtpPort: number;
  /** SMTP --send-test: the recipient of the one test message (absent: no message is sent). */
  sendTestTo?: string;
  folder: string;
  /** Deadline for each network step. */
  timeoutMs: number;
  /** Extra trusted CA certificates (PEM) for every TLS connection. */
  caPem?: string;
  /** --proxy, HTTPS_PROXY, ALL_PROXY, NO_PROXY: which connections go through which proxy. */
  proxy?: ProxySettings;
  insecure: boolean;
  /** Put the certificate in the client assertion (x5c), for subject name / issuer authentication. */
  sendX5c: boolean;
  /** --connect-to: open connections elsewhere than the host named (TLS still verifies the name). */
  connectTo: ConnectTo[];
  /** Plain IMAP upgraded with STARTTLS (port 143) instead of implicit TLS. */
  starttls: boolean;
  /** SASL mechanism: XOAUTH2 (what Exchange Online offers) or OAUTHBEARER (RFC 7628). */
  mech: SaslMechanism;
  /** Mailboxes probed at once. */
  concurrency: number;
  /** Extra attempts for transient failures only. */
  retries: number;
  /** --rate: connection starts per second across the batch (a token bucket). */
  rate?: Rate;
  /** --shard i/n: only this slice of the mailboxes. */
  shard?: Shard;
  /** --resume FILE: a previous --jsonl output whose finished checks are skipped (only read). */
  resume?: { path: string; given: string };
  /** Persist MSAL's token cache here (mode 0600). */
  tokenCachePath?: string;
  /** Ignore a cached token (a new one is still written to the cache). */
  freshToken: boolean;
  /** --check-app: read the app registration's secrets and certificates from Microsoft Graph. */
  checkApp: boolean;
  output: OutputOptions;
  /** Human-readable notes about where settings came from (for --verbose). */
  warnings: string[];
}

/** Authority host, IMAP host and scope come from the cloud (clouds.ts). */
export const DEFAULTS = {
  port: 993,
  folder: 'INBOX',
  timeoutSeconds: 15,
  concurrency: 8,
  retries: 0,
} as const;

export const LIMITS = { concurrency: 64, retries: 10 } as const;
