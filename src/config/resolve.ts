// flags + environment + one .env file → one validated Config, before any network I/O.
import { resolve as resolvePath } from 'node:path';
import { ConfigError, errorMessage, fileErrorReason } from '../errors.js';
import { loadCertificatePem } from '../token/certificate.js';
import { normaliseAccessToken } from '../token/claims.js';
import { decodeText, readFileBounded, readInputBytes, readInputFile, readSecret, setInputWaitMs } from './files.js';
import { pkcs12ToPem } from '../token/pkcs12.js';
import { readUsersFile, usersFileWhere } from './users-input.js';
import { ENV, LEVELS, Sources, envFileFlag, loadEnvFile, type Sourced } from './sources.js';
import { resolveTokenCachePath } from '../token/cache.js';
import { resolveReportPath } from '../safe-file.js';
import { CREDENTIAL_TEXT, DEFAULTS, LIMITS, type Config, type Credential } from './types.js';
import { CLOUDS, cloudOfAuthority } from './clouds.js';
import { parseConnectTo, type ConnectTo } from './connect-to.js';
import * as v from './validate.js';
import { proxyConfig } from '../net/proxy.js';
import { DEFAULT_PORTS, type Protocol } from '../probe/dispatch.js';
import { looksLikeSecret } from '../secret-shape.js';
import { parseRate } from '../batch/rate.js';
import { parseShard } from '../batch/shard.js';

export interface ResolveInput {
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdoutIsTTY: boolean;
  stderrIsTTY?: boolean;
  /** Called with every secret value a setting holds, before anything can print it. */
  onSecret?: (value: string) => void;
  /** Read no .env file at all (demo: its settings are the sandbox's; no /dev/null, which Windows lacks). */
  noEnvFile?: boolean;
}

// The variables each setting reads: declared with the sources, so --help can name them too.
export { ENV };

/** "where to set it" for a setting: the flag and/or the variable. */
function whereToSet(flag: string | null, envName: string | null, placeholder: string): string {
  const parts = [flag && `pass ${flag} ${placeholder}`, envName && `set ${envName} (environment or .env)`].filter(Boolean);
  return parts.join(' or ');
}

/** How an invalid value appears in an error: quoted (on one line), or only described. */
export function shownValue(value: string): string {
  if (looksLikeSecret(value)) return ` (${value.length} characters, not shown: it has the shape of a secret — was a secret pasted into the wrong setting?)`;
  return ` ${JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)}`;
}

function validated<T>(found: Sourced, check: (value: string) => T, what: string, shown = true): T {
  try {
    return check(found.value);
  } catch (err) {
    const value = shown ? shownValue(found.value) : '';
    throw new ConfigError(`invalid ${what}${value} (from ${found.origin}): ${errorMessage(err)}`);
  }
}

function required<T>(
  sources: Sources,
  flag: string | null,
  envName: string | null,
  what: string,
  placeholder: string,
  check: (value: string) => T,
  why = '',
): T {
  const found = sources.get(flag, envName);
  if (!found) throw new ConfigError(`missing ${what}${why}: ${whereToSet(flag, envName, placeholder)}`);
  return validated(found, check, what);
}

function optional<T>(sources: Sources, flag: string | null, envName: string | null, what: string, check: (value: string) => T, fallback: T): T {
  const found = sources.get(flag, envName);
  return found ? validated(found, check, what) : fallback;
}

type CredentialCandidate = { kind: Exclude<Credential['kind'], 'device-code' | 'interactive' | 'refresh-token'>; found: Sourced; by: 'value' | 'file' };

/** Exactly one credential: the highest level that has one wins; two at one level is an error. */
function pickCredential(sources: Sources): CredentialCandidate | null {
  for (const level of LEVELS) {
    const candidates: CredentialCandidate[] = [];
    const add = (kind: CredentialCandidate['kind'], by: 'value' | 'file', flag: string | null, envName: string | null) => {
      const found = sources.atLevel(level, flag, envName);
      if (found) candidates.push({ kind, found, by });
    };
    add('client-secret', 'value', null, ENV.secret);
    add('client-secret', 'file', '--client-secret-file', ENV.secretFile);
    add('certificate', 'file', '--cert', ENV.cert);
    add('access-token-file', 'file', '--access-token-file', ENV.tokenFile);
    // The Node API's accessToken option: the CLI has no such flag (a token never goes in argv).
    add('access-token-file', 'value', '--access-token', null);
    if (candidates.length > 1) {
      const names = candidates.map((c) => c.found.origin).join(' and ');
      throw new ConfigError(`two credentials given (${names}): keep exactly one`);
    }
    if (candidates[0]) return candidates[0];
  }
  return null;
}

