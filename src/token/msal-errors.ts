// MSAL errors → TokenError. MSAL packs Entra's reply into one string:
//   "Error(s): 7000215 - Timestamp: … - Description: AADSTS7000215: … - Correlation ID: … - Trace ID: …"
import { OVERSIZED_MARK, TIMEOUT_MARK } from './network-client.js';
import type { TokenError } from './types.js';

interface MsalLikeError {
  errorCode?: string;
  errorMessage?: string;
  errorNo?: string | number;
  status?: number;
  correlationId?: string;
  message?: string;
}

function field(text: string, name: string): string | undefined {
  const m = new RegExp(`${name}: (.*?)(?= - [A-Z][A-Za-z ]+: |$)`, 's').exec(text);
  return m?.[1]?.trim() || undefined;
}

/** MSAL writes "Not Available" where the reply had no value. */
function known(value: string | undefined): string | undefined {
  return value && !/^not available$/i.test(value) ? value : undefined;
}

/** Anything to a string without throwing (objects without a prototype included). */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Error) return value.message;
  return '';
}

function guidAfter(text: string, label: string): string | undefined {
  return new RegExp(`${label}: ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`, 'i').exec(text)?.[1];
}

export interface ErrorExtras {
  httpStatus?: number;
  retryAfterSeconds?: number;
  /** The network client's own reason for a failure below HTTP. */
  networkError?: string;
  /** The last error reply's JSON, for errors MSAL reduces to one word (device-code polling). */
  errorBody?: Record<string, unknown>;
}

/** An Entra error body → TokenError (error, error_description, error_codes, trace and correlation IDs). */
function fromErrorBody(body: Record<string, unknown>, extra: ErrorExtras): TokenError | undefined {
  const oauthError = asText(body.error);
  if (!oauthError) return undefined;
  const description = asText(body.error_description).replace(/\s*Trace ID:.*$/s, '').trim() || undefined;
  const codes = Array.isArray(body.error_codes) ? body.error_codes : [];
  const aadsts = typeof codes[0] === 'number' ? codes[0] : Number(/AADSTS(\d+)/.exec(description ?? '')?.[1]) || undefined;
  return {
    kind: 'server',
    message: description ?? oauthError,
    oauthError,
    aadsts,
    description,
    httpStatus: extra.httpStatus,
    correlationId: asText(body.correlation_id) || undefined,
    traceId: asText(body.trace_id) || undefined,
    timestamp: asText(body.timestamp) || undefined,
    retryAfterSeconds: extra.retryAfterSeconds,
  };
}

export function toTokenError(err: unknown, extra: ErrorExtras = {}): TokenError {
  const e = (err !== null && typeof err === 'object' ? err : {}) as MsalLikeError;
  const code = asText(e.errorCode);
  const text = (asText(e.errorMessage) || asText(e.message) || asText(err)).replace(/\s+/g, ' ').trim();

  if (code === 'network_error' || code === 'endpoints_resolution_error') {
    // MSAL swaps in its own message; the network client's reason is the one worth showing.
    const reason = extra.networkError ?? text;
    return { kind: reason.includes(TIMEOUT_MARK) ? 'timeout' : reason.includes(OVERSIZED_MARK) ? 'misbehaved' : 'network', message: reason || code };
  }
  const aadstsFromText = /AADSTS(\d+)/.exec(text)?.[1];
  const errorNo = e.errorNo !== undefined && e.errorNo !== '' ? Number(e.errorNo) : undefined;
  const aadsts = aadstsFromText ? Number(aadstsFromText) : Number.isFinite(errorNo) ? errorNo : undefined;
  const rawDescription = field(text, 'Description');
  const description = rawDescription?.replace(/\s*Trace ID:.*$/s, '').trim();
  const status = typeof e.status === 'number' ? e.status : undefined;
  if (aadsts !== undefined || (status !== undefined && status >= 400)) {
    return {
      kind: 'server',
      message: description ?? (text || code),
      oauthError: code || undefined,
      aadsts,
      description,
      httpStatus: status ?? extra.httpStatus,
      // The ID the server reported (what its logs are searched by) before the one MSAL sent.
      correlationId: guidAfter(text, 'Correlation ID') || asText(e.correlationId) || undefined,
      traceId: guidAfter(text, 'Trace ID'),
      timestamp: known(field(text, 'Timestamp')),
      retryAfterSeconds: extra.retryAfterSeconds,
    };
  }
  const fromBody = extra.errorBody && fromErrorBody(extra.errorBody, extra);
  if (fromBody) return fromBody;
  return { kind: 'client', message: code ? `${code}: ${text}` : text, oauthError: code || undefined };
}
