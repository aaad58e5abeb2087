// `imap-oauth sasl encode` / `sasl decode`: the command functions, with a fake io and an injected reader.
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { runSaslDecode, runSaslEncode, tokenFromFileText, unredactedIo, type SaslIo, type SaslReadInput } from '../../src/commands/sasl.js';
import { ConfigError } from '../../src/errors.js';
import { Redactor } from '../../src/redact.js';
import { buildOauthbearer, encodeXoauth2 } from '../../src/sasl.js';

const VECTOR_USER = 'someuser@example.com';
const VECTOR_TOKEN = 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg';
const VECTOR =
  'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==';

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwtOf = (payload: unknown) => `${part({ alg: 'RS256', typ: 'JWT' })}.${part(payload)}.c2lnbmF0dXJlLXNpZ25hdHVyZQ`;

const TID = '11111111-2222-3333-4444-555555555555';
const APPID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const OID = '99999999-8888-7777-6666-555555555555';
const PAYLOAD = {
  aud: 'https://outlook.office365.com',
  iss: `https://sts.windows.net/${TID}/`,
  tid: TID,
  appid: APPID,
  oid: OID,
  roles: ['IMAP.AccessAsApp'],
  exp: 1_900_000_000, // 2030-03-17T17:46:40.000Z
};
const JWT = jwtOf(PAYLOAD);

interface FakeIo extends SaslIo {
  stdout: string;
  stderr: string;
}

/** Collects output; `redacted` passes it through a fresh Redactor, as the CLI's io does. */
function fakeIo(opts: { tty?: boolean; redacted?: boolean } = {}): FakeIo {
  const r = opts.redacted ? new Redactor() : null;
  const io: FakeIo = {
    stdout: '',
    stderr: '',
    stderrIsTTY: opts.tty ?? false,
    out: (text) => void (io.stdout += r ? r.redact(text) : text),
    err: (text) => void (io.stderr += r ? r.redact(text) : text),
  };
  return io;
}

/** A reader over an in-memory file system; "-" is standard input. */
function reader(files: Record<string, string>): SaslReadInput & { calls: [string, string][] } {
  const calls: [string, string][] = [];
  const fn = (path: string, origin: string) => {
    calls.push([path, origin]);
    const text = files[path];
    if (text === undefined) throw new ConfigError(`cannot read ${path === '-' ? 'standard input' : path} (${origin}): no such file`);
    return text;
  };
  return Object.assign(fn, { calls });
}

