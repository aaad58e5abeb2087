import type { CredentialSource } from '../config/types.js';
import type { TokenClaims } from './claims.js';
import type { ProxyFailure } from '../net/proxy.js';

export interface TokenError {
  /**
   * server: the token endpoint answered with an error; network/timeout: it could not be reached;
   * misbehaved: it answered with something no token endpoint sends (a reply over the size cap, an
   * access_token that is not a string).
   */
  kind: 'server' | 'network' | 'timeout' | 'empty-token' | 'client' | 'misbehaved';
  /** One line, secrets already absent. */
  message: string;
  /** The OAuth error, e.g. invalid_client. */
  oauthError?: string;
  /** The AADSTS number, e.g. 7000215. */
  aadsts?: number;
  /** Entra's description, without the trace/correlation trailer. */
  description?: string;
  httpStatus?: number;
  correlationId?: string;
  traceId?: string;
  timestamp?: string;
  retryAfterSeconds?: number;
  /** The proxy (--proxy, HTTPS_PROXY, …) refused, wanted authentication or was not there. */
  proxy?: ProxyFailure;
}

/** What the report shows about the token. Never holds the token itself. */
export interface TokenReport {
  source: CredentialSource;
  ok: boolean;
  claims?: TokenClaims;
  expiresAt?: string;
  error?: TokenError;
  ms: number;
  /** HTTP requests made to the identity platform for this token. */
  requests: number;
  /** A user's sign-in: the account MSAL signed in (an opaque personal-account token has no claims to name it). */
  account?: string;
  /** Served from the --token-cache file without a request. */
  fromCache?: boolean;
  /** A user's sign-in kept in --token-cache: the times the file records (never a token). */
  signIn?: SignInRecord;
  /** Attempts made, when retried. */
  attempts?: number;
}

export interface SignInRecord {
  /** When the user last signed in (device code, browser) into this cache. */
  signedInAt?: string;
  /** When the refresh token now in the cache arrived (the sign-in, or a refresh that rolled it). */
  refreshTokenIssuedAt?: string;
  /** When the refresh token this run found had arrived: how long it had gone unused. */
  foundIssuedAt?: string;
  /** This run stored a new refresh token. */
  renewed: boolean;
}

export interface TokenResult {
  report: TokenReport;
  /** The access token; kept apart from the report so it cannot be serialised by accident. */
  token?: string;
}

/** One line for a token error: "AADSTS7000215: Invalid client secret …" (the code once). */
export function tokenErrorLine(e: TokenError | undefined): string {
  if (!e) return 'failed';
  const text = e.description ?? e.message;
  return e.aadsts && !text.startsWith(`AADSTS${e.aadsts}`) ? `AADSTS${e.aadsts}: ${text}` : text;
}
