// Access token claims: decoded (never verified) for the report.
import { describe, expect, it } from 'vitest';
import { decodeJwtPayload, expiresAt, normaliseAccessToken, summariseClaims } from '../../src/token/claims.js';

const part = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const jwtOf = (payload: unknown, signature = 'c2lnbmF0dXJl') => `${part({ alg: 'RS256', typ: 'JWT' })}.${part(payload)}.${signature}`;

const PAYLOAD = {
  aud: 'https://outlook.office365.com',
  iss: 'https://sts.windows.net/11111111-2222-3333-4444-555555555555/',
  tid: '11111111-2222-3333-4444-555555555555',
  appid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  roles: ['IMAP.AccessAsApp'],
  exp: 1_900_000_000,
};
const TOKEN = jwtOf(PAYLOAD);

describe('decodeJwtPayload', () => {
  it('returns the payload of a JWT', () => {
    expect(decodeJwtPayload(TOKEN)).toEqual(PAYLOAD);
  });

  it('accepts an unsigned JWT (empty third part)', () => {
    expect(decodeJwtPayload(jwtOf({ a: 1 }, ''))).toEqual({ a: 1 });
  });

  it('decodes UTF-8 claims', () => {
    expect(decodeJwtPayload(jwtOf({ name: 'Jürgen Ø' })).name).toBe('Jürgen Ø');
  });

  it.each([
    ['empty', ''],
    ['one part', 'abc'],
    ['two parts', 'abc.def'],
    ['four parts', 'a.b.c.d'],
    ['standard base64 characters', `${part({})}.ab+/cd.sig`],
    ['padding', `${part({})}.${part({ a: 1 })}=.sig`],
    ['whitespace', ` ${TOKEN}`],
    ['Bearer prefix', `Bearer ${TOKEN}`],
    ['payload not JSON', `${part({})}.${part('not json')}.sig`],
    ['payload an array', jwtOf([1, 2])],
    ['payload a string', jwtOf('"x"')],
    ['payload null', jwtOf('null')],
  ])('rejects %s with "is not a JWT"', (_name, token) => {
    expect(() => decodeJwtPayload(token)).toThrow(/^is not a JWT/);
  });

  it('says why: shape, JSON, object', () => {
    expect(() => decodeJwtPayload('x')).toThrow('is not a JWT (expected three base64url parts separated by dots)');
    expect(() => decodeJwtPayload(`a.${part('{')}.b`)).toThrow('is not a JWT (its payload is not JSON)');
    expect(() => decodeJwtPayload(jwtOf([]))).toThrow('is not a JWT (its payload is not a JSON object)');
  });
});

describe('summariseClaims', () => {
  it('keeps the known claims with their values', () => {
    const full = {
      aud: 'https://outlook.office365.com',
      iss: 'https://sts.windows.net/t/',
      tid: 't',
      appid: 'app',
      azp: 'azp',
      app_displayname: 'IMAP checker',
      oid: 'o',
      sub: 's',
      roles: ['IMAP.AccessAsApp', 'Mail.Read'],
      scp: 'IMAP.AccessAsUser.All',
      upn: 'alice@contoso.com',
      appidacr: '1',
      ver: '1.0',
      iat: 1,
      nbf: 2,
      exp: 3,
    };
    expect(summariseClaims(full)).toEqual(full);
  });

  it('drops unknown claims', () => {
    expect(summariseClaims({ tid: 't', xms_tcdt: 123, name: 'Alice', ipaddr: '192.0.2.1', uti: 'x' })).toEqual({ tid: 't' });
  });

  it('turns a single role string into an array', () => {
    expect(summariseClaims({ roles: 'IMAP.AccessAsApp' })).toEqual({ roles: ['IMAP.AccessAsApp'] });
  });

  it('keeps an aud array and a string aud as they are', () => {
    expect(summariseClaims({ aud: ['https://outlook.office365.com', 'api://x'] })).toEqual({ aud: ['https://outlook.office365.com', 'api://x'] });
    expect(summariseClaims({ aud: '00000002-0000-0ff1-ce00-000000000000' })).toEqual({ aud: '00000002-0000-0ff1-ce00-000000000000' });
  });

  it('keeps only the strings inside roles and aud arrays', () => {
    expect(summariseClaims({ roles: ['IMAP.AccessAsApp', 7, null, { x: 1 }], aud: [1, 'a'] })).toEqual({ roles: ['IMAP.AccessAsApp'], aud: ['a'] });
  });

  it('keeps finite numeric times only', () => {
    expect(summariseClaims({ exp: 1_900_000_000, iat: '1700000000', nbf: Number.NaN })).toEqual({ exp: 1_900_000_000 });
    expect(summariseClaims({ exp: Number.POSITIVE_INFINITY })).toEqual({});
  });

  it('drops junk types', () => {
    const junk = { tid: 42, appid: ['a'], upn: { x: 1 }, roles: 5, aud: true, scp: null, ver: undefined, oid: false };
    expect(summariseClaims(junk)).toEqual({});
  });
});

