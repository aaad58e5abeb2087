// SASL payloads for IMAP: XOAUTH2, OAUTHBEARER (RFC 7628) and the server's error challenge.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../support/prng.js';
import {
  buildOauthbearer,
  buildXoauth2,
  decodeErrorChallenge,
  decodeOauthbearer,
  decodeXoauth2,
  encodeXoauth2,
} from '../../src/sasl.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

// The seed's (and Google's documented) XOAUTH2 test vector.
const VECTOR_USER = 'someuser@example.com';
const VECTOR_TOKEN = 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg';
const VECTOR =
  'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==';

describe('XOAUTH2', () => {
  it('encodes the reference test vector exactly', () => {
    expect(encodeXoauth2(VECTOR_USER, VECTOR_TOKEN)).toBe(VECTOR);
  });

  it('builds the raw string with ^A separators', () => {
    expect(buildXoauth2('u@x.com', 'tok')).toBe('user=u@x.com\x01auth=Bearer tok\x01\x01');
  });

  it('decodes the reference test vector', () => {
    expect(decodeXoauth2(VECTOR)).toEqual({ user: VECTOR_USER, token: VECTOR_TOKEN });
  });

  it('round-trips, ignoring surrounding whitespace', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln-_';
    expect(decodeXoauth2(`  ${encodeXoauth2('bob@contoso.com', token)}\r\n`)).toEqual({ user: 'bob@contoso.com', token });
  });

  it.each([
    ['not base64', 'not base64!', /not valid base64/],
    ['bad length', 'dXNlcj1', /not valid base64/],
    ['missing ^A^A', b64('user=a@b.c\x01auth=Bearer t'), /terminating/],
    ['one ^A only', b64('user=a@b.c\x01auth=Bearer t\x01'), /terminating/],
    ['three fields', b64('user=a@b.c\x01x=y\x01auth=Bearer t\x01\x01'), /expected 2 fields, found 3/],
    ['one field', b64('user=a@b.c\x01\x01'), /expected 2 fields, found 1/],
    ['no user=', b64('usr=a@b.c\x01auth=Bearer t\x01\x01'), /user=/],
    ['no Bearer', b64('user=a@b.c\x01auth=Basic t\x01\x01'), /auth=Bearer/],
    ['empty token', b64('user=a@b.c\x01auth=Bearer \x01\x01'), /auth=Bearer/],
    ['fields swapped', b64('auth=Bearer t\x01user=a@b.c\x01\x01'), /user=/],
    ['junk before the base64', `!!!!${VECTOR}`, /not valid base64/],
    ['junk after the base64', `${VECTOR}!!!!`, /not valid base64/],
    ['a prefix before auth=', b64('user=a@b.c\x01xauth=Bearer t\x01\x01'), /auth=Bearer/],
    ['a line break in the token', b64('user=a@b.c\x01auth=Bearer t\nA1 LOGOUT\x01\x01'), /auth=Bearer/],
  ])('rejects %s', (_name, input, reason) => {
    expect(() => decodeXoauth2(input)).toThrow(reason);
  });

  it.each([
    ['user', 'a@b.c\x01auth=Bearer evil', 'tok'],
    ['user', 'a@b.c\n', 'tok'],
    ['token', 'a@b.c', 'tok\x01\x01'],
    ['token', 'a@b.c', 'tok\r\nA1 LOGOUT'],
    ['token', 'a@b.c', 'tok\x7f'],
    ['token', 'a@b.c', 'tok\x00'],
  ])('refuses control characters in the %s', (what, user, token) => {
    expect(() => buildXoauth2(user, token)).toThrow(new RegExp(`${what} contains control characters`));
    expect(() => encodeXoauth2(user, token)).toThrow(/control characters/);
  });
});

describe('OAUTHBEARER', () => {
  it('builds the RFC 7628 layout', () => {
    expect(buildOauthbearer('u@x.com', 'imap.example.com', 993, 'tok')).toBe(
      'n,a=u@x.com,\x01host=imap.example.com\x01port=993\x01auth=Bearer tok\x01\x01',
    );
  });

  it('escapes , and = in the user name', () => {
    expect(buildOauthbearer('a,b=c', 'h', 1, 't')).toMatch(/^n,a=a=2Cb=3Dc,\x01/);
  });

  it.each(['plain@contoso.com', 'we,ird=user@contoso.com', '=2C=3D,,==@x.com', ''])('round-trips user %j', (user) => {
    const token = 'abc.def-ghi_jkl==';
    const encoded = b64(buildOauthbearer(user, 'outlook.office365.com', 993, token));
    expect(decodeOauthbearer(encoded)).toEqual({ user, host: 'outlook.office365.com', port: 993, token });
  });

  it('ignores extension fields (RFC 7628 kvpairs) after the token', () => {
    expect(decodeOauthbearer(b64('n,a=u@x.com,\x01auth=Bearer tok\x01x-extra=1\x01\x01'))).toEqual({ user: 'u@x.com', token: 'tok' });
  });

  it('reads the fields right after the GS2 header even when its ^A is missing', () => {
    expect(decodeOauthbearer(b64('n,a=u@x.com,auth=Bearer tok\x01\x01'))).toEqual({ user: 'u@x.com', token: 'tok' });
  });

  it('decodes without host and port', () => {
    expect(decodeOauthbearer(b64('n,a=u@x.com,\x01auth=Bearer tok\x01\x01'))).toEqual({ user: 'u@x.com', token: 'tok' });
  });

  it.each([
    ['no GS2 header', b64('user=a\x01auth=Bearer t\x01\x01'), /GS2/],
    ['no auth', b64('n,a=u,\x01host=h\x01\x01'), /auth=Bearer/],
    ['empty string', '', /GS2/],
    ['junk before the GS2 header', b64('xn,a=u,\x01auth=Bearer t\x01\x01'), /GS2/],
  ])('rejects %s', (_name, input, reason) => {
    expect(() => decodeOauthbearer(input)).toThrow(reason);
  });

  it('refuses control characters', () => {
    expect(() => buildOauthbearer('u\x01', 'h', 1, 't')).toThrow(/user contains control characters/);
    expect(() => buildOauthbearer('u', 'h', 1, 't\n')).toThrow(/token contains control characters/);
  });
});

