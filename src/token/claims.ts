// Decodes (never verifies: the server decides) the claims of an access token that an admin cares
// about. The token itself is never part of the result.

export interface TokenClaims {
  aud?: string | string[];
  iss?: string;
  tid?: string;
  appid?: string;
  azp?: string;
  oid?: string;
  sub?: string;
  roles?: string[];
  scp?: string;
  upn?: string;
  /** The signed-in user in v2 tokens (and personal accounts' id tokens). */
  preferred_username?: string;
  unique_name?: string;
  app_displayname?: string;
  appidacr?: string;
  ver?: string;
  iat?: number;
  nbf?: number;
  exp?: number;
}

const SUMMARY_KEYS: (keyof TokenClaims)[] = [
  'aud', 'iss', 'tid', 'appid', 'azp', 'app_displayname', 'oid', 'sub', 'roles', 'scp', 'upn', 'preferred_username', 'unique_name', 'appidacr', 'ver', 'iat', 'nbf', 'exp',
];

const MAX_EPOCH_SECONDS = 95_617_584_000; // 5000-01-01

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Payload of a compact JWT, or throws "is not a JWT …". */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  if (!JWT.test(token)) throw new Error('is not a JWT (expected three base64url parts separated by dots)');
  const [, payload] = token.split('.');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
  } catch {
    throw new Error('is not a JWT (its payload is not JSON)');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('is not a JWT (its payload is not a JSON object)');
  return value as Record<string, unknown>;
}

/** Only the claims that matter, with their expected types; anything else is dropped. */
export function summariseClaims(payload: Record<string, unknown>): TokenClaims {
  const out: Record<string, unknown> = {};
  for (const key of SUMMARY_KEYS) {
    const value = payload[key];
    if (value === undefined || value === null) continue;
    if (key === 'roles' || key === 'aud') {
      if (Array.isArray(value)) out[key] = value.filter((r) => typeof r === 'string');
      else if (typeof value === 'string') out[key] = key === 'roles' ? [value] : value;
    } else if (key === 'iat' || key === 'nbf' || key === 'exp') {
      // Seconds since 1970; anything outside 0 … year 5000 is junk (and no valid Date).
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_EPOCH_SECONDS) out[key] = value;
    } else if (typeof value === 'string') {
      out[key] = value;
    }
  }
  return out as TokenClaims;
}

/**
 * Accepts what people paste into a token file: the bare token, "Bearer <token>", or the token
 * endpoint's JSON reply. Throws "is empty", "is JSON without …", "contains spaces …" and, unless
 * `opaque` allows any bearer token (Gmail's are not JWTs), "is not a JWT …".
 */
export function normaliseAccessToken(raw: string, opts: { opaque?: boolean } = {}): string {
  let text = raw.trim();
  // JSON that is not an object (an array, a quoted string) is no token and no token reply either.
  if (/^[["]/.test(text)) throw new Error(`is JSON ${text.startsWith('[') ? 'array' : 'string'}: expected the token, "Bearer <token>" or the token endpoint's JSON reply`);
  if (text.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error('looks like JSON but does not parse: expected the token, "Bearer <token>" or the token endpoint\'s JSON reply');
    }
    const token = (json as { access_token?: unknown } | null)?.access_token;
    // A number or an object there is refused (and never turned into text that would pass as a token).
    if (token !== undefined && token !== null && typeof token !== 'string') throw new Error(`is JSON whose "access_token" is ${Array.isArray(token) ? 'an array' : typeof token === 'object' ? 'an object' : `a ${typeof token}`}, not a string`);
    if (typeof token !== 'string') throw new Error('is JSON without an "access_token" string');
    text = token.trim();
  }
  text = text.replace(/^Bearer\s+/i, '');
  if (!text) throw new Error('is empty');
  if (/[\s\x00-\x1f\x7f]/.test(text)) throw new Error('contains spaces, line breaks or control characters: expected only the token');
  if (!opts.opaque) decodeJwtPayload(text);
  return text;
}

/** ISO time of a NumericDate claim, or undefined when it is no valid date. */
export function isoTime(seconds: number | undefined): string | undefined {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return undefined;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function expiresAt(claims: TokenClaims): string | undefined {
  return isoTime(claims.exp);
}
