// Validators for configuration values. Each returns the normalised value or throws a plain
// Error whose message says what was expected; `resolve.ts` adds which value and where to set it.
import { CLOUD_NAMES, type CloudName } from './clouds.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/i;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/i;
// Entra ID user principal names allow only these characters (Microsoft's UPN rules).
const UPN_LOCAL = /^[A-Za-z0-9'._!#^~+-]+$/;

/** A validator for one of `names` (case-insensitive); `expected` is the message's wording of them. */
function oneOf<T extends string>(names: readonly T[], expected: string): (value: string) => T {
  return (value) => {
    const v = value.trim().toLowerCase();
    const found = names.find((n) => n === v);
    if (!found) {
      const near = nearest(v, names);
      throw new Error(`expected ${expected}${near ? ` (did you mean ${near}?)` : ''}`);
    }
    return found;
  };
}

/** The one name within two edits of a typo (a third of its length at most), if there is one. */
export function nearest(typed: string, names: readonly string[]): string | undefined {
  const limit = Math.min(2, Math.floor(typed.length / 3));
  const close = names.filter((n) => editDistance(typed, n) <= limit);
  return close.length === 1 ? close[0] : undefined;
}

/** Edits between two words, a swap of neighbours counting as one (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

export const cloud = oneOf<CloudName>(CLOUD_NAMES, `one of ${CLOUD_NAMES.join(', ')}`);

export const GUID_EXAMPLE = '00000000-0000-0000-0000-000000000000';

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

export function guid(value: string): string {
  if (!GUID.test(value)) throw new Error(`expected a GUID like ${GUID_EXAMPLE}`);
  return value.toLowerCase();
}

export function tenant(value: string): string {
  if (GUID.test(value)) return value.toLowerCase();
  if (/^(common|organizations|consumers)$/i.test(value)) {
    throw new Error(`"${value}" cannot be used with app-only (client credentials) tokens: give the tenant's GUID or a verified domain`);
  }
  if (DOMAIN.test(value)) return value.toLowerCase();
  throw new Error('expected the tenant GUID or a verified domain such as contoso.onmicrosoft.com');
}

export function mailAddress(value: string): string {
  if (/[^\x21-\x7e]/.test(value)) {
    throw new Error('contains spaces or non-ASCII characters (a Microsoft 365 user principal name is plain ASCII)');
  }
  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (at <= 0 || !UPN_LOCAL.test(local) || local.length > 113 || !DOMAIN.test(domain)) {
    throw new Error('expected a mailbox address such as someone@contoso.com');
  }
  return value;
}

export function hostname(value: string): string {
  const v = value.trim();
  if (/^\[?[0-9a-f:.]+\]?$/i.test(v) && (v.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(v))) return v.replace(/^\[|\]$/g, '');
  if (!HOSTNAME.test(v)) throw new Error('expected a host name such as outlook.office365.com');
  return v.replace(/\.$/, '');
}

export function port(value: string): number {
  if (!/^\d{1,5}$/.test(value.trim())) throw new Error('expected a port number from 1 to 65535');
  const n = Number(value);
  if (n < 1 || n > 65535) throw new Error('expected a port number from 1 to 65535');
  return n;
}

export function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0) || n > 600) {
    throw new Error('expected a number of seconds greater than 0 and at most 600');
  }
  return n;
}

/** An https origin (scheme, host, optional port); a trailing slash or path is not accepted. */
export function httpsOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('expected an https URL such as https://login.microsoftonline.com');
  }
  if (url.protocol !== 'https:') throw new Error('must use https:// (the token endpoint is never contacted without TLS)');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    throw new Error('expected only scheme, host and port, e.g. https://login.microsoftonline.com');
  }
  return url.origin;
}

export function nonEmpty(value: string): string {
  if (!value.trim()) throw new Error('must not be empty');
  return value;
}

export function scope(value: string): string {
  const v = value.trim();
  if (!v || /\s/.test(v)) throw new Error('expected one scope such as https://outlook.office365.com/.default');
  return v;
}

/** --protocol: imap, pop (also pop3) or smtp, repeatable or comma-separated; in the order given, once each. */
export function protocols(values: readonly string[]): Array<'imap' | 'pop' | 'smtp'> {
  const out: Array<'imap' | 'pop' | 'smtp'> = [];
  for (const word of values.flatMap((v) => v.split(',')).map((w) => w.trim().toLowerCase()).filter(Boolean)) {
    const p = word === 'pop3' ? 'pop' : word;
    if (p !== 'imap' && p !== 'pop' && p !== 'smtp') {
      const near = nearest(word, ['imap', 'pop', 'smtp', 'pop3']);
      throw new Error(`expected imap, pop or smtp (comma-separated or repeated), not ${JSON.stringify(word.slice(0, 20))}${near ? ` (did you mean ${near}?)` : ''}`);
    }
    if (!out.includes(p)) out.push(p);
  }
  if (!out.length) throw new Error('expected imap, pop or smtp');
  return out;
}

export const FLOWS = ['client-credentials', 'device-code', 'interactive', 'refresh-token'] as const;
export type Flow = (typeof FLOWS)[number];

export const flow = oneOf<Flow>(FLOWS, FLOWS.join(', '));

export const AUTH_MODES = ['entra', 'generic'] as const;
/** entra: Microsoft 365 (Entra ID tokens, Exchange Online); generic: a ready token for any IMAP server. */
export type AuthMode = (typeof AUTH_MODES)[number];

export const authMode = oneOf<AuthMode>(AUTH_MODES, AUTH_MODES.join(' or '));

export function mechanism(value: string): 'XOAUTH2' | 'OAUTHBEARER' {
  const v = value.trim().toUpperCase();
  if (v !== 'XOAUTH2' && v !== 'OAUTHBEARER') {
    const near = nearest(v.toLowerCase(), ['xoauth2', 'oauthbearer']);
    throw new Error(`expected xoauth2 or oauthbearer${near ? ` (did you mean ${near}?)` : ''}`);
  }
  return v;
}

export function intInRange(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new Error(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** The multi-tenant aliases: a user's sign-in may use them (personal accounts: consumers or common). */
export const TENANT_ALIASES = ['common', 'organizations', 'consumers'] as const;

/** --tenant for a user's sign-in (device code, browser, refresh token): a tenant, or one of the aliases. */
export function delegatedTenant(value: string): string {
  const alias = TENANT_ALIASES.find((a) => a === value.trim().toLowerCase());
  return alias ?? tenant(value);
}

/**
 * A personal Microsoft account's access token (outlook.com, hotmail.com): opaque, not a JWT — a
 * base64 ticket that starts with "Ew". Accepted in entra mode; its claims cannot be checked.
 */
export function isPersonalAccountToken(raw: string): boolean {
  return /^(?:Bearer\s+)?Ew[A-Za-z0-9+/_-]{100,}={0,2}$/i.test(raw.trim());
}
