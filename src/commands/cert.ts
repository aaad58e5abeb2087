// `imap-oauth cert new`: a certificate credential for the app registration, made locally. Writes
// an RSA 2048 key (imap-oauth.key, mode 0600), a self-signed certificate to upload to Entra ID
// (imap-oauth.cer, PEM: the portal takes .cer/.pem/.crt) and both together (imap-oauth.pem, mode
// 0600: the file `imap-oauth test --cert` takes), then prints the thumbprints, the validity and
// what to do next. The private key is never printed.
import { chmod, lstat, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { selfSignedClientCertificate, x509, type KeyAndCert } from '../x509.js';
import { loadCertificatePem } from '../token/certificate.js';
import { ConfigError, errorMessage } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

export const DEFAULT_SUBJECT = 'CN=imap-oauth';
export const DEFAULT_DAYS = 365;
/**
 * At most two years. Entra ID itself would take a longer-lived certificate, but Microsoft
 * recommends short-lived credentials (client secrets are capped at 24 months, with under 12
 * recommended); the same limit here means a leaked key stops working within two years at most.
 */
export const MAX_DAYS = 730;
/** At or below this many days of validity, `cert new` warns that the certificate expires soon. */
export const WARN_DAYS = 30;

export const FILE_NAMES = { key: 'imap-oauth.key', cer: 'imap-oauth.cer', pem: 'imap-oauth.pem' } as const;

const DAY = 86_400_000;
/** notBefore is this far in the past, so that a clock a little behind still accepts the certificate. */
const BACKDATE = 60_000;

const SUBJECT_EXAMPLE = 'e.g. "CN=imap-oauth" or "CN=imap-oauth, O=Contoso"';

/**
 * Validates a distinguished name such as `CN=imap-oauth, O=Contoso` and returns it trimmed.
 * @peculiar/x509's parser skips what it does not understand ("garbage" parses as an empty name),
 * so every comma- or plus-separated part must also come out as one non-empty attribute.
 */
export function parseSubject(value: unknown): string {
  if (value === undefined) return DEFAULT_SUBJECT;
  const text = typeof value === 'string' ? value.trim() : '';
  const bad = (why: string) =>
    new ConfigError(`invalid --subject ${JSON.stringify(String(value))}: ${why} (${SUBJECT_EXAMPLE})`);
  if (!text) throw bad('empty');
  if (/[\x00-\x1f\x7f]/.test(text)) throw bad('contains control characters');
  const parts = text.split(/(?<!\\)[,+]/);
  for (const part of parts) {
    if (!/^\s*(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)=\S/.test(part)) {
      throw bad(`"${part.trim()}" is not TYPE=value`);
    }
  }
  let name: x509.Name;
  try {
    name = new x509.Name(text);
  } catch {
    throw bad('unknown attribute type (use upper-case types such as CN, O, OU, L, ST, C, or an OID)');
  }
  const values = name.toJSON().flatMap((rdn) => Object.values(rdn).flat());
  if (values.length !== parts.length || values.some((v) => !String(v).trim())) {
    throw bad('not a distinguished name');
  }
  return text;
}

/** Validates --days: a whole number from 1 to 730. */
export function parseDays(value: unknown): number {
  if (value === undefined) return DEFAULT_DAYS;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_DAYS) {
    throw new ConfigError(
      `invalid --days ${JSON.stringify(String(value))}: expected a whole number of days from 1 to ${MAX_DAYS} (Microsoft recommends short-lived credentials: make a new certificate before this one expires)`,
    );
  }
  return n;
}

export interface CreateCertificateInput {
  /** Distinguished name, e.g. `CN=imap-oauth`. */
  subject: string;
  /** Validity in days, 1 to 730. */
  days: number;
  /** Defaults to the current time. notBefore is one minute before it (clock skew). */
  now?: Date;
}

/**
 * A new RSA 2048 key and a self-signed SHA-256 certificate for it (key usage digitalSignature,
 * extended key usage clientAuth), valid from one minute before `now` for exactly `days` days.
 * Touches no file. Throws ConfigError for a bad subject or number of days.
 */
export async function createCertificate(input: CreateCertificateInput): Promise<KeyAndCert> {
  const subject = parseSubject(input.subject);
  const days = parseDays(input.days);
  const nowMs = Math.floor((input.now ?? new Date()).getTime() / 1000) * 1000; // X.509 times have whole seconds
  const notBefore = new Date(nowMs - BACKDATE);
  return selfSignedClientCertificate(subject, notBefore, new Date(notBefore.getTime() + days * DAY));
}

