// Fuzz: random and mutated server responses and SASL strings, fed to every parser and to the probe.
// No exception may escape (beyond the documented `Error`s), nothing may hang, the token never
// shows up in a result. Everything is driven by a seeded PRNG (mulberry32): a failure names its
// seed and input, and FUZZ_SEED=<n> npx vitest run test/unit/fuzz.test.ts replays another run.
import tls from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { diagnose, type DiagnosisContext } from '../../src/diagnose/index.js';
import { decodeExchangeBackend } from '../../src/imap/greeting.js';
import { probeMailbox, type ProbeTarget } from '../../src/imap/probe.js';
import { PROBE_STAGES, type ProbeEvidence, type ProbeResult, type StageName } from '../../src/imap/types.js';
import { Redactor } from '../../src/redact.js';
import { createTestPki } from '../../src/sandbox/pki.js';
import { decodeErrorChallenge, decodeOauthbearer, decodeXoauth2, encodeXoauth2, buildOauthbearer } from '../../src/sasl.js';
import { parseUsersFile } from '../../src/config/users-file.js';
import { decodeJwtPayload, expiresAt, normaliseAccessToken, summariseClaims } from '../../src/token/claims.js';
import { toTokenError } from '../../src/token/msal-errors.js';
import type { TokenError, TokenReport } from '../../src/token/types.js';
import { mulberry32 } from '../support/prng.js';

const BASE_SEED = Number(process.env.FUZZ_SEED ?? 0x1ea7f00d) >>> 0;
/** Probe connections in the main run (FUZZ_CONNECTIONS=600 for a longer hunt). */
const CONNECTIONS = Number(process.env.FUZZ_CONNECTIONS ?? 60);
/** The inputs behind bugs found earlier (quadratic redaction, deep nesting) are part of the fuzz; FUZZ_KNOWN_BUGS=0 leaves them out. */
const KNOWN_BUGS = process.env.FUZZ_KNOWN_BUGS !== '0';

// ── PRNG and generators ───────────────────────────────────────────────────────────────────────

class Rng {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  chars(n: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
  /** A few deletions, insertions, replacements and duplications of a slice. */
  mutate(s: string, alphabet = MUTATION_ALPHABET): string {
    let chars = [...s];
    for (let i = 1 + this.int(5); i > 0; i--) {
      const at = this.int(chars.length + 1);
      switch (this.int(5)) {
        case 0: chars.splice(at, 1 + this.int(3)); break;
        case 1: chars.splice(at, 0, ...this.chars(1 + this.int(3), alphabet)); break;
        case 2: chars[at] = alphabet[this.int(alphabet.length)]!; break;
        case 3: { const len = 1 + this.int(8); chars.splice(at, 0, ...chars.slice(at, at + len)); break; }
        default: chars = chars.slice(0, at); break; // truncate
      }
    }
    return chars.join('');
  }
}

const MUTATION_ALPHABET = 'ABCxyz019+/=_-.,;:@ \t\r\n\x00\x01"\'()[]{}<>*\\%\u00e9\u4e2d\ud83d\ude00';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const b64url = (s: string) => Buffer.from(s).toString('base64url');
const show = (v: unknown, max = 300) => {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
  } catch {
    s = String(v);
  }
  s ??= String(v);
  return s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s;
};

/** Random JSON: scalars, arrays, objects; depth-bounded. */
function randomJson(r: Rng, depth = 0): unknown {
  const k = r.int(depth > 3 ? 6 : 8);
  switch (k) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.pick([0, -1, 1.5, 1e21, -1e21, 2 ** 53, 1e300, r.int(2e9), -r.int(2e9)]);
    case 3: return r.chars(r.int(20), MUTATION_ALPHABET);
    case 4: return r.pick(['', 'IMAP.AccessAsApp', 'https://outlook.office365.com', '00000002-0000-0ff1-ce00-000000000000', '401', 'bearer']);
    case 5: return String(r.int(1e6));
    case 6: return Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: r.int(5) }, () => [r.pick(CLAIM_KEYS_AND_JUNK), randomJson(r, depth + 1)]));
  }
}

const CLAIM_KEYS_AND_JUNK = ['aud', 'iss', 'tid', 'appid', 'azp', 'oid', 'sub', 'roles', 'scp', 'upn', 'app_displayname', 'appidacr', 'ver', 'iat', 'nbf', 'exp', 'status', 'scope', 'schemes', '__proto__', 'constructor', 'toString', 'x'];

function withinDateRange(seconds: number): boolean {
  return Math.abs(seconds * 1000) <= 8.64e15;
}

