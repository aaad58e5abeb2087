// How long a delegated sign-in's refresh token had gone unused, from the times the --token-cache
// file records. Entra ID expires a refresh token left unused for 90 days (AADSTS700082); each
// use returns a new one, so the window starts again at every refresh. Pure.
import type { SignInRecord } from './types.js';

/** Entra's default inactivity limit for refresh tokens (MaxInactiveTime), in days. */
export const REFRESH_TOKEN_INACTIVE_DAYS = 90;
const DAY_MS = 86_400_000;

export interface RefreshTokenAge {
  /** When the user last signed in (device code, browser) into the cache. */
  signedInAt?: string;
  /** When the refresh token now in the cache arrived. */
  refreshTokenIssuedAt?: string;
  /** Days the refresh token had gone unused when this run started (0 for a sign-in now), one decimal. */
  refreshTokenAgeDays?: number;
  /** When the refresh token now in the cache expires if nobody uses it: issued + 90 days. */
  refreshTokenExpiresAt?: string;
  /** This run used the refresh token (or signed in) and stored a new one. */
  refreshTokenRenewed?: boolean;
}

const days = (ms: number) => Math.floor((ms / DAY_MS) * 10) / 10;

export function refreshTokenAge(record: SignInRecord | undefined, now: Date): RefreshTokenAge {
  if (!record) return {};
  const found = record.foundIssuedAt ? Date.parse(record.foundIssuedAt) : NaN;
  const issued = record.refreshTokenIssuedAt ? Date.parse(record.refreshTokenIssuedAt) : NaN;
  // A sign-in in this run starts with a new token: it had gone unused for no time at all.
  const ageDays = Number.isFinite(found) ? Math.max(0, days(now.getTime() - found)) : record.renewed && record.signedInAt === record.refreshTokenIssuedAt && record.signedInAt ? 0 : undefined;
  return {
    ...(record.signedInAt ? { signedInAt: record.signedInAt } : {}),
    ...(record.refreshTokenIssuedAt ? { refreshTokenIssuedAt: record.refreshTokenIssuedAt } : {}),
    ...(ageDays !== undefined ? { refreshTokenAgeDays: ageDays } : {}),
    ...(Number.isFinite(issued) ? { refreshTokenExpiresAt: new Date(issued + REFRESH_TOKEN_INACTIVE_DAYS * DAY_MS).toISOString() } : {}),
    refreshTokenRenewed: record.renewed,
  };
}
