// Where a configuration value came from, so an error can say where to fix it.
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError, fileErrorReason } from '../errors.js';
import { decodeText, readFileBounded } from './files.js';

/** The environment variable (also read from the .env file) of each setting that has one. */
export const ENV = {
  user: 'IMAP_OAUTH_USER',
  tenant: 'IMAP_OAUTH_TENANT_ID',
  clientId: 'IMAP_OAUTH_CLIENT_ID',
  secret: 'IMAP_OAUTH_CLIENT_SECRET',
  secretFile: 'IMAP_OAUTH_CLIENT_SECRET_FILE',
  cert: 'IMAP_OAUTH_CERT_PATH',
  tokenFile: 'IMAP_OAUTH_ACCESS_TOKEN_FILE',
  certPassphrase: 'IMAP_OAUTH_CERT_PASSPHRASE',
  certPassphraseFile: 'IMAP_OAUTH_CERT_PASSPHRASE_FILE',
  cloud: 'IMAP_OAUTH_CLOUD',
  authMode: 'IMAP_OAUTH_AUTH_MODE',
  authorityHost: 'IMAP_OAUTH_AUTHORITY_HOST',
  scope: 'IMAP_OAUTH_SCOPE',
  host: 'IMAP_OAUTH_HOST',
  port: 'IMAP_OAUTH_PORT',
  proxy: 'IMAP_OAUTH_PROXY',
  protocol: 'IMAP_OAUTH_PROTOCOL',
  caFile: 'IMAP_OAUTH_CA_FILE',
  timeout: 'IMAP_OAUTH_TIMEOUT',
  concurrency: 'IMAP_OAUTH_CONCURRENCY',
  rate: 'IMAP_OAUTH_RATE',
  shard: 'IMAP_OAUTH_SHARD',
  tokenCache: 'IMAP_OAUTH_TOKEN_CACHE',
} as const;

export type Level = 'flag' | 'environment' | 'env-file';

export interface Sourced<T = string> {
  value: T;
  level: Level;
  /** e.g. "--client-id", "IMAP_OAUTH_CLIENT_ID", "IMAP_OAUTH_CLIENT_ID in ./.env" */
  origin: string;
}

export interface EnvFile {
  path: string;
  vars: Record<string, string>;
}

/**
 * Reads the one .env file that applies: --dotenv PATH (or the old spelling --env-file, named by
 * `flag`), else ./.env when present. A UTF-8 byte order mark is dropped (parseEnv would make it
 * part of the first variable's name); a FIFO or device is read within the input deadline.
 */
export function loadEnvFile(explicitPath: string | undefined, cwd: string, flag = '--dotenv'): EnvFile | null {
  if (explicitPath !== undefined && !explicitPath.trim()) throw new ConfigError(`${flag} needs a path: the .env file to read`);
  const path = resolve(cwd, explicitPath ?? '.env');
  let text: string;
  try {
    text = decodeText(readFileBounded(path));
  } catch (err) {
    if (explicitPath === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    const what = explicitPath === undefined ? './.env' : `${flag} ${explicitPath}`;
    throw new ConfigError(`cannot read ${what}: ${fileErrorReason(err)}`);
  }
  // node:util parseEnv follows the same rules as `node --env-file` (quotes, comments, export).
  return { path: explicitPath ?? './.env', vars: parseEnv(text) as Record<string, string> };
}

/**
 * The .env path from the flags. `--env-file` is the old spelling: Node itself (20, 22 and later)
 * looks for `--env-file` anywhere before a `--` in its argv, script arguments included, and ends
 * the process with exit 9 ("node: PATH: not found") before any JavaScript runs when the file is
 * missing (and reads a FIFO itself first). No launcher can intercept that, so `--dotenv` is the
 * spelling that always reaches imap-oauth; the old one still works when Node lets it through.
 */
export function envFileFlag(flags: Record<string, unknown>): { path: string | undefined; flag: string; warning?: string } {
  const dotenv = typeof flags.dotenv === 'string' ? flags.dotenv : undefined;
  const old = typeof flags.envFile === 'string' ? flags.envFile : undefined;
  if (dotenv !== undefined && old !== undefined) throw new ConfigError('--dotenv and --env-file name the same setting: give only --dotenv');
  if (old !== undefined) {
    return { path: old, flag: '--env-file', warning: '--env-file is also read by Node itself, which ends the run with exit 9 when the file is missing: use --dotenv PATH' };
  }
  return { path: dotenv, flag: '--dotenv' };
}

export class Sources {
  constructor(
    private readonly flags: Record<string, unknown>,
    private readonly env: NodeJS.ProcessEnv,
    private readonly envFile: EnvFile | null,
  ) {}

  /** Highest-precedence value of a setting: flag, then environment, then the .env file. */
  get(flag: string | null, envName: string | null): Sourced | undefined {
    for (const level of LEVELS) {
      const found = this.atLevel(level, flag, envName);
      if (found) return found;
    }
    return undefined;
  }

  /** The value of a setting at one level: used to find two credentials at the same level. */
  atLevel(level: Level, flag: string | null, envName: string | null): Sourced | undefined {
    let value: unknown;
    let origin = '';
    if (level === 'flag') {
      value = flag ? this.flags[flagKey(flag)] : undefined;
      origin = flag ?? '';
    } else if (envName) {
      value = level === 'environment' ? this.env[envName] : this.envFile?.vars[envName];
      origin = level === 'environment' ? envName : `${envName} in ${this.envFile?.path}`;
    }
    return typeof value === 'string' && value !== '' ? { value, level, origin } : undefined;
  }
}

export const LEVELS: readonly Level[] = ['flag', 'environment', 'env-file'];

/** commander's camelCase key for a flag: --client-id → clientId. */
export function flagKey(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