/** The passphrase of an encrypted key: a file (or stdin) or the environment, never a flag value. */
function certPassphrase(sources: Sources, cwd: string, onSecret: (value: string) => void): string | undefined {
  const file = sources.get('--cert-passphrase-file', ENV.certPassphraseFile);
  if (file) return registered(readSecret(file.value, file.origin, cwd, 'certificate passphrase'), onSecret);
  return sources.get(null, ENV.certPassphrase)?.value;
}

function registered(value: string, onSecret: (value: string) => void): string {
  onSecret(value);
  return value;
}

/** The base64 lines of every private key block in a PEM text (the certificate itself is public). */
export function privateKeyLines(pem: string): string[] {
  const blocks = pem.match(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g) ?? [];
  return blocks.flatMap((block) => {
    const lines = block.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('-----') && !l.includes(':'));
    return [lines.join(''), ...lines];
  });
}

/** Settings whose value may be "-" (standard input): only one can have it. */
const STDIN_SETTINGS: [string, string | null][] = [
  ['--users-file', null],
  ['--client-secret-file', ENV.secretFile],
  ['--cert', ENV.cert],
  ['--cert-passphrase-file', ENV.certPassphraseFile],
  ['--access-token-file', ENV.tokenFile],
];

function checkOneStdinReader(sources: Sources): void {
  const readers = STDIN_SETTINGS.map(([flag, envName]) => sources.get(flag, envName)).filter((f) => f?.value === '-');
  if (readers.length > 1) {
    throw new ConfigError(`${readers.map((r) => `${r!.origin} -`).join(' and ')} would all read standard input: give all but one of them a file`);
  }
}

/** Registers every secret the settings hold, at every level, before anything is validated. */
function registerSettingSecrets(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, envFile: ReturnType<typeof loadEnvFile>, onSecret: (value: string) => void): void {
  for (const name of [ENV.secret, ENV.certPassphrase]) {
    for (const value of [env[name], envFile?.vars[name]]) if (typeof value === 'string' && value) onSecret(value);
  }
  if (typeof flags.clientSecret === 'string') onSecret(flags.clientSecret);
}

