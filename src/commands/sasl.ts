// `imap-oauth sasl encode` and `imap-oauth sasl decode`: the SASL codecs of src/sasl.ts as commands.
//   encode prints the base64 initial response: that is what it is for (the user pastes it into
//          openssl s_client or a test), so the token is never registered with the redactor.
//   decode shows what a string holds: mechanism, user, host/port, the token's claims (decoded, not
//          verified) and the token itself only with --show-secrets. Without it, nothing printed
//          contains the token.
import {
  buildOauthbearer,
  buildXoauth2,
  decodeErrorChallenge,
  decodeOauthbearer,
  decodeXoauth2,
} from '../sasl.js';
import { readInputFile } from '../config/files.js';
import { hostname, mailAddress, mechanism, port as portNumber } from '../config/validate.js';
import { ConfigError, errorMessage } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { REDACTED } from '../redact.js';
import { decodeJwtPayload, isoTime, normaliseAccessToken, summariseClaims, type TokenClaims } from '../token/claims.js';

/** Reads a file, or standard input for "-"; `origin` names the flag or argument in errors. */
export type SaslReadInput = (pathOrDash: string, origin: string) => string;

/** The output: `Io`, plus whether stderr is a terminal (defaults to process.stderr.isTTY). */
export interface SaslIo extends Io {
  stderrIsTTY?: boolean;
}

export type SaslMechanism = 'XOAUTH2' | 'OAUTHBEARER';

export const DEFAULT_SASL_HOST = 'outlook.office365.com';
export const DEFAULT_SASL_PORT = 993;

export const defaultReadInput: SaslReadInput = (pathOrDash, origin) => readInputFile(pathOrDash, origin, process.cwd());

/**
 * Writes straight to stdout/stderr. The process-wide redactor also hides anything shaped like a
 * JWT or `Bearer <credential>` whether registered or not, so `--show-secrets` output must bypass it.
 */
export function unredactedIo(stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): SaslIo {
  return {
    out: (text) => void stdout.write(text),
    err: (text) => void stderr.write(text),
    stderrIsTTY: !!(stderr as { isTTY?: boolean }).isTTY,
  };
}

const SOH = '\x01';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const NOT_SASL = 'not an XOAUTH2 or OAUTHBEARER string';

