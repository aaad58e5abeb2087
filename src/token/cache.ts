// --token-cache: MSAL's cache in a file (mode 0600), so back-to-back runs reuse a valid token.
// MSAL keys its cache by environment, client, tenant and scope, not by credential: the file also
// records a fingerprint of the credential, and a cache made with another secret or certificate
// is ignored (and replaced), never silently reused.
//
// The file is only ever one of ours: an existing path that is not a regular file holding an
// imap-oauth cache (a .env, notes, a link, a FIFO, /dev/null) is refused, never replaced or
// deleted; the new cache is written to an exclusive temporary file (0600 from the open) and renamed.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import { isUserSignIn, type Config } from '../config/types.js';
import { ConfigError, fileErrorReason } from '../errors.js';
import { checkWritable, inspectExisting, kindText, readBounded, writeFileAtomic } from '../safe-file.js';

const FORMAT = 'imap-oauth-token-cache/1';
/** Any version of our format is ours to replace or delete. */
const FORMAT_PREFIX = 'imap-oauth-token-cache/';
/** A cache holds a few tokens (kilobytes): anything far larger is not one of ours. */
const MAX_CACHE_BYTES = 8 * 1024 * 1024;

interface CacheFile {
  format: string;
  credential: string;
  msal: string;
  /** A user's sign-in (device code, browser): when it happened. Absent in older caches. */
  signedInAt?: string;
  /** When the cache last received a new refresh token (the sign-in, or a refresh that rolled it). */
  refreshedAt?: string;
}

/** What the cache file records about a user's sign-in: timestamps only, never a token. */
export interface SignInTimes {
  signedInAt?: string;
  refreshedAt?: string;
}

const isoOrUndefined = (v: unknown) => (typeof v === 'string' && Number.isFinite(Date.parse(v)) ? new Date(v).toISOString() : undefined);

export function credentialFingerprint(config: Config): string {
  const cred = config.credential;
  // Both delegated flows share one cache: the device-code sign-in fills it, refresh-token reads it.
  const material =
    cred.kind === 'client-secret' ? `secret:${cred.secret}`
    : cred.kind === 'certificate' ? `cert:${cred.certificate.thumbprintSha256}`
    : isUserSignIn(cred.kind) ? 'public-client'
    : 'token';
  return createHash('sha256').update([FORMAT, config.authorityHost, config.tenant, config.clientId, material].join('\0')).digest('hex');
}

export type CacheState = { kind: 'missing' } | { kind: 'empty' } | { kind: 'ours'; file: Partial<CacheFile> };

/**
 * What is at a --token-cache path: nothing, an empty file (from mktemp: nothing to lose), or one
 * of our caches. Anything else is refused in one line (exit 2). Reads never follow a link or
 * block on a FIFO. `shown` is the path as typed.
 */