/** Runs `fn`, expecting a one-line ConfigError; returns its message. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a ConfigError');
}

const encode = (flags: Record<string, unknown>, files: Record<string, string>, io = fakeIo()) => {
  const code = runSaslEncode(flags, io, reader(files));
  return { code, io };
};
// The string arrives on standard input, as the CLI takes it (never from argv).
const viaStdin = (words: string[], files: Record<string, string> = {}) => (words.length === 1 && words[0] === '-' ? files : { ...files, '-': words.join(' ') });
const decode = (words: string[], flags: Record<string, unknown> = {}, files: Record<string, string> = {}, io = fakeIo()) => {
  const code = runSaslDecode(['-'], flags, io, reader(viaStdin(words, files)));
  return { code, io };
};

describe('sasl encode', () => {
  it('prints the reference XOAUTH2 vector for an opaque (Gmail) token, and nothing else', () => {
    const { code, io } = encode({ user: VECTOR_USER, tokenFile: 't.txt' }, { 't.txt': `${VECTOR_TOKEN}\n` });
    expect(code).toBe(0);
    expect(io.stdout).toBe(`${VECTOR}\n`);
    expect(io.stderr).toBe('');
  });

  it('prints the string intact through the process redactor (the token is not registered)', () => {
    for (const token of [VECTOR_TOKEN, JWT]) {
      const io = fakeIo({ redacted: true });
      runSaslEncode({ user: VECTOR_USER, tokenFile: 't' }, io, reader({ t: token }));
      expect(io.stdout).toBe(`${encodeXoauth2(VECTOR_USER, token)}\n`);
    }
  });

  it.each([
    ['bare', JWT],
    ['Bearer prefix', `Bearer ${JWT}\n`],
    ['token endpoint JSON', JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: JWT })],
    ['opaque with Bearer', `Bearer ${VECTOR_TOKEN}`],
    ['opaque in JSON', JSON.stringify({ access_token: VECTOR_TOKEN })],
  ])('reads the token file: %s', (_name, text) => {
    const expected = text.includes('ya29') ? VECTOR_TOKEN : JWT;
    const { io } = encode({ user: VECTOR_USER, tokenFile: 'f' }, { f: text });
    expect(io.stdout).toBe(`${encodeXoauth2(VECTOR_USER, expected)}\n`);
  });

  it('reads the token from standard input through the injected reader', () => {
    const read = reader({ '-': `${JWT}\n` });
    const io = fakeIo();
    runSaslEncode({ user: VECTOR_USER, tokenFile: '-' }, io, read);
    expect(read.calls).toEqual([['-', '--token-file']]);
    expect(io.stdout).toBe(`${encodeXoauth2(VECTOR_USER, JWT)}\n`);
  });

  it('--show-secrets also prints the decoded form on stderr, with ^A shown', () => {
    const { io } = encode({ user: VECTOR_USER, tokenFile: 't', showSecrets: true }, { t: VECTOR_TOKEN });
    expect(io.stdout).toBe(`${VECTOR}\n`);
    expect(io.stderr).toBe(`user=${VECTOR_USER}^Aauth=Bearer ${VECTOR_TOKEN}^A^A\n`);
  });

  it('prints a one-line hint on stderr only when stderr is a terminal, never the token', () => {
    const { io } = encode({ user: VECTOR_USER, tokenFile: 't' }, { t: JWT }, fakeIo({ tty: true }));
    expect(io.stdout).toBe(`${encodeXoauth2(VECTOR_USER, JWT)}\n`);
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
    expect(io.stderr).toContain('XOAUTH2');
    expect(io.stderr).not.toContain(JWT);
  });

  it('OAUTHBEARER: GS2 header, default host and port', () => {
    const { io } = encode({ user: 'a@contoso.com', tokenFile: 't', mech: 'oauthbearer', showSecrets: true }, { t: JWT });
    const raw = buildOauthbearer('a@contoso.com', 'outlook.office365.com', 993, JWT);
    expect(io.stdout).toBe(`${Buffer.from(raw).toString('base64')}\n`);
    expect(io.stderr).toBe(`n,a=a@contoso.com,^Ahost=outlook.office365.com^Aport=993^Aauth=Bearer ${JWT}^A^A\n`);
  });

  it('OAUTHBEARER with --host and --port, and --mech in capitals', () => {
    const { io } = encode({ user: 'a@contoso.com', tokenFile: 't', mech: 'OAUTHBEARER', host: 'imap.gmail.com', port: '143' }, { t: VECTOR_TOKEN });
    expect(io.stdout).toBe(`${Buffer.from(buildOauthbearer('a@contoso.com', 'imap.gmail.com', 143, VECTOR_TOKEN)).toString('base64')}\n`);
  });

  it.each([
    ['no --user', { tokenFile: 't' }, { t: JWT }, /needs --user/],
    ['bad --user', { user: 'not an address', tokenFile: 't' }, { t: JWT }, /invalid --user/],
    ['no --token-file', { user: VECTOR_USER }, {}, /needs --token-file/],
    ['missing token file', { user: VECTOR_USER, tokenFile: 'nope' }, {}, /cannot read nope \(--token-file\): no such file/],
    ['empty token file', { user: VECTOR_USER, tokenFile: 't' }, { t: '\n' }, /t \(--token-file\) is empty/],
    ['two lines', { user: VECTOR_USER, tokenFile: 't' }, { t: 'abc\ndef\n' }, /line breaks/],
    ['JSON without access_token', { user: VECTOR_USER, tokenFile: 't' }, { t: '{"error":"invalid_client"}' }, /without an "access_token"/],
    ['broken JSON', { user: VECTOR_USER, tokenFile: 't' }, { t: '{"access_token": ' }, /does not parse/],
    ['bad --mech', { user: VECTOR_USER, tokenFile: 't', mech: 'plain' }, { t: JWT }, /invalid --mech "plain": expected xoauth2 or oauthbearer/],
    ['--host with xoauth2', { user: VECTOR_USER, tokenFile: 't', host: 'x.example.com' }, { t: JWT }, /only to --mech oauthbearer/],
    ['bad --port', { user: VECTOR_USER, tokenFile: 't', mech: 'oauthbearer', port: '99999' }, { t: JWT }, /invalid --port "99999"/],
    ['bad --host', { user: VECTOR_USER, tokenFile: 't', mech: 'oauthbearer', host: 'a b' }, { t: JWT }, /invalid --host "a b"/],
  ])('rejects %s with one line', (_name, flags, files, reason) => {
    const io = fakeIo();
    expect(configError(() => runSaslEncode(flags, io, reader(files)))).toMatch(reason);
    expect(io.stdout).toBe('');
  });

  it('never puts the token in an error message', () => {
    const message = configError(() => tokenFromFileText('ya29.abc def', 'f (--token-file)'));
    expect(message).not.toContain('ya29');
  });
});

describe('sasl decode', () => {
  it('decodes the reference vector; the token is redacted and said to be no JWT', () => {
    const { code, io } = decode([VECTOR]);
    expect(code).toBe(0);
    expect(io.stdout).toContain('mechanism  XOAUTH2');
    expect(io.stdout).toContain(`user       ${VECTOR_USER}`);
    expect(io.stdout).toMatch(/token +<redacted> {2}\(not a JWT/);
    expect(io.stdout).toContain('not a JWT');
    expect(io.stdout).not.toContain('ya29');
    expect(io.stdout).not.toContain(VECTOR_TOKEN.slice(5));
    expect(io.stderr).toBe('');
  });

  it('--show-secrets shows the token', () => {
    const { io } = decode([VECTOR], { showSecrets: true });
    expect(io.stdout).toContain(`token      ${VECTOR_TOKEN}\n`);
  });

  it('round-trips encode → decode', () => {
    const enc = encode({ user: 'bob@contoso.com', tokenFile: 't' }, { t: JWT });
    const { io } = decode([enc.io.stdout.trim()], { json: true, showSecrets: true });
    const doc = JSON.parse(io.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ mechanism: 'XOAUTH2', user: 'bob@contoso.com', token: JWT });
  });

  it("shows a JWT's claims, never the token", () => {
    const { io } = decode([encodeXoauth2('bob@contoso.com', JWT)]);
    const out = io.stdout;
    expect(out).toContain('(a JWT');
    expect(out).toMatch(/aud +https:\/\/outlook\.office365\.com/);
    expect(out).toMatch(/roles +IMAP\.AccessAsApp/);
    expect(out).toMatch(new RegExp(`tid +${TID}`));
    expect(out).toMatch(new RegExp(`appid +${APPID}`));
    expect(out).toMatch(new RegExp(`oid +${OID}`));
    expect(out).toMatch(/exp +2030-03-17T17:46:40\.000Z/);
    expect(out).not.toContain(JWT);
    for (const piece of JWT.split('.')) expect(out).not.toContain(piece);
    // Nothing to hide: the process redactor changes nothing.
    const redactedIo = fakeIo({ redacted: true });
    runSaslDecode([], {}, redactedIo, reader({ '-': encodeXoauth2('bob@contoso.com', JWT) }));
    expect(redactedIo.stdout).toBe(out);
  });

  it('marks an expired token and shows scp and azp of a delegated token', () => {
    const token = jwtOf({ aud: 'https://outlook.office.com', scp: 'IMAP.AccessAsUser.All', azp: APPID, exp: 1_000_000_000 });
    const { io } = decode([encodeXoauth2('bob@contoso.com', token)]);
    expect(io.stdout).toMatch(/scp +IMAP\.AccessAsUser\.All/);
    expect(io.stdout).toMatch(/azp +aaaaaaaa/);
    expect(io.stdout).toMatch(/exp +2001-09-09T01:46:40\.000Z {2}\(expired\)/);
  });

  it('--json: one document, token redacted, claims decoded', () => {
    const { io } = decode([encodeXoauth2('bob@contoso.com', JWT)], { json: true });
    const doc = JSON.parse(io.stdout) as Record<string, unknown>;
    expect(doc).toEqual({
      mechanism: 'XOAUTH2',
      user: 'bob@contoso.com',
      token: '<redacted>',
      claims: { aud: PAYLOAD.aud, iss: PAYLOAD.iss, tid: TID, appid: APPID, oid: OID, roles: ['IMAP.AccessAsApp'], exp: PAYLOAD.exp },
      expiresAt: '2030-03-17T17:46:40.000Z',
    });
    expect(io.stdout).not.toContain(JWT);
  });

  it('--json with an opaque token: claims null', () => {
    const { io } = decode([VECTOR], { json: true, showSecrets: true });
    expect(JSON.parse(io.stdout)).toEqual({ mechanism: 'XOAUTH2', user: VECTOR_USER, token: VECTOR_TOKEN, claims: null, expiresAt: null });
  });

  it('OAUTHBEARER: detected from the GS2 header, with host and port', () => {
    const b64 = Buffer.from(buildOauthbearer('a,b=c@contoso.com', 'imap.example.com', 993, JWT)).toString('base64');
    const { io } = decode([b64]);
    expect(io.stdout).toContain('mechanism  OAUTHBEARER');
    expect(io.stdout).toContain('user       a,b=c@contoso.com');
    expect(io.stdout).toContain('host       imap.example.com');
    expect(io.stdout).toContain('port       993');
    expect(io.stdout).not.toContain(JWT);
    const json = decode([b64], { json: true });
    expect(JSON.parse(json.io.stdout)).toMatchObject({ mechanism: 'OAUTHBEARER', user: 'a,b=c@contoso.com', host: 'imap.example.com', port: 993, token: '<redacted>' });
  });

  it('encode --mech oauthbearer round-trips through decode', () => {
    const enc = encode({ user: 'a@contoso.com', tokenFile: 't', mech: 'oauthbearer', host: 'imap.gmail.com', port: '993' }, { t: VECTOR_TOKEN });
    const { io } = decode([enc.io.stdout], { json: true, showSecrets: true });
    expect(JSON.parse(io.stdout)).toEqual({ mechanism: 'OAUTHBEARER', user: 'a@contoso.com', host: 'imap.gmail.com', port: 993, token: VECTOR_TOKEN, claims: null, expiresAt: null });
  });

  it.each([
    ['one argument', [`A01 AUTHENTICATE XOAUTH2 ${VECTOR}`]],
    ['unquoted words', ['A01', 'AUTHENTICATE', 'XOAUTH2', VECTOR]],
    ['no tag', [`AUTHENTICATE XOAUTH2 ${VECTOR}`]],
    ['transcript line', [`C: 2 authenticate xoauth2 ${VECTOR}`]],
  ])('accepts a pasted transcript line: %s', (_name, words) => {
    const { io } = decode(words, { json: true, showSecrets: true });
    expect(JSON.parse(io.stdout)).toMatchObject({ mechanism: 'XOAUTH2', user: VECTOR_USER, token: VECTOR_TOKEN });
    expect(io.stderr).toBe('');
  });

  it('notes a line whose mechanism does not match its string', () => {
    const { io } = decode([`A1 AUTHENTICATE OAUTHBEARER ${VECTOR}`]);
    expect(io.stdout).toContain('mechanism  XOAUTH2');
    expect(io.stderr).toMatch(/says AUTHENTICATE OAUTHBEARER but the string is XOAUTH2/);
  });

  it('reads standard input through the injected reader: a transcript, or wrapped base64', () => {
    const transcript = `S: * OK ready\nC: A01 AUTHENTICATE XOAUTH2 ${VECTOR}\nS: A01 OK done\n`;
    const read = reader({ '-': transcript });
    const io = fakeIo();
    runSaslDecode(['-'], { json: true }, io, read);
    expect(read.calls).toEqual([['-', 'sasl decode, standard input']]);
    expect(JSON.parse(io.stdout)).toMatchObject({ mechanism: 'XOAUTH2', user: VECTOR_USER, token: '<redacted>' });

    const wrapped = `${VECTOR.slice(0, 76)}\n${VECTOR.slice(76)}\n`;
    const second = decode(['-'], { json: true, showSecrets: true }, { '-': wrapped });
    expect(JSON.parse(second.io.stdout)).toMatchObject({ user: VECTOR_USER, token: VECTOR_TOKEN });
  });

  it('hides the token even when the user= field holds it', () => {
    const { io } = decode([encodeXoauth2(JWT, JWT)]);
    expect(io.stdout).not.toContain(JWT);
  });

  it('escapes control characters in what it prints', () => {
    const b64 = Buffer.from('user=a\x1b[31m@b.c\x01auth=Bearer tok\x01\x01').toString('base64');
    const { io } = decode([b64]);
    expect(io.stdout).toContain('user       a\\x1b[31m@b.c');
    expect(io.stdout).not.toContain('\x1b');
  });

  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it.each([
    ['nothing', [], /the input is empty/],
    ['not base64', ['not base64!'], /^not an XOAUTH2 or OAUTHBEARER string: (expected one base64 string|not valid base64)/],
    ['bad padding', ['dXNlcj1'], /: not valid base64$/],
    ['missing ^A^A', [b64('user=a@b.c\x01auth=Bearer t')], /: missing the terminating \^A\^A$/],
    ['no Bearer', [b64('user=a@b.c\x01auth=Basic dXNlcjpwYXNz\x01\x01')], /auth=Bearer/],
    ['OAUTHBEARER without auth', [b64('n,a=a@b.c,\x01host=h\x01port=993\x01\x01')], /missing auth=Bearer/],
    ['OAUTHBEARER without ^A^A', [b64('n,a=a@b.c,\x01auth=Bearer t')], /terminating/],
    ['OAUTHBEARER bad port', [b64('n,a=a@b.c,\x01port=x\x01auth=Bearer t\x01\x01')], /port= is not a port number/],
    ['OAUTHBEARER without authzid', [b64('n,,\x01auth=Bearer t\x01\x01')], /GS2 header/],
    ['a redacted transcript line', ['C: 2 AUTHENTICATE XOAUTH2 <redacted>'], /<redacted>/],
    ['AUTHENTICATE PLAIN', [`A1 AUTHENTICATE PLAIN ${b64('\x00u\x00secret-password')}`], /uses AUTHENTICATE PLAIN$/],
    ['no initial response', ['A1 AUTHENTICATE XOAUTH2'], /no initial response/],
    ['two AUTHENTICATE lines', [`A1 AUTHENTICATE XOAUTH2 ${VECTOR}\nA2 AUTHENTICATE XOAUTH2 ${VECTOR}`], /2 AUTHENTICATE lines/],
    ['a server error challenge', [b64('{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}')], /server's error challenge/],
  ])('rejects %s with one line', (_name, words, reason) => {
    const io = fakeIo();
    const message = configError(() => runSaslDecode(['-'], {}, io, reader(viaStdin(words))));
    expect(message).toMatch(reason);
    expect(message).not.toContain('secret-password');
    expect(io.stdout).toBe('');
  });

  it('refuses a SASL string or AUTHENTICATE line on the command line, reading nothing', () => {
    for (const words of [[VECTOR], [`A01 AUTHENTICATE XOAUTH2 ${VECTOR}`], ['A01', 'AUTHENTICATE', 'XOAUTH2', VECTOR]]) {
      const io = fakeIo();
      const message = configError(() => runSaslDecode(words, {}, io, () => { throw new Error('read nothing'); }));
      expect(message).toMatch(/do not put it on the command line/);
      expect(message).not.toContain(VECTOR);
      expect(io.stdout + io.stderr).toBe('');
    }
  });

  it('reads a file named on the command line', () => {
    const { code, io } = { io: fakeIo(), code: 0 };
    expect(runSaslDecode(['pasted.txt'], {}, io, reader({ 'pasted.txt': `A01 AUTHENTICATE XOAUTH2 ${VECTOR}\n` }))).toBe(code);
    expect(io.stdout).toContain(`user       ${VECTOR_USER}`);
  });

  it('empty standard input is a one-line error', () => {
    expect(configError(() => runSaslDecode(['-'], {}, fakeIo(), reader({ '-': '\n' })))).toMatch(/the input is empty/);
  });
});

describe('--show-secrets output and the process redactor', () => {
  it('the redacting io would hide a JWT shown by --show-secrets, so the CLI passes unredactedIo()', () => {
    const through = fakeIo({ redacted: true });
    runSaslDecode([], { showSecrets: true }, through, reader({ '-': encodeXoauth2('bob@contoso.com', JWT) }));
    expect(through.stdout).not.toContain(JWT);

    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const io = unredactedIo(stdout, stderr);
    expect(io.stderrIsTTY).toBe(false);
    runSaslDecode([], { showSecrets: true }, io, reader({ '-': encodeXoauth2('bob@contoso.com', JWT) }));
    runSaslEncode({ user: 'bob@contoso.com', tokenFile: 't', showSecrets: true }, io, reader({ t: JWT }));
    const out = String(stdout.read());
    expect(out).toContain(`token      ${JWT}\n`);
    expect(out).toContain(`${encodeXoauth2('bob@contoso.com', JWT)}\n`);
    expect(String(stderr.read())).toBe(`user=bob@contoso.com^Aauth=Bearer ${JWT}^A^A\n`);
  });
});
