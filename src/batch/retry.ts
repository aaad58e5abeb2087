// Retries for transient failures only: a smoke check reports what it saw, so a rejected
// credential or a refused login is never retried.
import type { ProbeEvidence } from '../imap/types.js';
import type { TokenError } from '../token/types.js';

const TRANSIENT_AADSTS = new Set([50196]);
const TRANSIENT_HTTP = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_SOCKET = /^(ECONNRESET|EPIPE|ETIMEDOUT|ECONNABORTED|EConnectionClosed|NoConnection|ClosedAfterConnectTLS|ClosedAfterConnectText)$/;

export function isTransientTokenError(e: TokenError | undefined): boolean {
  if (!e) return false;
  if (e.kind === 'network') return /ECONNRESET|socket hang up|EPIPE|ETIMEDOUT/i.test(e.message);
  if (e.kind !== 'server') return false;
  return (e.aadsts !== undefined && TRANSIENT_AADSTS.has(e.aadsts)) || (e.httpStatus !== undefined && TRANSIENT_HTTP.has(e.httpStatus));
}

/** A dropped connection or a BYE before authentication finished; never a NO/BAD to AUTHENTICATE. */
export function isTransientProbeFailure(ev: ProbeEvidence): boolean {
  if (ev.serverStatus || ev.tlsFailure || ev.notImap || ev.errorCode === 'NO_MECHANISM' || ev.timedOut) return false;
  if (ev.bye && /(server|service).*(unavailable|busy)|try again|closed/i.test(ev.bye)) return true;
  return TRANSIENT_SOCKET.test(ev.errorCode ?? '');
}

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  random?: () => number;
}

/** Exponential backoff with full jitter, capped; Retry-After (seconds) wins when given, capped too. */
export function backoffMs(attempt: number, retryAfterSeconds?: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 500;
  const cap = opts.capMs ?? 10_000;
  if (retryAfterSeconds !== undefined) return Math.min(retryAfterSeconds * 1000, 60_000);
  const ceiling = Math.min(cap, base * 2 ** attempt);
  return Math.round(ceiling / 2 + (opts.random ?? Math.random)() * (ceiling / 2));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
