// Where a configuration value came from, so an error can say where to fix it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError, fileErrorReason } from '../errors.js';

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

/** Reads the one .env file that applies: --env-file PATH, else ./.env when present. */
export function loadEnvFile(explicitPath: string | undefined, cwd: string): EnvFile | null {
  const path = resolve(cwd, explicitPath ?? '.env');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (explicitPath === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    const what = explicitPath === undefined ? './.env' : `--env-file ${explicitPath}`;
    throw new ConfigError(`cannot read ${what}: ${fileErrorReason(err)}`);
  }
  // node:util parseEnv follows the same rules as `node --env-file` (quotes, comments, export).
  return { path: explicitPath ?? './.env', vars: parseEnv(text) as Record<string, string> };
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