export function inspectTokenCache(path: string, shown = path, what = '--token-cache'): CacheState {
  let kind;
  try {
    kind = inspectExisting(path);
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${shown}: ${fileErrorReason(err)}`);
  }
  if (kind === 'missing') return { kind: 'missing' };
  if (kind !== 'regular') throw new ConfigError(`${what} ${shown} is ${kindText(kind)}, not an imap-oauth token cache: refusing to use it (give the path of a new or an existing cache file)`);
  let text: string;
  try {
    text = readBounded(path, { maxBytes: MAX_CACHE_BYTES, waitMs: 0, noFollow: true }).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw new ConfigError(`cannot read ${what} ${shown}: ${fileErrorReason(err)}`);
  }
  if (!text.trim()) return { kind: 'empty' };
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch {
    file = undefined;
  }
  const format = file && typeof file === 'object' ? (file as Record<string, unknown>).format : undefined;
  if (typeof format !== 'string' || !format.startsWith(FORMAT_PREFIX)) {
    throw new ConfigError(`${what} ${shown} is not an imap-oauth token cache (it holds something else): refusing to touch it (give another path; delete it yourself if it is not needed)`);
  }
  return { kind: 'ours', file: file as Partial<CacheFile> };
}

/** --token-cache at config time: a path (not empty), one of ours or absent, in a writable directory. */
export function resolveTokenCachePath(given: string, cwd: string): string {
  if (!given.trim()) throw new ConfigError('--token-cache needs a path: the file to keep the token in');
  const path = resolve(cwd, given);
  inspectTokenCache(path, given);
  checkWritable(path, '--token-cache', given);
  return path;
}

/** The MSAL payload when it is a JSON object: anything else (damaged, null) is started afresh. */
function usablePayload(msal: unknown): string | null {
  if (typeof msal !== 'string') return null;
  try {
    const parsed: unknown = JSON.parse(msal);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? msal : null;
  } catch {
    return null;
  }
}

function readCache(path: string, fingerprint: string): { msal: string; times: SignInTimes } | null {
  const state = inspectTokenCache(path);
  if (state.kind !== 'ours') return null;
  const { file } = state;
  // Another version, another credential, or a damaged payload: start afresh; replaced on success.
  const msal = file.format === FORMAT && file.credential === fingerprint ? usablePayload(file.msal) : null;
  if (!msal) return null;
  const signedInAt = isoOrUndefined(file.signedInAt);
  const refreshedAt = isoOrUndefined(file.refreshedAt);
  return { msal, times: { ...(signedInAt ? { signedInAt } : {}), ...(refreshedAt ? { refreshedAt } : {}) } };
}

function writeCache(path: string, fingerprint: string, msal: string, times: SignInTimes = {}): void {
  writeFileAtomic(path, JSON.stringify({ format: FORMAT, credential: fingerprint, msal, ...times } satisfies CacheFile), {
    mode: 0o600,
    what: '--token-cache',
    // Still ours (or absent) right before the rename: another process may have put a file there.
    beforeReplace: () => void inspectTokenCache(path),
  });
}

/** The refresh tokens of a serialised MSAL cache (to see whether a new one arrived). */
function refreshTokensIn(serialized: string | null): Set<string> {
  return new Set(serialized ? secretsInMsalCache(serialized, ['RefreshToken']) : []);
}

/** The tokens in a serialised MSAL cache: each entry of these sections keeps its token in `secret`. */
export function secretsInMsalCache(serialized: string, sections = ['AccessToken', 'RefreshToken', 'IdToken']): string[] {
  let cache: unknown;
  try {
    cache = JSON.parse(serialized);
  } catch {
    return [];
  }
  if (!cache || typeof cache !== 'object') return [];
  const out: string[] = [];
  for (const section of sections) {
    const entries = (cache as Record<string, unknown>)[section];
    if (!entries || typeof entries !== 'object') continue;
    for (const entry of Object.values(entries as Record<string, unknown>)) {
      const secret = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).secret : undefined;
      if (typeof secret === 'string' && secret) out.push(secret);
    }
  }
  return out;
}

export interface SignInTracking {
  /** This run is a user's sign-in (device code, browser): its time is recorded. */
  signIn: boolean;
  /** The times the file held when first read, and (after a write) the times it holds now. */
  onTimes(found: SignInTimes, now: SignInTimes): void;
}

/**
 * `onSecret` hears every token the file holds, before MSAL (or anything else) can print one.
 * `track` (delegated flows): the file also records when the user signed in and when a new refresh
 * token last arrived — Entra expires one left unused for 90 days, and each use rolls it.
 */
export function fileCachePlugin(path: string, fingerprint: string, onSecret?: (value: string) => void, track?: SignInTracking): ICachePlugin {
  let found: SignInTimes | undefined;
  let times: SignInTimes = {};
  let lastRead: string | null = null;
  return {
    async beforeCacheAccess(ctx: TokenCacheContext) {
      const data = readCache(path, fingerprint);
      lastRead = data?.msal ?? null;
      times = data?.times ?? {};
      if (!found) {
        found = times;
        track?.onTimes(found, times);
      }
      if (data && onSecret) for (const secret of secretsInMsalCache(data.msal)) onSecret(secret);
      if (!data) return;
      try {
        ctx.tokenCache.deserialize(data.msal);
      } catch {
        // An object MSAL still cannot read (entries of the wrong shape): start afresh.
      }
    },
    async afterCacheAccess(ctx: TokenCacheContext) {
      if (!ctx.cacheHasChanged) return;
      const msal = ctx.tokenCache.serialize();
      if (track) {
        const before = refreshTokensIn(lastRead);
        const arrived = [...refreshTokensIn(msal)].some((t) => !before.has(t));
        const now = new Date().toISOString();
        if (track.signIn && arrived) times = { signedInAt: now, refreshedAt: now };
        else if (arrived) times = { ...times, refreshedAt: now };
      }
      writeCache(path, fingerprint, msal, times);
      lastRead = msal;
      track?.onTimes(found ?? {}, times);
    },
  };
}