// ── 1. SASL ───────────────────────────────────────────────────────────────────────────────────
describe('fuzz: SASL decoders', () => {
  // A fresh stream per test: a failure replays with -t, whatever ran before.
  let r = new Rng(BASE_SEED ^ 0x5a51);
  beforeEach(() => {
    r = new Rng(BASE_SEED ^ 0x5a51);
  });
  const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sub2ZmaWNlMzY1LmNvbSJ9.c2lnbmF0dXJl';
  const VALID_RAW = [
    `user=someuser@example.com\x01auth=Bearer ${TOKEN}\x01\x01`,
    buildOauthbearer('a,b=c@x.com', 'outlook.office365.com', 993, TOKEN),
    '{"status":"401","schemes":"bearer","scope":"https://outlook.office365.com/.default"}',
    '{"status":"invalid_token"}',
  ];

  function input(i: number): string {
    switch (i % 9) {
      case 0: return b64(r.bytes(r.int(120)));
      case 1: return r.bytes(r.int(120)).toString('latin1');
      case 2: return r.chars(r.int(100), B64 + '=\x01 \r\n');
      case 3: return r.mutate(b64(r.pick(VALID_RAW)));
      case 4: return b64(r.mutate(r.pick(VALID_RAW)));
      case 5: return b64(r.mutate(r.pick(VALID_RAW), '\x01=,')); // damaged framing only
      case 6: return ' \t' + b64(r.pick(VALID_RAW)) + '\r\n'.repeat(r.int(3));
      case 7: return r.pick(['', '=', '==', '====', 'AQ==', 'AQE=', '+', '+ ', 'eyJ', '*', '\x00']) + r.chars(r.int(4), B64);
      default: return b64(r.pick(VALID_RAW)).repeat(1 + r.int(200)); // long
    }
  }

  it('3000 inputs: decodeXoauth2/decodeOauthbearer throw only Errors; decodeErrorChallenge never throws', () => {
    const problems: string[] = [];
    const started = performance.now();
    for (let i = 0; i < 3000; i++) {
      const s = input(i);
      for (const decode of [decodeXoauth2, decodeOauthbearer] as const) {
        try {
          const parts = decode(s);
          if (typeof parts.user !== 'string' || typeof parts.token !== 'string' || parts.token === '') {
            problems.push(`seed ${r.seed} #${i} ${decode.name}(${show(s)}) returned ${show(parts)}`);
          }
        } catch (err) {
          if (!(err instanceof Error) || !err.message) problems.push(`seed ${r.seed} #${i} ${decode.name}(${show(s)}) threw ${show(err)}`);
        }
      }
      try {
        const ch = decodeErrorChallenge(s);
        if (ch !== null && (typeof ch !== 'object' || Array.isArray(ch))) problems.push(`seed ${r.seed} #${i} decodeErrorChallenge(${show(s)}) returned ${show(ch)}`);
      } catch (err) {
        problems.push(`seed ${r.seed} #${i} decodeErrorChallenge(${show(s)}) threw ${show(String(err))}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('round trip: whatever user and token go in (no control characters) come back out', () => {
    const problems: string[] = [];
    for (let i = 0; i < 500; i++) {
      const user = r.chars(1 + r.int(30), 'abcXYZ09.@-_+=,\'"\u00e9\u4e2d ');
      const token = r.chars(1 + r.int(300), B64 + '-_.~');
      try {
        const back = decodeXoauth2(encodeXoauth2(user, token));
        if (back.user !== user || back.token !== token) problems.push(`XOAUTH2 ${show({ user, token })} → ${show(back)}`);
        const ob = decodeOauthbearer(b64(buildOauthbearer(user, 'h.example', 993, token)));
        if (ob.user !== user || ob.token !== token || ob.port !== 993) problems.push(`OAUTHBEARER ${show({ user, token })} → ${show(ob)}`);
      } catch (err) {
        problems.push(`${show({ user, token })} threw ${String(err)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

// ── 2. The Exchange greeting ──────────────────────────────────────────────────────────────────
describe('fuzz: decodeExchangeBackend', () => {
  // A fresh stream per test: a failure replays with -t, whatever ran before.
  let r = new Rng(BASE_SEED ^ 0x6ee7);
  beforeEach(() => {
    r = new Rng(BASE_SEED ^ 0x6ee7);
  });
  const greetingFor = (name: string) => `* OK The Microsoft Exchange IMAP4 service is ready. [${Buffer.from(name, 'utf16le').toString('base64')}]`;
  const HOSTCHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-';

  it('3000 greetings: never throws; undefined or a printable host name', () => {
    const problems: string[] = [];
    const started = performance.now();
    for (let i = 0; i < 3000; i++) {
      let g: string;
      switch (i % 8) {
        case 0: g = greetingFor(r.chars(r.range(3, 60), HOSTCHARS)); break;
        case 1: g = r.mutate(greetingFor(r.chars(r.range(3, 40), HOSTCHARS))); break;
        case 2: g = `* OK [${b64(r.bytes(r.int(80)))}]`; break;
        case 3: g = `* OK [${r.chars(r.int(200), B64 + '=[] ')}]${r.chars(r.int(4), ' \r\n\t')}`; break;
        case 4: g = r.bytes(r.int(300)).toString('latin1'); break;
        case 5: g = `* OK [${'A'.repeat(r.int(60_000))}`; break; // unterminated, long
        case 6: g = `* OK ${'['.repeat(r.int(5000))}${'QUFB'.repeat(r.int(5000))}${']'.repeat(r.int(3))}`; break;
        default: g = greetingFor(r.bytes(r.int(40)).toString('latin1')); break; // non-printable name
      }
      try {
        const out = decodeExchangeBackend(g);
        if (out !== undefined && (typeof out !== 'string' || !/^[\x21-\x7e]{3,255}$/.test(out))) problems.push(`seed ${r.seed} #${i} ${show(g)} → ${show(out)}`);
        if (i % 8 === 0) {
          const name = Buffer.from(/\[(.*)\]/.exec(g)![1]!, 'base64').toString('utf16le');
          if (out !== name) problems.push(`seed ${r.seed} #${i} ${show(g)} → ${show(out)}, expected ${name}`);
        }
      } catch (err) {
        problems.push(`seed ${r.seed} #${i} ${show(g)} threw ${String(err)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

// ── 3. MSAL errors ────────────────────────────────────────────────────────────────────────────
describe('fuzz: toTokenError', () => {
  // A fresh stream per test: a failure replays with -t, whatever ran before.
  let r = new Rng(BASE_SEED ^ 0x75a1);
  beforeEach(() => {
    r = new Rng(BASE_SEED ^ 0x75a1);
  });
  const KINDS = ['server', 'network', 'timeout', 'empty-token', 'client'];
  const GUID = '22222222-2222-2222-2222-222222222222';
  const msalMessage = (code: number) =>
    `Error(s): ${code} - Timestamp: 2026-11-25 10:00:00Z - Description: AADSTS${code}: Something failed.\r\nTrace ID: ${GUID}\r\nCorrelation ID: ${GUID}\r\nTimestamp: 2026-11-25 10:00:00Z - Correlation ID: ${GUID} - Trace ID: ${GUID}`;

  function msalLike(): Record<string, unknown> {
    const code = r.pick([700016, 7000215, 7000222, 53003, 50196, 90002, 1, 99999999]);
    const e: Record<string, unknown> = {
      name: r.pick(['ServerError', 'AuthError', 'ClientAuthError', 'Error']),
      errorCode: r.pick(['invalid_client', 'invalid_request', 'network_error', 'endpoints_resolution_error', 'unauthorized_client', '', 'temporarily_unavailable']),
      errorMessage: r.chance(0.8) ? r.mutate(msalMessage(code)) : r.chars(r.int(400), MUTATION_ALPHABET + ' - :'),
      message: r.chars(r.int(40), MUTATION_ALPHABET),
    };
    if (r.chance(0.6)) e.errorNo = r.pick([code, String(code), '', 'abc', '1e309', -1, 0]);
    if (r.chance(0.6)) e.status = r.pick([400, 401, 429, 500, 503, 0, 200, 399]);
    if (r.chance(0.5)) e.correlationId = r.pick(['', GUID, r.chars(36, '0123456789abcdef-')]);
    if (r.chance(0.1)) e.errorMessage = `${'Description: '.repeat(r.int(500))}${' - Xyz: '.repeat(r.int(500))}`;
    return e;
  }

  function check(err: unknown, i: number, problems: string[]) {
    try {
      const t = toTokenError(err, r.chance(0.5) ? { httpStatus: r.pick([429, 500, 503]), retryAfterSeconds: r.int(120) } : undefined);
      if (!t || typeof t !== 'object' || !KINDS.includes(t.kind)) problems.push(`seed ${r.seed} #${i} ${show(err)} → kind ${show(t?.kind)}`);
      else if (typeof t.message !== 'string') problems.push(`seed ${r.seed} #${i} ${show(err)} → message ${show(t.message)}`);
      else if (t.aadsts !== undefined && !Number.isFinite(t.aadsts)) problems.push(`seed ${r.seed} #${i} ${show(err)} → aadsts ${show(t.aadsts)}`);
      else if (t.description !== undefined && /[\r\n]/.test(t.description)) problems.push(`seed ${r.seed} #${i} ${show(err)} → multi-line description`);
    } catch (e) {
      problems.push(`seed ${r.seed} #${i} toTokenError(${show(err)}) threw ${String(e)}`);
    }
  }

  it('3000 MSAL-like errors (mutated errorMessage), strings, Errors: never throws, always a kind', () => {
    const problems: string[] = [];
    const started = performance.now();
    for (let i = 0; i < 3000; i++) {
      let err: unknown;
      switch (i % 6) {
        case 0: case 1: case 2: err = msalLike(); break;
        case 3: err = r.chars(r.int(200), MUTATION_ALPHABET); break;
        case 4: err = new Error(r.mutate(msalMessage(7000215))); break;
        default: err = r.pick([undefined, null, 0, 42, true, '', [], {}, Symbol('x'), 10n, () => 1, new TypeError('fetch failed')]); break;
      }
      check(err, i, problems);
    }
    expect(problems).toEqual([]);
  });

  it('random objects: string/null/missing text fields, string or number errorNo/status', () => {
    const problems: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const text = () => r.pick<unknown>([undefined, null, '', 'x', r.chars(r.int(50), MUTATION_ALPHABET), 'AADSTS700016: x', 'network_error']);
      const err: Record<string, unknown> = {};
      for (const key of ['errorCode', 'correlationId', 'errorMessage', 'message']) if (r.chance(0.7)) err[key] = text();
      for (const key of ['errorNo', 'status']) if (r.chance(0.7)) err[key] = r.pick([text(), 401, 429, 7000215, 0, -1, NaN]);
      check(err, i, problems);
    }
    expect(problems).toEqual([]);
  });

  it('objects with non-string errorMessage/message/errorCode, or without a prototype: never throws, message is a string', () => {
    const problems: string[] = [];
    const inputs: unknown[] = [{ errorMessage: 42 }, { message: { a: 1 } }, { errorMessage: ['AADSTS7000215'] }, Object.create(null), { errorCode: 'x', errorMessage: {} }, { errorCode: 401, errorMessage: '' }];
    inputs.forEach((err, i) => check(err, i, problems));
    expect(problems).toEqual([]);
  });
});

// ── 4. Token claims ───────────────────────────────────────────────────────────────────────────
describe('fuzz: token claims', () => {
  // A fresh stream per test: a failure replays with -t, whatever ran before.
  let r = new Rng(BASE_SEED ^ 0xc1a1);
  beforeEach(() => {
    r = new Rng(BASE_SEED ^ 0xc1a1);
  });
  const HEADER = b64url('{"alg":"RS256","typ":"JWT"}');
  const SUMMARY = new Set(['aud', 'iss', 'tid', 'appid', 'azp', 'app_displayname', 'oid', 'sub', 'roles', 'scp', 'upn', 'appidacr', 'ver', 'iat', 'nbf', 'exp']);
  const good = `${HEADER}.${b64url(JSON.stringify({ aud: 'https://outlook.office365.com', roles: ['IMAP.AccessAsApp'], exp: 1_900_000_000 }))}.c2ln`;

  function tokenish(i: number): string {
    switch (i % 10) {
      case 0: return `${HEADER}.${b64url(JSON.stringify(randomJson(r)))}.${r.chars(r.int(40), B64)}`;
      case 1: return r.mutate(good);
      case 2: return `${HEADER}.${b64url(r.bytes(r.int(60)).toString('latin1'))}.x`;
      case 3: return `${r.pick(['', 'Bearer ', 'bearer  ', ' \n'])}${good}${r.pick(['', '\n', ' '])}`;
      case 4: return JSON.stringify({ token_type: 'Bearer', access_token: r.chance(0.7) ? good : randomJson(r), expires_in: 3599 });
      case 5: return r.mutate(JSON.stringify({ access_token: good }));
      case 6: return r.chars(r.int(100), B64 + '.-_ ');
      case 7: return `${HEADER}.${b64url('['.repeat(r.int(20_000)) + ']'.repeat(r.int(20_000)))}.x`; // deep nesting
      case 8: return `${'a.'.repeat(r.int(3000))}${'b'.repeat(r.int(3000))}`;
      default: return r.bytes(r.int(100)).toString('utf8');
    }
  }

  const isClaimValue = (k: string, v: unknown) =>
    k === 'roles' ? Array.isArray(v) && v.every((x) => typeof x === 'string')
      : k === 'aud' ? typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))
        : k === 'iat' || k === 'nbf' || k === 'exp' ? typeof v === 'number' && Number.isFinite(v)
          : typeof v === 'string';

  it('2000 tokens: decodeJwtPayload/normaliseAccessToken throw only Errors; summariseClaims never throws', () => {
    const problems: string[] = [];
    const started = performance.now();
    for (let i = 0; i < 2000; i++) {
      const t = tokenish(i);
      try {
        const payload = decodeJwtPayload(t);
        if (!payload || typeof payload !== 'object' || Array.isArray(payload)) problems.push(`seed ${r.seed} #${i} decodeJwtPayload(${show(t)}) → ${show(payload)}`);
      } catch (err) {
        if (!(err instanceof Error) || !err.message) problems.push(`seed ${r.seed} #${i} decodeJwtPayload(${show(t)}) threw ${show(err)}`);
      }
      try {
        const n = normaliseAccessToken(t);
        if (typeof n !== 'string' || !n) problems.push(`seed ${r.seed} #${i} normaliseAccessToken(${show(t)}) → ${show(n)}`);
        else decodeJwtPayload(n); // what it returns is a JWT
      } catch (err) {
        if (!(err instanceof Error) || !err.message) problems.push(`seed ${r.seed} #${i} normaliseAccessToken(${show(t)}) threw ${show(err)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('summariseClaims: any JSON object → only known claims, each of its type', () => {
    const problems: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const payload = (i % 2 === 0 ? JSON.parse(JSON.stringify(randomJson(r)) ?? 'null') : randomJson(r)) as unknown;
      const obj = payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : { aud: payload, roles: payload, exp: payload };
      try {
        const c = summariseClaims(obj) as Record<string, unknown>;
        for (const [k, v] of Object.entries(c)) {
          if (!SUMMARY.has(k) || !isClaimValue(k, v)) problems.push(`seed ${r.seed} #${i} ${show(obj)} → ${k}: ${show(v)}`);
        }
      } catch (err) {
        problems.push(`seed ${r.seed} #${i} summariseClaims(${show(obj)}) threw ${String(err)}`);
      }
    }
    // From a real JSON.parse: "__proto__" is an own key there.
    expect(() => summariseClaims(JSON.parse('{"__proto__":{"roles":["IMAP.AccessAsApp"]},"constructor":1}') as Record<string, unknown>)).not.toThrow();
    expect(problems).toEqual([]);
  });

  it('expiresAt never throws on summarised claims (exp out of the Date range)', () => {
    for (const exp of [1_700_000_000_000_000, 1e300, -1e300]) {
      expect(() => expiresAt(summariseClaims({ exp }))).not.toThrow();
    }
  });
});

// ── 5. Users file ─────────────────────────────────────────────────────────────────────────────
describe('fuzz: parseUsersFile', () => {
  // A fresh stream per test: a failure replays with -t, whatever ran before.
  let r = new Rng(BASE_SEED ^ 0x05e5);
  beforeEach(() => {
    r = new Rng(BASE_SEED ^ 0x05e5);
  });
  const SAMPLES = [
    'alice@contoso.com\nbob@contoso.com\n# comment\n\n',
    'UserPrincipalName,DisplayName\r\n"alice@contoso.com","Alice, A."\r\nbob@contoso.com,Bob\r\n',
    '\uFEFFmail;name\nalice@contoso.com;Alice\n"b""ob"@contoso.com;"x"\n',
    'DisplayName,Department\nAlice,Sales\n',
    'user\nalice@contoso.com\n',
  ];

  it('2000 files: only Errors; every user a non-empty string on a real line', () => {
    const problems: string[] = [];
    const started = performance.now();
    for (let i = 0; i < 2000; i++) {
      let text: string;
      switch (i % 6) {
        case 0: text = r.mutate(r.pick(SAMPLES), MUTATION_ALPHABET + ',;"\n\r'); break;
        case 1: text = r.bytes(r.int(300)).toString('utf8'); break;
        case 2: text = Array.from({ length: r.int(30) }, () => r.chars(r.int(20), 'ab@.,;"# \t\r\uFEFF')).join(r.pick(['\n', '\r\n', '\r'])); break;
        case 3: text = `${r.pick(['user', 'mail', 'upn', 'x', '"user"', ''])}${r.pick([',', ';', ''])}${r.pick(['name', ''])}\n${'"'.repeat(r.int(2000))}`; break;
        case 4: text = `${','.repeat(r.int(5000))}\n${'a@b.c,'.repeat(r.int(5000))}`; break;
        default: text = r.pick(SAMPLES).repeat(1 + r.int(300)); break;
      }
      const lineCount = text.replace(/^\uFEFF/, '').split(/\r?\n/).length;
      try {
        const { users } = parseUsersFile(text);
        if (!Array.isArray(users)) problems.push(`seed ${r.seed} #${i} ${show(text)} → ${show(users)}`);
        for (const u of users) {
          if (typeof u.value !== 'string' || !u.value || !Number.isInteger(u.line) || u.line < 1 || u.line > lineCount) {
            problems.push(`seed ${r.seed} #${i} ${show(text)} → ${show(u)}`);
          }
        }
      } catch (err) {
        if (!(err instanceof Error) || !err.message) problems.push(`seed ${r.seed} #${i} ${show(text)} threw ${show(err)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

// ── 6. diagnose on random evidence ────────────────────────────────────────────────────────────
describe('fuzz: diagnose', () => {
  const NOW = new Date('2026-01-15T12:00:00Z');
  const STAGES: (StageName | null)[] = [...PROBE_STAGES, null];

  function randomClaims(r: Rng, dateSafe: boolean) {
    const payload = randomJson(r) as Record<string, unknown> | unknown;
    const base: Record<string, unknown> = payload && typeof payload === 'object' && !Array.isArray(payload) ? { ...(payload as object) } : {};
    // Bias towards plausible claims, so the rules that read them run.
    if (r.chance(0.7)) base.aud = r.pick(['https://outlook.office365.com', 'https://graph.microsoft.com', ['https://outlook.office.com/'], r.chars(r.int(30), MUTATION_ALPHABET)]);
    if (r.chance(0.7)) base.roles = r.pick([['IMAP.AccessAsApp'], [], ['Mail.Read'], 'IMAP.AccessAsApp']);
    for (const k of ['tid', 'appid', 'azp', 'oid'] as const) if (r.chance(0.5)) base[k] = r.pick(['11111111-2222-3333-4444-555555555555', r.chars(r.int(40), MUTATION_ALPHABET)]);
    if (r.chance(0.2)) base.scp = r.pick(['IMAP.AccessAsUser.All', '', r.chars(10, MUTATION_ALPHABET)]);
    const ts = () => r.pick([NOW.getTime() / 1000 + r.range(-100_000, 100_000), 0, -1, 1e12, -1e12, 8.64e12, 1e300, -1e300, 1.7e15, 0.5]);
    for (const k of ['exp', 'nbf', 'iat'] as const) if (r.chance(0.6)) base[k] = ts();
    const claims = summariseClaims(base);
    if (dateSafe) for (const k of ['exp', 'nbf', 'iat'] as const) if (claims[k] !== undefined && !withinDateRange(claims[k]!)) delete claims[k];
    return claims;
  }

  function randomToken(r: Rng, dateSafe: boolean): TokenReport {
    const source = r.pick(['client-secret', 'certificate', 'access-token-file'] as const);
    if (r.chance(0.6)) return { source, ok: true, claims: r.chance(0.9) ? randomClaims(r, dateSafe) : undefined, ms: r.int(1000), requests: r.int(3) };
    const error: TokenError = {
      kind: r.pick(['server', 'network', 'timeout', 'empty-token', 'client'] as const),
      message: r.chars(r.int(80), MUTATION_ALPHABET),
    };
    if (r.chance(0.7)) error.aadsts = r.pick([700016, 7000215, 7000222, 7000218, 700027, 700021, 700023, 700024, 90002, 500011, 1002012, 70011, 53003, 50196, 7000112, 0, r.int(1e8)]);
    if (r.chance(0.6)) error.httpStatus = r.pick([400, 401, 429, 500, 503, 0]);
    if (r.chance(0.5)) error.description = r.chars(r.int(80), MUTATION_ALPHABET);
    if (r.chance(0.4)) error.oauthError = r.pick(['invalid_client', 'invalid_scope', '']);
    if (r.chance(0.3)) error.retryAfterSeconds = r.int(100);
    return { source, ok: false, error, ms: r.int(1000), requests: r.int(3), claims: r.chance(0.2) ? randomClaims(r, dateSafe) : undefined };
  }

  function randomProbe(r: Rng): ProbeResult {
    const failedStage = r.pick(STAGES);
    const text = () => r.pick([r.chars(r.int(60), MUTATION_ALPHABET), 'AUTHENTICATE failed.', 'User is authenticated but not connected.', "Mailbox doesn't exist", '']);
    const evidence: ProbeEvidence = { authenticated: r.chance(0.5) };
    if (r.chance(0.5)) evidence.errorCode = r.pick(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'ECONNRESET', 'NO_MECHANISM', 'NoConnection', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ETIMEOUT', r.chars(8, MUTATION_ALPHABET)]);
    if (r.chance(0.5)) evidence.errorMessage = text();
    if (r.chance(0.2)) evidence.timedOut = r.pick([...PROBE_STAGES, 'token'] as StageName[]);
    if (r.chance(0.5)) evidence.greeting = text();
    if (r.chance(0.5)) evidence.capabilities = Array.from({ length: r.int(6) }, () => r.pick(['IMAP4rev1', 'AUTH=XOAUTH2', 'SASL-IR', 'AUTH=PLAIN', r.chars(6, MUTATION_ALPHABET)]));
    if (r.chance(0.4)) evidence.serverResponse = text();
    if (r.chance(0.4)) evidence.serverStatus = r.pick(['NO', 'BAD'] as const);
    if (r.chance(0.3)) evidence.serverResponseCode = r.pick(['AUTHENTICATIONFAILED', 'UNAVAILABLE', '']);
    if (r.chance(0.3)) evidence.saslChallenge = r.chance(0.7) ? { status: r.pick(['401', '400', 'invalid_token', 401]), scope: r.pick([undefined, 'https://outlook.office365.com/.default']), schemes: 'bearer' } : (randomJson(r) as Record<string, unknown>) ?? {};
    if (r.chance(0.2)) evidence.bye = text();
    if (r.chance(0.2)) {
      const peer = r.chance(0.7) ? { subject: `CN=${r.chars(10, MUTATION_ALPHABET)}`, issuer: 'CN=CA', validFrom: NOW.toISOString(), validTo: NOW.toISOString(), ...(r.chance(0.5) ? { altNames: 'DNS:x' } : {}) } : undefined;
      evidence.tlsFailure = { code: r.pick(['CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'SELF_SIGNED_CERT_IN_CHAIN', r.chars(5, MUTATION_ALPHABET)]), ...(peer ? { peer } : {}) };
    }
    if (r.chance(0.2)) evidence.mailbox = { folder: 'INBOX', ...(r.chance(0.5) ? { exists: r.int(100) } : {}) };
    if (r.chance(0.15)) evidence.notImap = { firstLine: text() };
    if (r.chance(0.15)) evidence.connectionLost = true;
    const upto = failedStage ? PROBE_STAGES.indexOf(failedStage) + 1 : PROBE_STAGES.length;
    const stages = PROBE_STAGES.slice(0, upto).map((name) => ({ name, ok: name !== failedStage, ms: r.int(100), detail: text() }));
    return { user: 'u@contoso.com', host: 'outlook.office365.com', port: r.pick([993, 143, 1]), ok: failedStage === null, failedStage, stages, transcript: [], evidence };
  }

  function randomContext(r: Rng, dateSafe: boolean): DiagnosisContext {
    return {
      user: r.pick(['u@contoso.com', "o'neil@contoso.com", r.chars(r.int(30), MUTATION_ALPHABET)]),
      host: r.pick(['outlook.office365.com', r.chars(r.int(20), MUTATION_ALPHABET)]),
      tenant: r.pick([undefined, '11111111-2222-3333-4444-555555555555', 'contoso.onmicrosoft.com', '']),
      clientId: r.pick([undefined, 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', '']),
      scope: r.pick(['https://outlook.office365.com/.default', 'https://graph.microsoft.com/.default', '', r.chars(20, MUTATION_ALPHABET)]),
      credential: r.pick(['client-secret', 'certificate', 'access-token-file'] as const),
      token: randomToken(r, dateSafe),
      probe: r.chance(0.8) ? randomProbe(r) : undefined,
      now: NOW,
    };
  }

  function run(seed: number, iterations: number, dateSafe: boolean): string[] {
    const r = new Rng(seed);
    const problems: string[] = [];
    for (let i = 0; i < iterations && problems.length < 5; i++) {
      const c = randomContext(r, dateSafe);
      const before = structuredClone(c);
      try {
        const out = diagnose(c);
        if (!Array.isArray(out)) problems.push(`seed ${seed} #${i}: not an array: ${show(out)}`);
        for (const d of out) {
          if (!['id', 'summary', 'cause', 'fix'].every((k) => typeof (d as unknown as Record<string, unknown>)[k] === 'string') || !['error', 'advisory'].includes(d.severity) || (d.docs !== undefined && typeof d.docs !== 'string')) {
            problems.push(`seed ${seed} #${i}: malformed finding ${show(d)}`);
          }
        }
        expect(c).toEqual(before);
      } catch (err) {
        problems.push(`seed ${seed} #${i}: diagnose(${show(c, 2000)}) threw ${String(err)}`);
      }
    }
    return problems;
  }

  it('3000 random contexts (timestamps within the Date range): never throws, always well-formed findings', () => {
    const started = performance.now();
    expect(run(BASE_SEED ^ 0xd1a6, 3000, true)).toEqual([]);
  });

  it('random contexts with any finite exp/nbf: never throws', () => {
    expect(run(BASE_SEED ^ 0xd1a6, 3000, false)).toEqual([]);
  });

  it('minimal repro: nbf 1e300 or exp -1e300 in the claims', () => {
    const c = (claims: Record<string, number>): DiagnosisContext => ({
      user: 'u@contoso.com', host: 'outlook.office365.com', scope: 'https://outlook.office365.com/.default', credential: 'access-token-file', now: NOW,
      token: { source: 'access-token-file', ok: true, ms: 0, requests: 0, claims: { aud: 'https://outlook.office365.com', roles: ['IMAP.AccessAsApp'], ...claims } },
    });
    expect(() => diagnose(c({ nbf: 1e300 }))).not.toThrow();
    expect(() => diagnose(c({ exp: -1e300 }))).not.toThrow();
    expect(() => diagnose(c({ nbf: 1.7e15 }))).not.toThrow();
  });
});

// ── 7. probeMailbox against a random IMAP server ──────────────────────────────────────────────
const TIMEOUT_MS = 500;
const GUARD_MS = TIMEOUT_MS * 5 + 1000;
const USER = 'fuzz@contoso.com';
const TOKEN = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${b64url(JSON.stringify({ aud: 'https://outlook.office365.com', roles: ['IMAP.AccessAsApp'], tid: '11111111-2222-3333-4444-555555555555', oid: '99999999-8888-7777-6666-555555555555', exp: 1_900_000_000 }))}.${'S1gnatur3'.repeat(8)}`;

interface ServerOptions {
  /** Allow the generators behind known bugs (kept out of the green run). */
  knownBugs?: boolean;
}

interface FuzzServer {
  port: number;
  /** What the server sent, truncated, for the failure report. */
  log: string[];
  openSockets(): number;
  close(): Promise<void>;
}

/** One-connection TLS server whose every move comes from the seed. */
async function startFuzzServer(seed: number, key: { keyPem: string; certPem: string }, opts: ServerOptions = {}): Promise<FuzzServer> {
  const r = new Rng(seed);
  const log: string[] = [];
  const sockets = new Set<tls.TLSSocket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = tls.createServer({ key: key.keyPem, cert: key.certPem });
  server.on('tlsClientError', () => undefined);
  server.on('error', () => undefined);

  const note = (what: string, data?: string | Buffer) => {
    const text = data === undefined ? '' : typeof data === 'string' ? data : data.toString('latin1');
    log.push(`${what}${text ? `: ${show(text, 160)}` : ''}`);
  };

  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      for (const t of timers) clearTimeout(t);
    });
    let closed = false;
    let lastTag = '*';
    let pendingChallenge = false;
    let learnedToken: string | undefined;

    // Everything the server does goes through one queue, so bytes leave in the order they were
    // scripted, however they are delayed or dripped.
    let queue: Promise<void> = Promise.resolve();
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, ms);
        timers.add(t);
      });
    const enqueue = (ms: number, fn: () => void) => {
      queue = queue.then(async () => {
        if (ms > 0) await sleep(ms);
        if (!closed && !socket.destroyed) fn();
      });
    };
    const write = (data: Buffer) => socket.write(data);
    /** Sends now, after a pause, or dripped in pieces. */
    const send = (what: string, data: string | Buffer) => {
      note(what, data);
      const buf = Buffer.from(data);
      const mode = r.int(10);
      if (mode === 0 && buf.length > 1) {
        // drip: a few pieces, a few ms apart
        const pieces = Math.min(buf.length, 2 + r.int(6));
        const size = Math.ceil(buf.length / pieces);
        for (let i = 0; i < pieces; i++) enqueue(r.range(1, 30), () => write(buf.subarray(i * size, (i + 1) * size)));
      } else enqueue(mode === 1 ? r.range(1, 150) : 0, () => write(buf));
    };
    const close = (how: 'end' | 'destroy') => {
      note(`close (${how})`);
      enqueue(r.int(30), () => {
        closed = true;
        if (how === 'end') socket.end();
        else socket.destroy();
      });
    };

    // ── fault generators ──
    const HUGE_FRAGMENTS = ['A', '(', ')', '"', '[', ']', '{', '\\', ' ', '* ', 'x)', '"a" ', 'NIL ', '{5}\r\n', 'AUTH=XOAUTH2 '];
    const REDOS_FRAGMENTS = ['eyJ-', 'eyJa.'];
    const huge = () => {
      const frag = opts.knownBugs && r.chance(0.5) ? r.pick(REDOS_FRAGMENTS) : r.pick(HUGE_FRAGMENTS);
      return `${r.pick(['* OK ', '* ', `${lastTag} OK `, `${lastTag} NO `, '+ ', ''])}${frag.repeat(Math.ceil(r.range(1000, 100_000) / frag.length))}\r\n`;
    };
    const randomJsonChallenge = () => {
      const depth = opts.knownBugs && r.chance(0.5) ? r.range(20_000, 30_000) : r.int(50);
      const body = r.chance(0.5) ? JSON.stringify(randomJson(r)) : `{"status":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      return `+ ${b64(body)}\r\n`;
    };
    const junk = (): string | Buffer => {
      switch (r.int(16)) {
        case 0: return r.bytes(r.range(1, 2000));
        case 1: return huge();
        case 2: return `* OK ${r.chars(r.int(40), MUTATION_ALPHABET)}\x00\x00${r.chars(r.int(10), 'ab')}\r\n`;
        case 3: return `${r.pick(['* ', `${lastTag} `])}${r.pick(['OK', 'NO', 'BAD'])} ${r.pick(['[', '(', '"', ']', ')', '[CAPABILITY (', '[READ-ONLY', '"unterminated'])}${r.chars(r.int(20), MUTATION_ALPHABET)}\r\n`;
        case 4: return `* ${r.int(100)} FETCH (BODY[] {${r.range(5, 500)}}\r\n${r.chars(r.int(4), 'abc')}`; // literal, too few bytes
        case 5: return `* BYE ${r.chars(r.int(30), MUTATION_ALPHABET)}\r\n`;
        case 6: return `* ${r.chars(r.int(30), MUTATION_ALPHABET)}\r\n`;
        case 7: return `+ ${r.pick(['', 'go ahead', b64(r.bytes(r.int(30))), 'eyJzdGF0dXMiOiI0MDEifQ=='])}\r\n`;
        case 8: return `${lastTag} ${r.pick(['OK', 'NO', 'BAD'])} ${r.mutate('[AUTHENTICATIONFAILED] AUTHENTICATE failed.')}\r\n`;
        case 9: return `${r.pick(['A999', '*', '+', '1', 'a1', ''])} ${r.pick(['OK', 'NO', 'BAD'])} wrong tag\r\n`;
        case 10: return `\r\n\r\n${r.pick(['\n', '\r', '\r\r\n'])}`;
        case 11: return randomJsonChallenge();
        case 12: return `* CAPABILITY ${r.mutate('IMAP4rev1 AUTH=XOAUTH2 SASL-IR ID')}\r\n`;
        case 13: return `* ${r.int(10)} ${r.pick(['EXISTS', 'RECENT', 'EXPUNGE'])}\r\n* FLAGS (${r.chars(r.int(20), '\\()"ab ')}\r\n`;
        case 14: return learnedToken ? `${r.pick([`${lastTag} NO`, '* OK', '* BAD', '* BYE', `${lastTag} BAD`])} ${r.pick(['Invalid token: ', 'token=', '"', '[ALERT] '])}${learnedToken}${r.pick(['', '"', ' expired', ']'])}\r\n` : `* OK nothing to echo\r\n`;
        default: return `${r.pick(['* PREAUTH', '* OK', '* NO'])} ${r.mutate('[CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR] ready')}\r\n`;
      }
    };
    /** One misbehaviour, or two or three in a row; maybe followed by silence or a close. */
    const misbehave = () => {
      const action = r.int(10);
      if (action === 0) return note('silence');
      if (action === 1) return close(r.chance(0.5) ? 'end' : 'destroy');
      for (let n = 1 + r.int(3); n > 0; n--) send('junk', junk());
      if (r.chance(0.15)) close('destroy');
    };

    // ── greeting ──
    const backend = Buffer.from(r.chars(r.range(3, 40), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.'), 'utf16le').toString('base64');
    const GREETINGS = [
      `* OK The Microsoft Exchange IMAP4 service is ready. [${backend}]\r\n`,
      '* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=PLAIN ID] Dovecot ready.\r\n',
      '* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] no SASL-IR here\r\n',
    ];
    // How often this connection misbehaves: some get far into the session, some fail at once.
    const chaos = r.pick([0.1, 0.25, 0.5, 0.8]);
    note(`chaos ${chaos}`);
    if (!r.chance(chaos)) send('greeting', r.pick(GREETINGS));
    else if (r.chance(0.4)) send('mutated greeting', `${r.mutate(r.pick(GREETINGS).trimEnd())}\r\n`);
    else misbehave();

    // ── answers ──
    const valid = (tag: string, cmd: string, line: string) => {
      switch (cmd) {
        case 'CAPABILITY':
          return send('valid', `* CAPABILITY IMAP4rev1 ${r.pick(['AUTH=XOAUTH2 SASL-IR', 'AUTH=XOAUTH2', 'AUTH=XOAUTH2 AUTH=OAUTHBEARER SASL-IR', 'AUTH=PLAIN'])} UIDPLUS\r\n${tag} OK CAPABILITY completed.\r\n`);
        case 'AUTHENTICATE': {
          const ir = line.split(' ')[3];
          if (!ir) return send('valid', '+ \r\n'); // no SASL-IR: ask for the payload
          return authAnswer(tag);
        }
        case 'CONTINUATION':
          if (pendingChallenge) {
            pendingChallenge = false;
            return send('valid', `${tag} NO AUTHENTICATE failed.\r\n`);
          }
          return authAnswer(tag);
        case 'SELECT':
        case 'EXAMINE':
          return send('valid', r.pick([
            `* 3 EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Answered)\r\n* OK [UIDVALIDITY 14] UIDs valid\r\n${tag} OK [READ-ONLY] EXAMINE completed.\r\n`,
            `${tag} BAD User is authenticated but not connected.\r\n`,
            `${tag} NO Mailbox doesn't exist: INBOX\r\n`,
          ]));
        case 'LOGOUT':
          send('valid', `* BYE Microsoft Exchange Server IMAP4 server signing off.\r\n${tag} OK LOGOUT completed.\r\n`);
          return close('end');
        default:
          return send('valid', `${tag} OK ${cmd} completed.\r\n`);
      }
    };
    const authAnswer = (tag: string) => {
      const k = r.int(6);
      if (k >= 3) return send('valid', `${tag} OK AUTHENTICATE completed.\r\n`);
      if (k === 1) return send('valid', `${tag} NO AUTHENTICATE failed.\r\n`);
      if (k === 2) return send('valid', `${tag} NO [AUTHENTICATIONFAILED] Authentication failed\r\n`);
      pendingChallenge = true;
      return send('valid', `+ ${b64('{"status":"401","schemes":"bearer","scope":"https://outlook.office365.com/.default"}')}\r\n`);
    };

    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        const m = /^(\S+) (CAPABILITY|AUTHENTICATE|SELECT|EXAMINE|LOGOUT|NOOP|ID|ENABLE|NAMESPACE|LIST|STATUS)\b/i.exec(line);
        const tag = m ? m[1]! : lastTag;
        const cmd = m ? m[2]!.toUpperCase() : 'CONTINUATION';
        if (m) lastTag = tag;
        // Learn the token as a server would: from the XOAUTH2 payload.
        const payload = cmd === 'AUTHENTICATE' ? line.split(' ')[3] : cmd === 'CONTINUATION' ? line : undefined;
        if (payload) {
          try {
            learnedToken = decodeXoauth2(payload).token;
          } catch {
            /* not XOAUTH2 */
          }
        }
        log.push(`client: ${cmd} ${show(line.replace(/[A-Za-z0-9+/=]{40,}/g, '<payload>'), 80)}`);
        if (closed) continue;
        if (!r.chance(chaos)) valid(tag, cmd, line);
        else misbehave();
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    log,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface ProbeOutcome {
  seed: number;
  result?: ProbeResult;
  error?: string;
  ms: number;
  hung: boolean;
  log: string[];
  leftOpen: number;
}

async function probeOnce(seed: number, key: { keyPem: string; certPem: string }, caPem: string, opts: ServerOptions = {}): Promise<ProbeOutcome> {
  const server = await startFuzzServer(seed, key, opts);
  const target: ProbeTarget = { user: USER, host: '127.0.0.1', port: server.port, folder: 'INBOX', timeoutMs: TIMEOUT_MS, caPem, insecure: false };
  const started = performance.now();
  let guard: NodeJS.Timeout | undefined;
  const outcome: ProbeOutcome = { seed, ms: 0, hung: false, log: server.log, leftOpen: 0 };
  try {
    const race = await Promise.race([
      probeMailbox(target, TOKEN, new Redactor()).then((result) => ({ result })),
      new Promise<{ hung: true }>((resolve) => (guard = setTimeout(() => resolve({ hung: true }), GUARD_MS))),
    ]);
    if ('hung' in race) outcome.hung = true;
    else outcome.result = race.result;
  } catch (err) {
    outcome.error = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
  } finally {
    clearTimeout(guard);
  }
  outcome.ms = Math.round(performance.now() - started);
  // The client must not leave its connection open once the probe has answered.
  for (let waited = 0; server.openSockets() > 0 && waited < 1000; waited += 25) await new Promise((r) => setTimeout(r, 25));
  outcome.leftOpen = server.openSockets();
  await server.close();
  return outcome;
}

/** Problems with one outcome (empty: fine). */
function judge(o: ProbeOutcome): string[] {
  const p: string[] = [];
  if (o.hung || o.ms > GUARD_MS) p.push(`did not resolve within ${GUARD_MS} ms (took ${o.ms} ms)`);
  if (o.error) p.push(`rejected: ${o.error}`);
  const res = o.result;
  if (res) {
    if (typeof res.ok !== 'boolean') p.push(`ok is ${show(res.ok)}`);
    if (!(res.failedStage === null || (PROBE_STAGES as readonly string[]).includes(res.failedStage))) p.push(`failedStage ${show(res.failedStage)}`);
    const order = res.stages.map((s) => PROBE_STAGES.indexOf(s.name));
    if (order.some((x, i) => x < 0 || (i > 0 && x <= order[i - 1]!)) || order[0] !== 0) p.push(`stages out of order: ${res.stages.map((s) => s.name).join(',')}`);
    const failed = res.stages.filter((s) => !s.ok);
    if (failed.length > 1 || (failed.length === 1 && res.stages.at(-1) !== failed[0])) p.push(`failed stage not last: ${show(res.stages)}`);
    if (res.ok !== (failed.length === 0) || res.failedStage !== (failed[0]?.name ?? null)) p.push(`ok/failedStage inconsistent: ${res.ok}/${res.failedStage}`);
    if (res.ok && res.stages.at(-1)?.name !== 'logout') p.push(`ok without reaching logout: ${res.stages.map((s) => s.name).join(',')}`);
    let json = '';
    try {
      json = JSON.stringify(res);
    } catch (err) {
      p.push(`result cannot be serialised: ${String(err)}`);
    }
    if (json.includes(TOKEN)) p.push('the token appears in the result');
    try {
      const ds = diagnose({
        user: USER, host: '127.0.0.1', scope: 'https://outlook.office365.com/.default', credential: 'client-secret', now: new Date(),
        token: { source: 'client-secret', ok: true, ms: 1, requests: 1, claims: summariseClaims(decodeJwtPayload(TOKEN)) },
        probe: res,
      });
      if (!Array.isArray(ds)) p.push('diagnose did not return an array');
    } catch (err) {
      p.push(`diagnose threw on this result: ${String(err)}`);
    }
  }
  if (o.leftOpen > 0) p.push(`${o.leftOpen} connection(s) still open 1 s after the probe returned`);
  return p.map((x) => `seed ${o.seed}: ${x}\n    server: ${o.log.slice(0, 12).join('\n            ')}`);
}

/** A hand-written one-connection server: greeting, then `answer` for every line the client sends. */
async function probeScripted(
  key: { keyPem: string; certPem: string },
  caPem: string,
  greeting: string,
  answer: (line: string, tag: string, socket: tls.TLSSocket) => void,
): Promise<ProbeResult> {
  const server = tls.createServer({ key: key.keyPem, cert: key.certPem });
  server.on('tlsClientError', () => undefined);
  const sockets = new Set<tls.TLSSocket>();
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.write(greeting);
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (!socket.destroyed) answer(line, line.split(' ')[0]!, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    return await probeMailbox({ user: USER, host: '127.0.0.1', port, folder: 'INBOX', timeoutMs: TIMEOUT_MS, caPem, insecure: false }, TOKEN, new Redactor());
  } finally {
    for (const so of sockets) so.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function pool<T, R>(items: T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

describe('fuzz: probeMailbox against a random IMAP server', () => {
  let serverKey: { keyPem: string; certPem: string };
  let caPem: string;
  const escaped: string[] = [];
  const onRejection = (reason: unknown) => escaped.push(`unhandledRejection: ${show(reason instanceof Error ? reason.stack : reason, 600)}`);
  const onException = (err: unknown) => escaped.push(`uncaughtException: ${show(err instanceof Error ? err.stack : err, 600)}`);

  beforeAll(async () => {
    const pki = await createTestPki('fuzz CA');
    serverKey = await pki.issueServerCert(['localhost', '127.0.0.1']);
    caPem = pki.ca.certPem;
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
  });

  afterAll(() => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  });

  it(`${CONNECTIONS} connections: resolves in time, well-formed result, no token, nothing escapes`, async () => {
    const seeds = Array.from({ length: CONNECTIONS }, (_, i) => (BASE_SEED + i * 7919) >>> 0);
    // Warm-up (module loading, first TLS handshakes), so the 500 ms connect deadline measures the server.
    await probeOnce(BASE_SEED, serverKey, caPem);
    const outcomes = await pool(seeds, 6, (seed) => probeOnce(seed, serverKey, caPem, { knownBugs: KNOWN_BUGS }));
    // Let late events (socket errors, stray timers) surface before judging.
    await new Promise((r) => setTimeout(r, 100));
    const problems = outcomes.flatMap(judge);
    const stats = {
      ok: outcomes.filter((o) => o.result?.ok).length,
      failedAt: Object.fromEntries(PROBE_STAGES.map((s) => [s, outcomes.filter((o) => o.result?.failedStage === s).length])),
      slowestMs: Math.max(...outcomes.map((o) => o.ms)),
    };
    // FUZZ_VERBOSE=1: one line per connection; =2: with what the server sent and the transcript.
    if (process.env.FUZZ_VERBOSE) {
      console.log(JSON.stringify(stats));
      for (const o of outcomes) {
        const detail = process.env.FUZZ_VERBOSE === '2'
          ? `\n  ${o.log.join('\n  ')}\n  ${(o.result?.transcript ?? []).map((l) => `${l.dir} ${show(l.text, 120)}`).join('\n  ')}`
          : '';
        console.log(o.seed, o.ms, o.result?.failedStage, show(o.result?.stages.at(-1)?.detail, 100), detail);
      }
    }
    expect(problems, JSON.stringify(stats)).toEqual([]);
    expect(escaped).toEqual([]);
    // The run must get past the greeting often enough to exercise every stage.
    const deep = outcomes.filter((o) => o.result && (o.result.ok || o.result.failedStage === 'authenticate' || o.result.failedStage === 'mailbox')).length;
    expect(deep, JSON.stringify(stats)).toBeGreaterThan(3);
  }, Math.max(20_000, CONNECTIONS * 400));

  // Quadratic redaction took ~26 s on this input; linear takes milliseconds. The test's own
  // timeout is the hang guard (no timed assertion).
  it('redact() of a 400 KB server line made of "eyJ-" returns (hang guard: the test timeout)', { timeout: 5_000 }, () => {
    const line = `* OK ${'eyJ-'.repeat(100_000)}`;
    expect(new Redactor().redact(line)).toBe(line);
  });

  it('a deeply nested SASL error challenge: probeMailbox resolves with a result', async () => {
    const deep = `+ ${b64(`{"status":${'['.repeat(20_000)}${']'.repeat(20_000)}}`)}\r\n`;
    let authTag = '';
    const result = await probeScripted(serverKey, caPem, '* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n', (line, tag, socket) => {
      if (/ AUTHENTICATE /i.test(line)) {
        authTag = tag;
        socket.write(deep);
      } else if (line === '') socket.write(`${authTag} NO AUTHENTICATE failed.\r\n`);
      else socket.write(`${tag} OK done\r\n`);
    });
    expect(result.failedStage).toBe('authenticate');
    expect(() => JSON.stringify(result)).not.toThrow();
  });

  it('CAPABILITY answered untagged only, then the server closes: no stage after the failed one', async () => {
    const result = await probeScripted(serverKey, caPem, '* OK The Microsoft Exchange IMAP4 service is ready.\r\n', (line, tag, socket) => {
      if (/ CAPABILITY/i.test(line)) {
        socket.write('* CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL\r\n');
        setTimeout(() => socket.destroy(), 20);
      } else socket.write(`${tag} OK done\r\n`);
    });
    expect(result.stages.map((st) => `${st.name}:${st.ok}`)).toEqual(['connect:true', 'capability:false']);
  });

  it('a NO with another tag is not the verdict on AUTHENTICATE', async () => {
    const result = await probeScripted(serverKey, caPem, '* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n', (line, tag, socket) => {
      if (/ AUTHENTICATE /i.test(line)) socket.write('A999 NO not the answer you are waiting for\r\n');
      else socket.write(`${tag} OK done\r\n`);
    });
    expect(result.evidence.timedOut).toBe('authenticate');
    expect(result.evidence.serverStatus).toBeUndefined();
  });

  it('the fuzz seeds that found it: stages in order', async () => {
    const outcomes = [await probeOnce(518962979, serverKey, caPem), await probeOnce(518511596, serverKey, caPem)];
    expect(outcomes.flatMap(judge)).toEqual([]);
  });
});