function loadCredential(c: CredentialCandidate, cwd: string, sources: Sources, authMode: v.AuthMode, onSecret: (value: string) => void): Credential {
  const origin = c.found.origin;
  switch (c.kind) {
    case 'client-secret': {
      const secret = c.by === 'value' ? c.found.value.trim() : registered(readSecret(c.found.value, origin, cwd, 'client secret value'), onSecret);
      if (!secret) throw new ConfigError(`the client secret (${origin}) is empty`);
      return { kind: 'client-secret', secret, origin };
    }
    case 'certificate': {
      const passphrase = certPassphrase(sources, cwd, onSecret);
      try {
        // .pfx/.p12 (binary PKCS#12) is turned into the same PEM pair first.
        const text = /\.(pfx|p12)$/i.test(c.found.value)
          ? pkcs12ToPem(readInputBytes(c.found.value, origin, cwd), passphrase, c.found.value)
          : readInputFile(c.found.value, origin, cwd);
        for (const line of privateKeyLines(text)) onSecret(line);
        return { kind: 'certificate', certificate: loadCertificatePem(text, c.found.value, passphrase), path: c.found.value, origin, passphrase };
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        throw new ConfigError(`${errorMessage(err)} (${origin})`);
      }
    }
    case 'access-token-file': {
      const raw = c.by === 'value' ? c.found.value : readInputFile(c.found.value, origin, cwd);
      onSecret(raw.trim());
      // "Bearer …" or the endpoint's JSON: each token-shaped word (a scope URL is not one).
      for (const part of raw.split(/["\s,]+/)) if (/^[A-Za-z0-9._~+/=-]{16,}$/.test(part) && !part.includes('//')) onSecret(part);
      try {
        return { kind: 'access-token-file', token: normaliseAccessToken(raw, { opaque: authMode === 'generic' || v.isPersonalAccountToken(raw) }), path: c.by === 'value' ? '(the accessToken option)' : c.found.value, origin };
      } catch (err) {
        const where = c.by === 'value' ? 'the accessToken option' : c.found.value === '-' ? 'standard input' : c.found.value;
        const reason = errorMessage(err);
        const hint = reason.startsWith('is not a JWT') ? ': Microsoft 365 access tokens are JWTs; for a server with opaque tokens (Gmail) add --auth-mode generic' : '';
        throw new ConfigError(`the access token in ${where} (${origin}) ${reason}${hint}`);
      }
    }
  }
}

function readCaFile(path: string, cwd: string, what = '--ca-file'): string {
  let text: string;
  try {
    text = decodeText(readFileBounded(resolvePath(cwd, path)));
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${path}: ${fileErrorReason(err)}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`${what} ${path} holds no PEM certificate`);
  return text;
}

/** --ca-file or IMAP_OAUTH_CA_FILE (an empty flag is still an error: it names no file). */
function caFileOf(sources: Sources, flags: Record<string, unknown>, cwd: string): string | undefined {
  if (typeof flags.caFile === 'string') return readCaFile(flags.caFile, cwd);
  const found = sources.get(null, ENV.caFile);
  return found ? readCaFile(found.value, cwd, found.origin) : undefined;
}

/** --token-cache or IMAP_OAUTH_TOKEN_CACHE; an empty --token-cache is refused by the cache itself. */
function tokenCacheOf(sources: Sources, flags: Record<string, unknown>, cwd: string): string | undefined {
  if (typeof flags.tokenCache === 'string') return resolveTokenCachePath(flags.tokenCache, cwd);
  const found = sources.get(null, ENV.tokenCache);
  if (!found) return undefined;
  try {
    return resolveTokenCachePath(found.value, cwd);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${err.message} (from ${found.origin})`);
    throw err;
  }
}

function users(sources: Sources, flags: Record<string, unknown>, cwd: string, optionalUser = false): string[] {
  const fromFlag = flags.user;
  const list = Array.isArray(fromFlag) ? (fromFlag as string[]) : typeof fromFlag === 'string' ? [fromFlag] : [];
  const found: Sourced[] = list.map((value) => ({ value, level: 'flag' as const, origin: '--user' }));
  if (typeof flags.usersFile === 'string') {
    const path = flags.usersFile;
    // A loop, not push(...entries): a spread of 100,000 arguments.
    for (const entry of readUsersFile(path, cwd)) found.push(entry);
    if (found.length === 0) throw new ConfigError(`--users-file ${usersFileWhere(path)} lists no mailbox`);
  }
  if (found.length === 0) {
    const env = sources.get(null, ENV.user);
    if (env) found.push(env);
  }
  if (found.length === 0 && optionalUser) return [];
  if (found.length === 0) throw new ConfigError(`missing mailbox: ${whereToSet('--user', ENV.user, 'UPN')} (or --users-file PATH)`);
  // Addresses are case-insensitive: keep the first spelling of each.
  const seen = new Map<string, string>();
  for (const f of found) {
    const address = validated(f, v.mailAddress, 'mailbox');
    if (!seen.has(address.toLowerCase())) seen.set(address.toLowerCase(), address);
  }
  return [...seen.values()];
}

/** --resume FILE: only a path here; the file is read (streamed) when the run starts. */
function resumeFile(value: unknown, cwd: string): { path: string; given: string } | undefined {
  if (value === undefined) return undefined;
  const given = String(value);
  if (!given.trim() || given === '-') throw new ConfigError('--resume needs the path of a previous run\'s --jsonl output');
  return { path: resolvePath(cwd, given), given };
}

/** --auth-mode generic is a ready token for any server: Microsoft's sign-in settings do not apply. */
function checkGeneric(sources: Sources, flow: string): void {
  if (flow !== 'client-credentials') throw new ConfigError(`--flow ${flow} signs in to Microsoft Entra ID: it cannot be combined with --auth-mode generic (which tests a ready token)`);
  const cloud = sources.get('--cloud', ENV.cloud);
  if (cloud) throw new ConfigError(`${cloud.origin} names a Microsoft 365 cloud: it cannot be combined with --auth-mode generic (give --host instead)`);
}

function protocolsOf(flag: unknown, sources: Sources): Protocol[] {
  const list = Array.isArray(flag) ? (flag as string[]) : typeof flag === 'string' ? [flag] : [];
  if (list.length) return validated({ value: list.join(','), level: 'flag', origin: '--protocol' }, (x) => v.protocols([x]), 'protocol');
  return optional(sources, null, ENV.protocol, 'protocol', (x) => v.protocols([x]), ['imap'] as Protocol[]);
}

/** --port is the port of the one protocol checked; with several, each keeps its own default. */
function protocolPorts(sources: Sources, protocols: Protocol[], starttls: boolean): Record<Protocol, number> {
  const given = sources.get('--port', ENV.port);
  if (given && protocols.length > 1) {
    throw new ConfigError(`${given.origin} names one port, but ${protocols.length} protocols are checked (${protocols.join(', ')}): give each server's address with --connect-to HOST:PORT:ADDR:PORT2 instead`);
  }
  const port = given ? validated(given, v.port, `${{ imap: 'IMAP', pop: 'POP3', smtp: 'SMTP' }[protocols[0]!]} port`) : undefined;
  return {
    imap: (protocols[0] === 'imap' ? port : undefined) ?? (starttls ? 143 : DEFAULT_PORTS.imap),
    pop: (protocols[0] === 'pop' ? port : undefined) ?? DEFAULT_PORTS.pop,
    smtp: (protocols[0] === 'smtp' ? port : undefined) ?? DEFAULT_PORTS.smtp,
  };
}

/** SMTP --send-test [RCPT]: true (the flag alone) sends to the mailbox itself. */
function sendTestRecipient(flag: unknown, protocols: Protocol[]): string | undefined {
  if (flag === undefined || flag === false) return undefined;
  if (!protocols.includes('smtp')) throw new ConfigError('--send-test sends a message over SMTP AUTH: add --protocol smtp');
  if (flag === true) return '';
  return validated({ value: String(flag), level: 'flag', origin: '--send-test' }, v.mailAddress, '--send-test recipient');
}

function delegatedScopeFor(cloud: (typeof CLOUDS)[keyof typeof CLOUDS], protocol: Protocol): string {
  const permission = { imap: 'IMAP.AccessAsUser.All', pop: 'POP.AccessAsUser.All', smtp: 'SMTP.Send' }[protocol];
  return cloud.delegatedScope.replace('IMAP.AccessAsUser.All', permission);
}

function connectToRules(value: unknown): ConnectTo[] {
  const list = Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];
  return list.map((rule) => validated({ value: rule, level: 'flag', origin: '--connect-to' }, parseConnectTo, '--connect-to rule'));
}

export function resolveConfig(input: ResolveInput): Config {
  const { flags, env, cwd } = input;
  const onSecret = input.onSecret ?? (() => undefined);
  // A FIFO or device given as an input file delivers within --timeout (validated below).
  setInputWaitMs(Number(flags.timeout ?? env[ENV.timeout]) * 1000);
  const dotenv = envFileFlag(flags);
  const envFile = input.noEnvFile ? null : loadEnvFile(dotenv.path, cwd, dotenv.flag);
  registerSettingSecrets(flags, env, envFile, onSecret);
  const sources = new Sources(flags, env, envFile);
  setInputWaitMs(Number(sources.get('--timeout', ENV.timeout)?.value) * 1000); // the .env file's too
  checkOneStdinReader(sources);
  const warnings: string[] = dotenv.warning ? [dotenv.warning] : [];

  // What was typed is checked before what is missing: a malformed value is the likelier typo.
  const authMode = optional(sources, '--auth-mode', ENV.authMode, 'auth mode', v.authMode, 'entra');
  const flow = optional(sources, '--flow', null, 'flow', v.flow, 'client-credentials' as const);
  if (authMode === 'generic') checkGeneric(sources, flow);
  // A delegated flow defaults to the signed-in user's own mailbox.
  const delegated = flow !== 'client-credentials';
  const userList = users(sources, flags, cwd, delegated);
  // A cloud sets sign-in host, IMAP host and scope together; each can still be set on its own.
  const cloud = CLOUDS[optional(sources, '--cloud', ENV.cloud, 'cloud', v.cloud, 'global')];
  const protocols = protocolsOf(flags.protocol, sources);
  const mailPorts = protocolPorts(sources, protocols, flags.starttls === true);
  const connection = {
    cloud: cloud.name,
    authorityHost: optional(sources, '--authority-host', ENV.authorityHost, 'authority host', v.httpsOrigin, cloud.authorityHost),
    // One token serves every protocol: app-only asks for Exchange's .default, a user's sign-in for
    // each protocol's own delegated permission (space-separated scopes, as OAuth joins them).
    scope: optional(sources, '--scope', ENV.scope, 'scope', v.scope, delegated ? protocols.map((p) => delegatedScopeFor(cloud, p)).join(' ') : cloud.appScope),
    host: authMode === 'generic'
      ? required(sources, '--host', ENV.host, 'IMAP host', 'HOST', v.hostname, ' (--auth-mode generic has no default server; Gmail: imap.gmail.com)')
      : optional(sources, '--host', ENV.host, 'IMAP host', v.hostname, cloud.imapHost),
    port: mailPorts.imap,
    popPort: mailPorts.pop,
    smtpPort: mailPorts.smtp,
    protocols,
    // --host names one server for every protocol; Exchange Online sends SMTP elsewhere.
    popHost: optional(sources, '--host', ENV.host, 'host', v.hostname, cloud.popHost),
    smtpHost: optional(sources, '--host', ENV.host, 'host', v.hostname, cloud.smtpHost),
    sendTestTo: sendTestRecipient(flags.sendTest, protocols),
    starttls: flags.starttls === true,
    sendX5c: flags.sendX5c === true,
    folder: optional(sources, '--folder', null, 'folder', v.nonEmpty, DEFAULTS.folder),
    timeoutMs: optional(sources, '--timeout', ENV.timeout, 'timeout', v.seconds, DEFAULTS.timeoutSeconds) * 1000,
    concurrency: optional(sources, '--concurrency', ENV.concurrency, 'concurrency', v.intInRange(1, LIMITS.concurrency), DEFAULTS.concurrency),
    retries: optional(sources, '--retries', null, 'retries', v.intInRange(0, LIMITS.retries), DEFAULTS.retries),
    rate: optional(sources, '--rate', ENV.rate, 'rate', parseRate, undefined),
    shard: optional(sources, '--shard', ENV.shard, 'shard', parseShard, undefined),
    resume: resumeFile(flags.resume, cwd),
    mech: optional(sources, '--mech', null, 'mechanism', v.mechanism, 'XOAUTH2' as const),
    connectTo: connectToRules(flags.connectTo),
  };
  const givenTenant = optional(sources, '--tenant', ENV.tenant, 'tenant', delegated ? v.delegatedTenant : v.tenant, undefined);
  const givenClientId = optional(sources, '--client-id', ENV.clientId, 'client ID', v.guid, undefined);
  const json = flags.json === true;
  const jsonl = flags.jsonl === true;
  if (json && jsonl) throw new ConfigError('--json and --jsonl cannot be combined: pick one');
  const nagios = flags.nagios === true;
  if (nagios && (json || jsonl)) throw new ConfigError(`--nagios and --${json ? 'json' : 'jsonl'} cannot be combined: both own stdout`);

  let credential: Credential;
  if (delegated) {
    // A public client: the user signs in; any configured secret or certificate is not used.
    if (pickCredential(sources)) warnings.push(`--flow ${flow} is a user's sign-in: the configured client secret or certificate is not used`);
    if (flow === 'refresh-token' && !sources.get('--token-cache', ENV.tokenCache)) {
      throw new ConfigError('--flow refresh-token needs --token-cache PATH: the file where a --flow device-code sign-in kept its refresh token');
    }
    const origin = `--flow ${flow}`;
    credential =
      flow === 'device-code' ? { kind: 'device-code', origin }
      : flow === 'interactive' ? { kind: 'interactive', origin, openBrowser: flags.browser !== false }
      : { kind: 'refresh-token', origin };
  } else {
    const picked = pickCredential(sources);
    if (authMode === 'generic' && picked?.kind !== 'access-token-file') {
      throw new ConfigError(`--auth-mode generic tests a ready token: pass --access-token-file PATH|- (or set ${ENV.tokenFile})${picked ? `, not ${picked.found.origin}` : ''}`);
    }
    if (!picked) {
      throw new ConfigError(
        `missing credential: set ${ENV.secret}, or pass --client-secret-file PATH|-, --cert PATH or --access-token-file PATH|- (or --flow device-code to sign a user in)`,
      );
    }
    credential = loadCredential(picked, cwd, sources, authMode, onSecret);
  }
  const needsApp = credential.kind !== 'access-token-file';
  const why = needsApp ? ` (needed to request a token with ${CREDENTIAL_TEXT[credential.kind]})` : '';
  const tenant = needsApp ? required(sources, '--tenant', ENV.tenant, 'tenant', 'ID', delegated ? v.delegatedTenant : v.tenant, why) : givenTenant;
  const clientId = needsApp ? required(sources, '--client-id', ENV.clientId, 'client ID', 'GUID', v.guid, why) : givenClientId;

  // A sign-in host of one cloud with the defaults of another gets tokens Exchange will refuse.
  const authorityCloud = cloudOfAuthority(connection.authorityHost);
  if (authorityCloud && authorityCloud.authorityHost !== cloud.authorityHost && !sources.get('--cloud', ENV.cloud)) {
    warnings.push(`--authority-host ${connection.authorityHost} signs in to ${authorityCloud.label}, but the IMAP host and scope are worldwide ones: add --cloud ${authorityCloud.name}`);
  }
  if (authMode === 'generic') {
    // Typed on this command line, so worth a word; the same settings in the environment are left be.
    const unused = ['--tenant', '--client-id', '--authority-host', '--scope'].filter((f) => sources.atLevel('flag', f, null));
    if (unused.length) warnings.push(`${unused.join(', ')} ${unused.length > 1 ? 'are' : 'is'} not used with --auth-mode generic: the token is ready and no Microsoft sign-in takes place`);
  }
  const insecure = flags.insecure === true;
  if (insecure) warnings.push('--insecure: the IMAP server certificate is NOT verified; anyone on the path can read the token');
  const noColor = flags.color === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '');
  const forceColor = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';

  return {
    users: userList,
    authMode,
    tenant,
    clientId,
    credential,
    ...connection,
    caPem: caFileOf(sources, flags, cwd),
    proxy: proxyConfig(sources.get('--proxy', ENV.proxy), env, onSecret),
    insecure,
    // Refused now, before any network I/O, when the path is not one of our caches or cannot be written.
    tokenCachePath: tokenCacheOf(sources, flags, cwd),
    freshToken: flags.freshToken === true,
    checkApp: checkAppOf(flags, credential, authMode),
    output: {
      json,
      jsonl,
      // Checked for writability now: a report found unwritable after the whole batch is lost.
      junitPath: typeof flags.junit === 'string' ? resolveReportPath('--junit', flags.junit, cwd) : undefined,
      htmlPath: typeof flags.html === 'string' ? resolveReportPath('--html', flags.html, cwd) : undefined,
      nagios,
      prometheusPath: typeof flags.prometheus === 'string' ? resolveReportPath('--prometheus', flags.prometheus, cwd) : undefined,
      warnDays: optional(sources, '--warn-days', null, 'warning days', v.intInRange(0, 3650), 30),
      stepSummaryPath: env.GITHUB_ACTIONS === 'true' && env.GITHUB_STEP_SUMMARY ? env.GITHUB_STEP_SUMMARY : undefined,
      githubAnnotations: env.GITHUB_ACTIONS === 'true',
      progress: !json && !jsonl && input.stderrIsTTY === true && userList.length > 1,
      stages: !json && !jsonl && !nagios && input.stderrIsTTY === true && userList.length <= 1,
      verbose: flags.verbose === true,
      debug: flags.debug === true,
      color: !json && !jsonl && !noColor && (input.stdoutIsTTY || forceColor),
    },
    warnings,
  };
}

/** --check-app reads the app registration with the app's own credential (an app-only Graph token). */
function checkAppOf(flags: Record<string, unknown>, credential: Credential, authMode: v.AuthMode): boolean {
  if (flags.checkApp !== true) return false;
  if (authMode === 'generic' || (credential.kind !== 'client-secret' && credential.kind !== 'certificate')) {
    throw new ConfigError(`--check-app reads the app registration with the app's own credential (a client secret or certificate, app-only): it cannot be used with ${credential.origin}`);
  }
  return true;
}
