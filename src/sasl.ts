// SASL payloads for OAuth 2.0 over IMAP. Pure functions: no I/O, no logging.
//   XOAUTH2 (Google/Microsoft):  "user=" upn ^A "auth=Bearer " token ^A ^A
//   OAUTHBEARER (RFC 7628):      "n,a=" upn "," ^A "host=" h ^A "port=" p ^A "auth=Bearer " token ^A ^A
const SOH = '\x01';
const CONTROL = /[\x00-\x1f\x7f]/;

function assertField(value: string, what: string): void {
  if (CONTROL.test(value)) throw new Error(`${what} contains control characters`);
}

export function buildXoauth2(user: string, token: string): string {
  assertField(user, 'user');
  assertField(token, 'token');
  return `user=${user}${SOH}auth=Bearer ${token}${SOH}${SOH}`;
}

export function encodeXoauth2(user: string, token: string): string {
  return Buffer.from(buildXoauth2(user, token), 'utf8').toString('base64');
}

export interface Xoauth2Parts {
  user: string;
  token: string;
}

/** Decodes a base64 XOAUTH2 initial response; throws with a reason when it is not one. */
export function decodeXoauth2(encoded: string): Xoauth2Parts {
  const trimmed = encoded.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    throw new Error('not valid base64');
  }
  const raw = Buffer.from(trimmed, 'base64').toString('utf8');
  if (!raw.endsWith(SOH + SOH)) throw new Error('missing the terminating ^A^A');
  const fields = raw.slice(0, -2).split(SOH);
  if (fields.length !== 2) throw new Error(`expected 2 fields, found ${fields.length}`);
  const [userField, authField] = fields as [string, string];
  if (!userField.startsWith('user=')) throw new Error('first field is not user=');
  const auth = /^auth=Bearer (.+)$/i.exec(authField);
  if (!auth?.[1]) throw new Error('second field is not auth=Bearer <token>');
  return { user: userField.slice(5), token: auth[1] };
}

function escapeSaslName(value: string): string {
  return value.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export function buildOauthbearer(user: string, host: string, port: number, token: string): string {
  assertField(user, 'user');
  assertField(token, 'token');
  return [`n,a=${escapeSaslName(user)},`, `host=${host}`, `port=${port}`, `auth=Bearer ${token}`, '', ''].join(SOH);
}

export interface OauthbearerParts {
  user: string;
  host?: string;
  port?: number;
  token: string;
}

export function decodeOauthbearer(encoded: string): OauthbearerParts {
  const raw = Buffer.from(encoded.trim(), 'base64').toString('utf8');
  const gs2 = /^n,a=([^,]*),/.exec(raw);
  if (!gs2) throw new Error('missing the GS2 header n,a=…,');
  const fields = raw.slice(gs2[0].length).split(SOH).filter(Boolean);
  const parts: OauthbearerParts = { user: gs2[1]!.replace(/=2C/g, ',').replace(/=3D/g, '='), token: '' };
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = field.slice(0, eq);
    const value = field.slice(eq + 1);
    if (key === 'host') parts.host = value;
    else if (key === 'port') parts.port = Number(value);
    else if (key === 'auth') parts.token = value.replace(/^Bearer /i, '');
  }
  if (!parts.token) throw new Error('missing auth=Bearer <token>');
  return parts;
}

/** The JSON a server sends in a `+ <base64>` error challenge (RFC 7628 §3.2.2). */
export interface SaslErrorChallenge {
  status?: string;
  schemes?: string;
  scope?: string;
  [key: string]: unknown;
}

/** Decodes an error challenge; returns null for anything that is not base64 JSON. */
export function decodeErrorChallenge(encoded: string): SaslErrorChallenge | null {
  const text = encoded.trim();
  if (!text || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as SaslErrorChallenge) : null;
  } catch {
    return null;
  }
}
