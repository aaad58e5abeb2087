// --check-app, the pure part: Microsoft Graph's application object (passwordCredentials,
// keyCredentials) → every secret and certificate with its end date and days left. Graph never
// returns a secret's value (secretText is null on reads); `hint` is its first 3 characters.

export type AppCredentialKind = 'secret' | 'certificate';
export type AppCredentialState = 'ok' | 'expiring' | 'expired';

export interface AppCredential {
  kind: AppCredentialKind;
  /** displayName, else the hint (secrets) or the thumbprint (certificates), else the keyId. */
  name: string;
  displayName?: string;
  keyId?: string;
  /** Secrets: the first 3 characters Graph shows for them. */
  hint?: string;
  /** Certificates: SHA-1 thumbprint (upper-case hex), from customKeyIdentifier. */
  thumbprint?: string;
  endDateTime?: string;
  /** Days until endDateTime, one decimal, negative once expired. */
  daysLeft?: number;
  state: AppCredentialState;
}

export interface AppCheckError {
  /** forbidden: the token lacks Application.Read.All (HTTP 403); the others as named. */
  kind: 'forbidden' | 'not-found' | 'unauthorized' | 'token' | 'network' | 'http' | 'malformed';
  message: string;
  httpStatus?: number;
  /** Graph's error.code, e.g. Authorization_RequestDenied. */
  code?: string;
}

export interface AppCheck {
  appId: string;
  /** The Graph URL read (no secret in it). */
  url: string;
  ok: boolean;
  displayName?: string;
  credentials: AppCredential[];
  error?: AppCheckError;
}

const DAY_MS = 86_400_000;
const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v : undefined);

/**
 * Graph's customKeyIdentifier is Edm.Binary, base64 in JSON; for an uploaded certificate it holds
 * the SHA-1 thumbprint. Some tools show it as hex already: both are read, anything else dropped.
 */
export function thumbprintOf(customKeyIdentifier: unknown): string | undefined {
  const v = str(customKeyIdentifier);
  if (!v) return undefined;
  if (/^[0-9a-fA-F]{40}$/.test(v)) return v.toUpperCase();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return undefined;
  const bytes = Buffer.from(v, 'base64');
  return bytes.length === 20 ? bytes.toString('hex').toUpperCase() : undefined;
}

export function credentialState(endDateTime: string | undefined, now: Date, warnDays: number): { daysLeft?: number; state: AppCredentialState } {
  const end = endDateTime ? Date.parse(endDateTime) : NaN;
  if (!Number.isFinite(end)) return { state: 'ok' };
  const left = end - now.getTime();
  const daysLeft = Math.floor((left / DAY_MS) * 10) / 10;
  return { daysLeft, state: left <= 0 ? 'expired' : left <= warnDays * DAY_MS ? 'expiring' : 'ok' };
}

function one(kind: AppCredentialKind, raw: Record<string, unknown>, now: Date, warnDays: number): AppCredential {
  const displayName = str(raw.displayName);
  const keyId = str(raw.keyId);
  const hint = kind === 'secret' ? str(raw.hint)?.slice(0, 3) : undefined;
  const thumbprint = kind === 'certificate' ? thumbprintOf(raw.customKeyIdentifier) : undefined;
  const endDateTime = str(raw.endDateTime) && Number.isFinite(Date.parse(raw.endDateTime as string)) ? new Date(raw.endDateTime as string).toISOString() : undefined;
  const name = displayName ?? (hint ? `${hint}…` : undefined) ?? thumbprint ?? keyId ?? `(unnamed ${kind})`;
  return {
    kind, name,
    ...(displayName ? { displayName } : {}), ...(keyId ? { keyId } : {}), ...(hint ? { hint } : {}), ...(thumbprint ? { thumbprint } : {}), ...(endDateTime ? { endDateTime } : {}),
    ...credentialState(endDateTime, now, warnDays),
  };
}

/** The application object as Graph returned it → its credentials, soonest end first. */
export function readApplication(body: unknown, now: Date, warnDays: number): { displayName?: string; credentials: AppCredential[] } | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const app = body as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object') : []);
  if (!Array.isArray(app.passwordCredentials) && !Array.isArray(app.keyCredentials)) return undefined;
  const credentials = [
    ...list(app.passwordCredentials).map((c) => one('secret', c, now, warnDays)),
    // Only certificates sign client assertions; a symmetric key credential is not one.
    ...list(app.keyCredentials).filter((c) => c.type === undefined || c.type === 'AsymmetricX509Cert').map((c) => one('certificate', c, now, warnDays)),
  ].sort((a, b) => (a.endDateTime ? Date.parse(a.endDateTime) : Infinity) - (b.endDateTime ? Date.parse(b.endDateTime) : Infinity));
  const displayName = str(app.displayName);
  return { ...(displayName ? { displayName } : {}), credentials };
}

/** Graph's error body ({"error":{"code","message"}}) → one of our kinds. */
export function graphError(status: number, body: unknown): AppCheckError {
  const e = body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
  const code = e && typeof e === 'object' ? str((e as Record<string, unknown>).code) : undefined;
  const text = e && typeof e === 'object' ? str((e as Record<string, unknown>).message) : undefined;
  const kind = status === 403 ? 'forbidden' : status === 404 ? 'not-found' : status === 401 ? 'unauthorized' : 'http';
  return { kind, httpStatus: status, ...(code ? { code } : {}), message: `HTTP ${status}${code ? ` ${code}` : ''}${text ? `: ${text.split('\n')[0]!.slice(0, 300)}` : ''}` };
}
