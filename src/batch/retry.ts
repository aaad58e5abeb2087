// Retries for transient failures only: a smoke check reports what it saw, so a rejected
// credential or a refused login is never retried.
import type { ProbeEvidence } from '../imap/types.js';
import type { TokenError } from '../token/types.js';

// Typed to accept a missing value, which is simply not in them.
const TRANSIENT_AADSTS = new Set<number | undefined>([50196]);
const TRANSIENT_HTTP = new Set<number | undefined>([429, 500, 502, 503, 504]);
// imapflow's codes, Node's, and the POP3/SMTP probes' ECONNCLOSED (src/probe/session.ts).
const TRANSIENT_SOCKET = /^(ECONNRESET|EPIPE|ETIMEDOUT|ECONNABORTED|ECONNCLOSED|EConnectionClosed|NoConnection|ClosedAfterConnectTLS|ClosedAfterConnectText)$/;
/** A BYE that says the server is busy or going away, not that it refused the client. */
const TRANSIENT_BYE = /(server|service).*(unavailable|busy)|try again|closed/i;
/** Retry-After is the server's wish, not an order: an hour-long wait would hang the run (CI jobs). */
export const MAX_RETRY_AFTER_MS = 60_000;

export function isTransientTokenError(e: TokenError | undefined): boolean {
  if (!e) return false;
  if (e.kind === 'network') return /ECONNRESET|socket hang up|EPIPE|ETIMEDOUT/i.test(e.message);
  if (e.kind !== 'server') return false;
  return TRANSIENT_AADSTS.has(e.aadsts) || TRANSIENT_HTTP.has(e.httpStatus);
}

/**
 * A dropped connection, or a BYE saying the server is unavailable; never a verdict (NO/BAD, an
 * error challenge), a TLS or protocol failure, a timeout or an interruption (nor NO_MECHANISM,
 * which is no socket code). A BYE decides by its
 * own words: the connection always closes after one, so the socket code says nothing more.
 */
export function isTransientProbeFailure(ev: ProbeEvidence): boolean {
  if (ev.serverStatus || ev.saslChallenge || ev.tlsFailure || ev.notImap || ev.protocolViolation || ev.timedOut || ev.interrupted) return false;
  if (ev.bye) return TRANSIENT_BYE.test(ev.bye);
  return TRANSIENT_SOCKET.test(ev.errorCode ?? '');
}

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  random?: () => number;
}

/**
 * Exponential backoff with jitter (between half the ceiling and the ceiling), capped; a usable
 * Retry-After (seconds) wins, capped at MAX_RETRY_AFTER_MS.
 */
export function backoffMs(attempt: number, retryAfterSeconds?: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 500;
  const cap = opts.capMs ?? 10_000;
  // A missing, negative or non-numeric value is not usable (NaN >= 0 is false).
  if ((retryAfterSeconds ?? NaN) >= 0) return Math.min(retryAfterSeconds! * 1000, MAX_RETRY_AFTER_MS);
  const ceiling = Math.min(cap, base * 2 ** attempt);
  return Math.round(ceiling / 2 + (opts.random ?? Math.random)() * (ceiling / 2));
}

/** Waits `ms`, or until `signal` aborts (at once when it already has: no event would come). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    // The listener goes when the timer fires: retries must not pile listeners onto one signal.
    const onAbort = () => (clearTimeout(timer), resolve());
    const timer = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