describe('normaliseAccessToken', () => {
  it('accepts a bare token', () => {
    expect(normaliseAccessToken(TOKEN)).toBe(TOKEN);
  });

  it('trims newlines and spaces', () => {
    expect(normaliseAccessToken(`\n  ${TOKEN}\r\n`)).toBe(TOKEN);
  });

  it('strips "Bearer "', () => {
    expect(normaliseAccessToken(`Bearer ${TOKEN}\n`)).toBe(TOKEN);
    expect(normaliseAccessToken(`bearer   ${TOKEN}`)).toBe(TOKEN);
  });

  it('takes access_token from the token endpoint JSON', () => {
    const reply = JSON.stringify({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: TOKEN }, null, 2);
    expect(normaliseAccessToken(`${reply}\n`)).toBe(TOKEN);
  });

  it.each([
    ['empty', ''],
    ['only whitespace', ' \r\n\t'],
    ['JSON with an empty access_token', '{"access_token":"  "}'],
  ])('%s → "is empty"', (_name, raw) => {
    expect(() => normaliseAccessToken(raw)).toThrow(/^is empty$/);
  });

  it.each([
    ['plain text', 'hello world', /^contains spaces, line breaks or control characters/],
    ['only the word Bearer', 'Bearer \n', /^is not a JWT/],
    ['an opaque token', 'ya29.a0AfB_byC-opaque', /^is not a JWT/],
    ['JSON without access_token', '{"error":"invalid_client"}', /^is JSON without an "access_token" string$/],
    ['JSON with a numeric access_token', '{"access_token":5}', /^is JSON whose "access_token" is a number, not a string$/],
    ['JSON with a huge numeric access_token', '{"access_token":12345678901234567890}', /^is JSON whose "access_token" is a number, not a string$/],
    ['JSON with an object access_token', '{"access_token":{"value":"eyJ.x.y"}}', /^is JSON whose "access_token" is an object, not a string$/],
    ['JSON with an array access_token', '{"access_token":["eyJ.x.y"]}', /^is JSON whose "access_token" is an array, not a string$/],
    ['JSON with a boolean access_token', '{"access_token":true}', /^is JSON whose "access_token" is a boolean, not a string$/],
    ['a JSON array', '["eyJhbGciOiJub25lIn0.e30."]', /^is JSON array/],
    ['a JSON string', '"eyJhbGciOiJub25lIn0.e30."', /^is JSON string/],
    ['broken JSON', '{"access_token":', /^looks like JSON but does not parse/],
    ['two tokens on two lines', `${TOKEN}\n${TOKEN}`, /^contains spaces, line breaks or control characters/],
  ])('%s → a reason', (_name, raw, reason) => {
    expect(() => normaliseAccessToken(raw)).toThrow(reason);
  });

  it('takes an opaque bearer token (Gmail) only when asked to, with the same unwrapping', () => {
    expect(normaliseAccessToken('Bearer ya29.a0AfB_byC-opaque~token/+=\n', { opaque: true })).toBe('ya29.a0AfB_byC-opaque~token/+=');
    expect(normaliseAccessToken('{"access_token":"ya29.x","expires_in":3599}', { opaque: true })).toBe('ya29.x');
    expect(() => normaliseAccessToken('two\nlines', { opaque: true })).toThrow(/^contains spaces/);
    expect(() => normaliseAccessToken('  ', { opaque: true })).toThrow(/^is empty$/);
    // Opaque tokens are taken as they are, but a number or an object in the JSON reply never is.
    expect(() => normaliseAccessToken('{"access_token":12345}', { opaque: true })).toThrow(/is a number, not a string/);
    expect(() => normaliseAccessToken('{"access_token":{}}', { opaque: true })).toThrow(/is an object, not a string/);
    expect(() => normaliseAccessToken('[1,2]', { opaque: true })).toThrow(/^is JSON array/);
  });
});