/** ^A for the separator, \xNN for any other control character: one line, no terminal escapes. */
function visible(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (ch) => (ch === SOH ? '^A' : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

function inputName(pathOrDash: string): string {
  return pathOrDash === '-' ? 'standard input' : pathOrDash;
}

function stringFlag(flags: Record<string, unknown>, name: string): string | undefined {
  const value = flags[name];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.length ? String(value[value.length - 1]) : undefined;
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// encode

/**
 * The access token from a token file: the bare token, "Bearer <token>" or the token endpoint's JSON.
 * JWTs as normaliseAccessToken reads them; opaque tokens (Gmail's ya29.…) are accepted too.
 */
export function tokenFromFileText(raw: string, where: string): string {
  try {
    // Any bearer token: encoding one is what the command is for, JWT or not.
    return normaliseAccessToken(raw, { opaque: true });
  } catch (err) {
    throw new ConfigError(`the access token in ${where} ${errorMessage(err)}`);
  }
}

function checked<T>(value: string, check: (v: string) => T, flag: string): T {
  try {
    return check(value);
  } catch (err) {
    throw new ConfigError(`invalid ${flag} ${JSON.stringify(value)}: ${errorMessage(err)}`);
  }
}

/** `sasl encode`: prints the base64 initial response (and nothing else) on stdout. */
export function runSaslEncode(flags: Record<string, unknown>, io: SaslIo, readInput: SaslReadInput = defaultReadInput): ExitCode {
  const userFlag = stringFlag(flags, 'user');
  if (!userFlag) throw new ConfigError('sasl encode needs --user UPN (the mailbox the string logs in to)');
  const user = checked(userFlag, mailAddress, '--user');
  const tokenFile = stringFlag(flags, 'tokenFile');
  if (!tokenFile) throw new ConfigError('sasl encode needs --token-file PATH (or --token-file - for standard input)');
  const mech: SaslMechanism = checked(stringFlag(flags, 'mech') ?? 'xoauth2', mechanism, '--mech');
  const hostFlag = stringFlag(flags, 'host');
  const portFlag = stringFlag(flags, 'port');
  if (mech === 'XOAUTH2' && (hostFlag !== undefined || portFlag !== undefined)) {
    throw new ConfigError('--host and --port apply only to --mech oauthbearer (an XOAUTH2 string carries no host or port)');
  }

  const token = tokenFromFileText(readInput(tokenFile, '--token-file'), `${inputName(tokenFile)} (--token-file)`);

  let raw: string;
  try {
    if (mech === 'XOAUTH2') {
      raw = buildXoauth2(user, token);
    } else {
      const host = hostFlag === undefined ? DEFAULT_SASL_HOST : checked(hostFlag, hostname, '--host');
      const port = portFlag === undefined ? DEFAULT_SASL_PORT : checked(portFlag, portNumber, '--port');
      raw = buildOauthbearer(user, host, port, token);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot build the ${mech} string: ${errorMessage(err)}`);
  }

  io.out(`${Buffer.from(raw, 'utf8').toString('base64')}\n`);
  if (flags.showSecrets === true) {
    io.err(`${visible(raw)}\n`);
  } else if (io.stderrIsTTY ?? !!process.stderr.isTTY) {
    io.err(`(${mech} initial response for ${user}: it carries the token, treat it as a secret; send it after "A1 AUTHENTICATE ${mech} "; --show-secrets also shows it decoded)\n`);
  }
  return ExitCode.OK;
}

// ---------------------------------------------------------------------------------------------
// decode

export interface SaslDecoded {
  mechanism: SaslMechanism;
  /** The mechanism named by a pasted `AUTHENTICATE <mech>` line, when there was one. */
  declared?: string;
  user: string;
  host?: string;
  port?: number;
  token: string;
}

// "A01 AUTHENTICATE XOAUTH2 <b64>", also as this tool's transcript prints it ("C: 2 AUTHENTICATE …").
const AUTHENTICATE_LINE = /^(?:C:\s*)?(?:[^\s]+\s+)?AUTHENTICATE\s+(\S+)(?:\s+(.*))?$/i;

/** The base64 string out of what was pasted: a bare string, a transcript line or wrapped base64. */
function extractBase64(input: string): { base64: string; declared?: string } {
  const lines = input.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (!lines.length) throw new ConfigError(`${NOT_SASL}: the input is empty`);
  const auth = lines.filter((l) => /\bAUTHENTICATE\b/i.test(l));
  if (auth.length > 1) throw new ConfigError(`${NOT_SASL}: the input holds ${auth.length} AUTHENTICATE lines; give one`);
  if (auth.length === 1) {
    const m = AUTHENTICATE_LINE.exec(auth[0]!);
    if (!m) throw new ConfigError(`${NOT_SASL}: cannot read the AUTHENTICATE line (expected "TAG AUTHENTICATE XOAUTH2 <base64>")`);
    const declared = m[1]!.toUpperCase();
    if (declared !== 'XOAUTH2' && declared !== 'OAUTHBEARER') {
      throw new ConfigError(`${NOT_SASL}: the line uses AUTHENTICATE ${visible(m[1]!).slice(0, 40)}`);
    }
    const rest = (m[2] ?? '').trim();
    if (!rest) throw new ConfigError(`${NOT_SASL}: the AUTHENTICATE line has no initial response; give the base64 line the client sent after the server's "+"`);
    if (/\s/.test(rest)) throw new ConfigError(`${NOT_SASL}: expected one base64 string after AUTHENTICATE ${declared}`);
    return { base64: rest, declared };
  }
  // No AUTHENTICATE line: one string, possibly wrapped over several lines (the base64 command wraps).
  if (lines.some((l) => /\s/.test(l))) throw new ConfigError(`${NOT_SASL}: expected one base64 string (or a pasted "A01 AUTHENTICATE XOAUTH2 …" line)`);
  return { base64: lines.join('') };
}

/** Decodes what was pasted; throws ConfigError("not an XOAUTH2 or OAUTHBEARER string: …"). */
export function decodeSaslInput(input: string): SaslDecoded {
  const { base64, declared } = extractBase64(input);
  if (base64 === REDACTED || base64.includes(REDACTED)) {
    throw new ConfigError(`${NOT_SASL}: it is ${REDACTED} (a redacted transcript never holds the string)`);
  }
  if (!BASE64.test(base64) || base64.length % 4 !== 0) throw new ConfigError(`${NOT_SASL}: not valid base64`);
  const raw = Buffer.from(base64, 'base64').toString('utf8');
  const decl = declared ? { declared } : {};

  if (/^[ny],/.test(raw)) {
    if (!raw.endsWith(SOH + SOH)) throw new ConfigError(`${NOT_SASL}: missing the terminating ^A^A`);
    let parts;
    try {
      parts = decodeOauthbearer(base64);
    } catch (err) {
      throw new ConfigError(`${NOT_SASL}: ${errorMessage(err)}`);
    }
    if (parts.port !== undefined && !(Number.isInteger(parts.port) && parts.port >= 1 && parts.port <= 65535)) {
      throw new ConfigError(`${NOT_SASL}: port= is not a port number`);
    }
    return {
      mechanism: 'OAUTHBEARER',
      ...decl,
      user: parts.user,
      ...(parts.host !== undefined ? { host: parts.host } : {}),
      ...(parts.port !== undefined ? { port: parts.port } : {}),
      token: parts.token,
    };
  }

  if (raw.startsWith('{') && decodeErrorChallenge(base64)) {
    throw new ConfigError(`${NOT_SASL}: it is a server's error challenge (JSON), not a client's string: ${visible(raw).slice(0, 200)}`);
  }
  try {
    const parts = decodeXoauth2(base64);
    return { mechanism: 'XOAUTH2', ...decl, user: parts.user, token: parts.token };
  } catch (err) {
    throw new ConfigError(`${NOT_SASL}: ${errorMessage(err)}`);
  }
}

/** The token's claims (decoded, not verified), or null when it is not a JWT. */
function claimsOf(token: string): TokenClaims | null {
  try {
    return summariseClaims(decodeJwtPayload(token));
  } catch {
    return null;
  }
}

const CLAIM_ROWS: [keyof TokenClaims, string][] = [
  ['aud', 'aud'],
  ['roles', 'roles'],
  ['scp', 'scp'],
  ['tid', 'tid'],
  ['appid', 'appid'],
  ['azp', 'azp'],
  ['app_displayname', 'app'],
  ['oid', 'oid'],
  ['upn', 'upn'],
  ['iss', 'iss'],
  ['nbf', 'nbf'],
  ['exp', 'exp'],
];

function claimRows(claims: TokenClaims, nowMs: number): [string, string][] {
  const rows: [string, string][] = [];
  for (const [key, label] of CLAIM_ROWS) {
    const value = claims[key];
    if (value === undefined) continue;
    if (key === 'exp' || key === 'nbf') {
      const iso = isoTime(value as number);
      if (!iso) continue;
      let note = '';
      if (key === 'exp') note = (value as number) * 1000 <= nowMs ? '  (expired)' : '';
      else note = (value as number) * 1000 > nowMs ? '  (not yet valid)' : '';
      rows.push([label, `${iso}${note}`]);
    } else {
      rows.push([label, Array.isArray(value) ? value.join(', ') : String(value)]);
    }
  }
  if (!claims.roles && !claims.scp) rows.splice(1, 0, ['roles', '(none)']);
  return rows;
}

/** A pasted SASL string or AUTHENTICATE line, rather than a file's name. */
function looksLikeSaslInput(word: string): boolean {
  if (/\bAUTHENTICATE\b/i.test(word) || /\s/.test(word)) return true;
  try {
    decodeSaslInput(word);
    return true;
  } catch {
    return false;
  }
}

/** `sasl decode [FILE|-]`: what a string holds; the token only with --show-secrets. */
export function runSaslDecode(
  words: string[] | string | undefined,
  flags: Record<string, unknown>,
  io: SaslIo,
  readInput: SaslReadInput = defaultReadInput,
): ExitCode {
  const list = (Array.isArray(words) ? words : words === undefined ? [] : [words]).map(String);
  const joined = list.join(' ').trim();
  // The string carries a live token: it is read from standard input or a file, never taken from
  // the command line, where ps and the shell's history would keep it.
  if (joined && (list.length > 1 || looksLikeSaslInput(joined))) {
    throw new ConfigError('a SASL string carries the access token: do not put it on the command line (ps and shell history keep it); pipe it in (imap-oauth sasl decode < FILE) or name a file (imap-oauth sasl decode FILE)');
  }
  const input = !joined || joined === '-' ? readInput('-', 'sasl decode, standard input') : readInput(joined, 'sasl decode FILE');

  const decoded = decodeSaslInput(input);
  const show = flags.showSecrets === true;
  const claims = claimsOf(decoded.token);
  const token = show ? decoded.token : REDACTED;
  // Nothing printed without --show-secrets may hold the token (a user= field could, by mistake).
  const guard = (text: string) => (show || decoded.token.length < 4 ? text : text.split(decoded.token).join(REDACTED));

  if (decoded.declared && decoded.declared !== decoded.mechanism) {
    io.err(guard(`note: the line says AUTHENTICATE ${decoded.declared} but the string is ${decoded.mechanism}: a server rejects that mismatch\n`));
  }

  if (flags.json === true) {
    const doc = {
      mechanism: decoded.mechanism,
      user: decoded.user,
      ...(decoded.host !== undefined ? { host: decoded.host } : {}),
      ...(decoded.port !== undefined ? { port: decoded.port } : {}),
      token,
      claims,
      expiresAt: (claims && isoTime(claims.exp)) ?? null,
    };
    io.out(guard(`${JSON.stringify(doc, null, 2)}\n`));
    return ExitCode.OK;
  }

  const rows: [string, string][] = [['mechanism', decoded.mechanism], ['user', decoded.user]];
  if (decoded.mechanism === 'OAUTHBEARER') {
    rows.push(['host', decoded.host ?? '(not given)'], ['port', decoded.port !== undefined ? String(decoded.port) : '(not given)']);
  }
  const kind = claims ? 'a JWT' : 'not a JWT';
  rows.push(['token', show ? token : `${REDACTED}  (${kind}, ${decoded.token.length} characters; --show-secrets shows it)`]);
  const lines = rows.map(([k, v]) => `${k.padEnd(10)} ${visible(v)}`);
  if (claims) {
    lines.push('claims     (decoded, not verified)');
    for (const [k, v] of claimRows(claims, Date.now())) lines.push(`  ${k.padEnd(8)} ${visible(v)}`);
  } else {
    lines.push('claims     none: the token is not a JWT (an opaque token, such as Google\'s, has no readable claims)');
  }
  io.out(guard(`${lines.join('\n')}\n`));
  return ExitCode.OK;
}