describe('decodeErrorChallenge', () => {
  it('decodes the Exchange Online challenge', () => {
    expect(decodeErrorChallenge('eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=')).toEqual({
      status: '401',
      schemes: 'bearer',
      scope: 'mail',
    });
  });

  it('tolerates surrounding whitespace', () => {
    expect(decodeErrorChallenge(` ${b64('{"status":"invalid_token"}')}\r\n`)).toEqual({ status: 'invalid_token' });
  });

  it.each([
    ['empty', ''],
    ['garbage', 'garbage!!'],
    ['base64 of text', b64('not json')],
    ['base64 of an array', b64('[1,2]')],
    ['base64 of null', b64('null')],
    ['base64 of a number', b64('401')],
    ['base64 of a string', b64('"x"')],
    ['IMAP response text', 'NO AUTHENTICATE failed.'],
    ['junk before the base64', `!!${b64('{"status":"401"}')}`],
    ['junk after the base64', `${b64('{"status":"401"}')}!!`],
  ])('returns null for %s', (_name, input) => {
    expect(decodeErrorChallenge(input)).toBeNull();
  });
});

describe('fuzz: decoders fail only with Errors', () => {
  const random = mulberry32(0xc0ffee);
  const int = (n: number) => Math.floor(random() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\x01 ,@.-_\n';
  // Built in the test, not while the file is collected: a failure there would be no failing test.
  const valid = () => [
    VECTOR,
    b64(buildOauthbearer('a,b=c@x.com', 'outlook.office365.com', 993, VECTOR_TOKEN)),
    'eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=',
  ];

  function mutate(s: string): string {
    const chars = [...s];
    for (let i = 1 + int(4); i > 0; i--) {
      const at = int(chars.length + 1);
      const op = int(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, ALPHABET[int(ALPHABET.length)]!);
      else chars[at] = ALPHABET[int(ALPHABET.length)]!;
    }
    return chars.join('');
  }

  function inputs(): string[] {
    const VALID = valid();
    const out: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const raw = bytes(int(80));
      switch (i % 5) {
        case 0: out.push(raw.toString('base64')); break; // well-formed base64 of junk
        case 1: out.push(raw.toString('latin1')); break; // arbitrary characters
        case 2: out.push(Array.from({ length: int(60) }, () => ALPHABET[int(ALPHABET.length)]).join('')); break;
        case 3: out.push(mutate(VALID[int(VALID.length)]!)); break; // near-misses
        default: out.push(b64(mutate(Buffer.from(VALID[int(2)]!, 'base64').toString('latin1')))); break; // valid base64, damaged SASL
      }
    }
    return out;
  }

  it('2000 random and mutated inputs: only Error throws, never a hang', () => {
    const problems: string[] = [];
    let decoded = 0;
    let rejected = 0;
    for (const input of inputs()) {
      const shown = JSON.stringify(input);
      for (const decode of [decodeXoauth2, decodeOauthbearer]) {
        try {
          const parts = decode(input);
          if (typeof parts.user !== 'string' || typeof parts.token !== 'string' || !parts.token) {
            problems.push(`${decode.name}(${shown}) returned ${JSON.stringify(parts)}`);
          }
          decoded++;
        } catch (err) {
          if (!(err instanceof Error) || !err.message) problems.push(`${decode.name}(${shown}) threw ${String(err)}`);
          rejected++;
        }
      }
      try {
        const challenge = decodeErrorChallenge(input);
        if (challenge !== null && (typeof challenge !== 'object' || Array.isArray(challenge))) {
          problems.push(`decodeErrorChallenge(${shown}) returned ${JSON.stringify(challenge)}`);
        }
      } catch (err) {
        problems.push(`decodeErrorChallenge(${shown}) threw ${String(err)}`);
      }
    }
    expect(problems).toEqual([]);
    // The corpus must exercise both outcomes, or the loop proves nothing.
    expect(decoded).toBeGreaterThan(20);
    expect(rejected).toBeGreaterThan(2000);
  });
});
