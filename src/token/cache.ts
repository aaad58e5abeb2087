// --token-cache: MSAL's cache in a file (mode 0600), so back-to-back runs reuse a valid token.
// MSAL keys its cache by environment, client, tenant and scope, not by credential: the file also
// records a fingerprint of the credential, and a cache made with another secret or certificate
// is ignored (and replaced), never silently reused.
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import { isUserSignIn, type Config } from '../config/types.js';
import { ConfigError, fileErrorReason } from '../errors.js';

const FORMAT = 'imap-oauth-token-cache/1';

interface CacheFile {
  format: string;
  credential: string;
  msal: string;
}

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

function readCache(path: string, fingerprint: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`cannot read --token-cache ${path}: ${fileErrorReason(err)}`);
  }
  try {
    const file = JSON.parse(text) as CacheFile;
    return file.format === FORMAT && file.credential === fingerprint && typeof file.msal === 'string' ? file.msal : null;
  } catch {
    return null; // damaged or foreign: start afresh, it is overwritten on success
  }
}

function writeCache(path: string, fingerprint: string, msal: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify({ format: FORMAT, credential: fingerprint, msal } satisfies CacheFile), { mode: 0o600 });
    chmodSync(tmp, 0o600); // mode is masked by umask on create
    renameSync(tmp, path);
  } catch (err) {
    throw new ConfigError(`cannot write --token-cache ${path}: ${fileErrorReason(err)}`);
  }
}

/** The tokens in a serialised MSAL cache: each entry of these sections keeps its token in `secret`. */
export function secretsInMsalCache(serialized: string): string[] {
  let cache: unknown;
  try {
    cache = JSON.parse(serialized);
  } catch {
    return [];
  }
  if (!cache || typeof cache !== 'object') return [];
  const out: string[] = [];
  for (const section of ['AccessToken', 'RefreshToken', 'IdToken']) {
    const entries = (cache as Record<string, unknown>)[section];
    if (!entries || typeof entries !== 'object') continue;
    for (const entry of Object.values(entries as Record<string, unknown>)) {
      const secret = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).secret : undefined;
      if (typeof secret === 'string' && secret) out.push(secret);
    }
  }
  return out;
}

/** `onSecret` hears every token the file holds, before MSAL (or anything else) can print one. */
export function fileCachePlugin(path: string, fingerprint: string, onSecret?: (value: string) => void): ICachePlugin {
  return {
    async beforeCacheAccess(ctx: TokenCacheContext) {
      const data = readCache(path, fingerprint);
      if (data && onSecret) for (const secret of secretsInMsalCache(data)) onSecret(secret);
      if (data) ctx.tokenCache.deserialize(data);
    },
    async afterCacheAccess(ctx: TokenCacheContext) {
      if (ctx.cacheHasChanged) writeCache(path, fingerprint, ctx.tokenCache.serialize());
    },
  };
}