/** A path as the user would type it: relative to `cwd` when inside it, else absolute. */
function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Quoted when it has anything but plain path characters: the same in bash/zsh and PowerShell where possible. */
export function shellArg(value: string): string {
  if (/^[A-Za-z0-9_\/.:@%+=,-]+$/.test(value)) return value;
  if (!value.includes("'")) return `'${value}'`;
  if (!/[$`"\\!]/.test(value)) return `"${value}"`;
  return `'${value.replace(/'/g, "'\\''")}'`; // bash/zsh
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ConfigError(`cannot check ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
}

function refuseOverwrite(existing: string[]): ConfigError {
  const list = existing.length === 1 ? existing[0] : `${existing.slice(0, -1).join(', ')} and ${existing.at(-1)}`;
  return new ConfigError(`refusing to overwrite ${list}: pass --force to replace ${existing.length === 1 ? 'it' : 'them'}, or choose another directory with --out DIR`);
}

export async function runCertNew(flags: Record<string, unknown>, io: Io, cwd: string): Promise<number> {
  const subject = parseSubject(flags.subject);
  const days = parseDays(flags.days);
  const force = flags.force === true;
  if (flags.out !== undefined && (typeof flags.out !== 'string' || !flags.out.trim())) {
    throw new ConfigError('invalid --out: expected a directory');
  }
  const dir = resolve(cwd, typeof flags.out === 'string' ? flags.out : '.');
  try {
    if (!(await stat(dir)).isDirectory()) throw new ConfigError(`--out ${dir} is not a directory`);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`cannot use --out ${dir}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
    }
  }
  const paths = { key: join(dir, FILE_NAMES.key), cer: join(dir, FILE_NAMES.cer), pem: join(dir, FILE_NAMES.pem) };
  if (!force) {
    const existing: string[] = [];
    for (const p of Object.values(paths)) if (await exists(p)) existing.push(p);
    if (existing.length) throw refuseOverwrite(existing);
  }

  const { keyPem, certPem } = await createCertificate({ subject, days });

  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new ConfigError(`cannot create directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
  const files: Array<[path: string, text: string, mode: number]> = [
    [paths.key, keyPem, 0o600],
    [paths.cer, certPem, 0o644],
    [paths.pem, `${keyPem}${certPem}`, 0o600],
  ];
  const written: string[] = [];
  try {
    for (const [path, text, mode] of files) {
      // A new file every time ('wx'): never write through a symlink or into a file another
      // process opened; the mode is set at creation and again after, since the umask may narrow it.
      if (force) await rm(path, { force: true });
      try {
        await writeFile(path, text, { mode, flag: 'wx' });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw refuseOverwrite([path]);
        throw new ConfigError(`cannot write ${path}: ${code ?? errorMessage(err)}`);
      }
      written.push(path);
      await chmod(path, mode);
    }
  } catch (err) {
    // Leave no half-made credential behind.
    await Promise.all(written.map((p) => rm(p, { force: true }).catch(() => undefined)));
    throw err;
  }

  // Read back what `imap-oauth test --cert` will read: proves the file loads, and gives the thumbprints.
  const loaded = loadCertificatePem(await readFile(paths.pem, 'utf8'), paths.pem);
  const pemArg = shellArg(displayPath(paths.pem, cwd));
  const cerShown = displayPath(paths.cer, cwd);
  io.out(
    [
      'Wrote',
      `  private key   ${paths.key}  (mode 0600: keep it secret, never upload it)`,
      `  certificate   ${paths.cer}  (upload this one)`,
      `  key + cert    ${paths.pem}  (mode 0600: for imap-oauth test --cert)`,
      '',
      'Certificate (self-signed, RSA 2048, SHA-256)',
      `  subject       ${loaded.subject}`,
      `  not before    ${loaded.notBefore.toISOString()}`,
      `  not after     ${loaded.notAfter.toISOString()}  (${days} day${days === 1 ? '' : 's'})`,
      `  SHA-1         ${loaded.thumbprintSha1}  (the thumbprint the Entra portal shows)`,
      `  SHA-256       ${loaded.thumbprintSha256}  (the thumbprint MSAL sends, x5t#S256)`,
      '',
      'Next',
      `  1. Upload ${cerShown}: Entra admin center → App registrations → the app → Certificates & secrets →`,
      `     Certificates → Upload certificate. The portal then lists thumbprint ${loaded.thumbprintSha1}.`,
      `  2. imap-oauth test --cert ${pemArg} --tenant <tenant> --client-id <app-id> --user <mailbox>`,
      `  Make and upload a new certificate before ${loaded.notAfter.toISOString().slice(0, 10)}.`,
      '',
    ].join('\n'),
  );
  if (days <= WARN_DAYS) {
    io.err(
      `imap-oauth: warning: the certificate expires within ${WARN_DAYS} days (--days ${days}, not after ${loaded.notAfter.toISOString()}): after that Entra ID rejects it and token requests fail\n`,
    );
  }
  return ExitCode.OK;
}
