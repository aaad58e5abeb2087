// The run's credential as reports show it: which kind, and when a certificate stops working.
import type { Config, CredentialSource } from '../config/types.js';
import { refreshTokenAge, type RefreshTokenAge } from '../token/refresh-age.js';
import type { TokenReport } from '../token/types.js';

/** A user's sign-in (--flow device-code, interactive, refresh-token with --token-cache) adds its refresh token's age. */
export interface CredentialInfo extends RefreshTokenAge {
  kind: CredentialSource;
  /** The certificate's notAfter (ISO 8601); absent for credentials whose end this tool cannot see. */
  notAfter?: string;
  subject?: string;
  thumbprintSha1?: string;
}

export function credentialInfo(config: Config, token?: TokenReport, now = new Date()): CredentialInfo {
  const cred = config.credential;
  if (cred.kind !== 'certificate') return { kind: cred.kind, ...refreshTokenAge(token?.signIn, now) };
  const c = cred.certificate;
  return { kind: cred.kind, notAfter: c.notAfter.toISOString(), subject: c.subject, thumbprintSha1: c.thumbprintSha1 };
}

const DAY_MS = 86_400_000;

/** Days until notAfter (negative once expired), one decimal; undefined without a notAfter. */
export function daysLeft(info: CredentialInfo | undefined, now: Date): number | undefined {
  if (!info?.notAfter) return undefined;
  return Math.floor(((Date.parse(info.notAfter) - now.getTime()) / DAY_MS) * 10) / 10;
}

export type ExpiryState = 'ok' | 'soon' | 'expired' | 'unknown';

export function expiryState(info: CredentialInfo | undefined, now: Date, warnDays: number): ExpiryState {
  if (!info?.notAfter) return 'unknown';
  const leftMs = Date.parse(info.notAfter) - now.getTime();
  if (leftMs <= 0) return 'expired';
  // "Within N days": N days or less remain.
  return leftMs <= warnDays * DAY_MS ? 'soon' : 'ok';
}
