// Redactor: every registered secret, in every encoding it travels in, disappears from output.
import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor, redactTokenShapes } from '../../src/redact.js';
import { buildXoauth2, encodeXoauth2 } from '../../src/sasl.js';

// Shaped like an Entra client secret: "~" and "." survive encodeURIComponent, "/" and "+" do not.
const SECRET = 'Abc8Q~x.y_z-0123/456+789';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const b64url = (s: string) => Buffer.from(s).toString('base64url');
const jwtLike = `eyJhbGciOiJSUzI1NiJ9.${b64url(JSON.stringify({ aud: 'https://outlook.office365.com', exp: 1 }))}.c2lnbmF0dXJlLXNpZ25hdHVyZQ`;

describe('registered secrets', () => {
  // Built in each test, not while the file is collected: a failure there would be no failing test.
  const redactor = () => new Redactor().add(SECRET);

  it.each([
    ['raw', SECRET],
    ['base64', b64(SECRET)],
    ['base64url', b64url(SECRET)],
    ['URL-encoded', encodeURIComponent(SECRET)],
  ])('removes the %s form', (_name, form) => {
    expect(form.length).toBeGreaterThan(0);
    const out = redactor().redact(`before ${form} middle ${form} after`);
    expect(out).toBe(`before ${REDACTED} middle ${REDACTED} after`);
    expect(out).not.toContain(SECRET);
  });

  it('removes the secret from a form body', () => {
    const body = `client_id=abc&client_secret=${encodeURIComponent(SECRET)}&grant_type=client_credentials`;
    expect(redactor().redact(body)).toBe(`client_id=abc&client_secret=${REDACTED}&grant_type=client_credentials`);
  });

  it('also registers the trimmed secret', () => {
    const r = new Redactor().add(`  ${SECRET}\n`);
    expect(r.redact(`x=${SECRET};`)).toBe(`x=${REDACTED};`);
  });

  it('leaves text without secrets unchanged', () => {
    const text = 'A1 OK [CAPABILITY IMAP4rev1] AUTHENTICATE completed.\nuser=alice@contoso.com port=993 {"json":true}';
    expect(redactor().redact(text)).toBe(text);
    expect(new Redactor().redact(text)).toBe(text);
  });

  it('does not register strings shorter than 4 characters', () => {
    const r = new Redactor().add('abc').add('').add(undefined).add(null);
    expect(r.redact('abc abcd')).toBe('abc abcd');
  });

  it('registers strings of exactly 4 characters', () => {
    expect(new Redactor().add('wxyz').redact('a wxyz b')).toBe(`a ${REDACTED} b`);
  });

  it('handles several secrets, including one inside another', () => {
    const r = new Redactor().add('short-secret').add('a-short-secret-longer');
    expect(r.redact('1 short-secret 2 a-short-secret-longer 3')).toBe(`1 ${REDACTED} 2 ${REDACTED} 3`);
  });

  it('treats regex characters in a secret literally', () => {
    const r = new Redactor().add('a.c*(d)');
    expect(r.redact('abc*(d) a.c*(d)')).toBe(`abc*(d) ${REDACTED}`);
  });
});

describe('SASL strings', () => {
  const user = 'alice@contoso.com';
  const token = 'opaque-token-0123456789';
  const raw = () => buildXoauth2(user, token);
  const redactor = () => new Redactor().addSasl(raw(), token);

  it('removes the raw SASL string', () => {
    expect(redactor().redact(`C: ${raw()}`)).toBe(`C: ${REDACTED}`);
  });

  it('removes the base64 SASL string (the AUTHENTICATE line)', () => {
    const line = `A1 AUTHENTICATE XOAUTH2 ${encodeXoauth2(user, token)}`;
    expect(redactor().redact(line)).toBe(`A1 AUTHENTICATE XOAUTH2 ${REDACTED}`);
  });

  it('removes the token on its own', () => {
    expect(redactor().redact(`token ${token} and ${b64(token)}`)).toBe(`token ${REDACTED} and ${REDACTED}`);
  });
});

describe('token shapes (never registered)', () => {
  it('removes a JWT-shaped string', () => {
    const out = new Redactor().redact(`got ${jwtLike} back`);
    expect(out).toBe(`got ${REDACTED} back`);
  });

  it('removes several JWTs in one text', () => {
    expect(redactTokenShapes(`${jwtLike}\n${jwtLike}`)).toBe(`${REDACTED}\n${REDACTED}`);
  });

  it('hides bearer credentials', () => {
    expect(redactTokenShapes('Authorization: Bearer xyz0123456789abc')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactTokenShapes('auth=bearer   a.b-c_d~e+f/g=')).toBe(`auth=bearer   ${REDACTED}`);
  });

  it('leaves short words after "Bearer" and non-JWT dotted strings alone', () => {
    const text = 'scheme Bearer only; version 1.2.3; eyJ.short.x; outlook.office365.com';
    expect(redactTokenShapes(text)).toBe(text);
  });

  it('is idempotent', () => {
    const once = new Redactor().add(SECRET).redact(`Bearer ${SECRET} ${jwtLike}`);
    expect(new Redactor().add(SECRET).redact(once)).toBe(once);
    expect(once).toBe(`Bearer ${REDACTED} ${REDACTED}`);
  });
});

describe('redactValue', () => {
  it('deep-redacts strings in objects and arrays, keeping structure and other types', () => {
    const redactor = new Redactor().add(SECRET);
    const value = {
      ok: false,
      port: 993,
      nested: { list: ['plain', `secret=${SECRET}`, { deep: b64(SECRET) }], none: null },
      jwt: jwtLike,
    };
    expect(redactor.redactValue(value)).toEqual({
      ok: false,
      port: 993,
      nested: { list: ['plain', `secret=${REDACTED}`, { deep: REDACTED }], none: null },
      jwt: REDACTED,
    });
  });

  it('does not modify its argument', () => {
    const value = { s: SECRET };
    new Redactor().add(SECRET).redactValue(value);
    expect(value.s).toBe(SECRET);
  });

  it('redacts a secret containing a double quote or backslash', () => {
    const secret = 'pa"ss\\word-1234';
    const out = new Redactor().add(secret).redactValue({ message: `secret is ${secret}` });
    expect(out.message).not.toContain(secret);
    expect(out.message).toBe(`secret is ${REDACTED}`);
  });
});

describe('base64 payloads carrying a registered secret', () => {
  it('hide the whole base64 run for any user, with only the token registered', () => {
    const token = 'eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL291dGxvb2sifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const r = new Redactor().add(token);
    for (const user of ['a@contoso.com', 'ab@contoso.com', 'abc@contoso.com']) {
      const line = `C: 2 AUTHENTICATE XOAUTH2 ${Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64')}`;
      expect(r.redact(line)).toBe('C: 2 AUTHENTICATE XOAUTH2 <redacted>');
    }
  });

  it('handle long lines (hang guard: the test timeout)', { timeout: 5_000 }, () => {
    const r = new Redactor().add('a-secret-value-1234567890');
    const out = r.redact(`${'QUJD'.repeat(50_000)} ${Buffer.from('xx a-secret-value-1234567890 yy').toString('base64')}`);
    expect(out.endsWith(' <redacted>')).toBe(true);
  });
});

describe('bearer credentials', () => {
  it('hides "Bearer <token>" but not the word after OAUTHBEARER', () => {
    const r = new Redactor();
    expect(r.redact('Authorization: Bearer abcdefghijklmnop')).toBe('Authorization: Bearer <redacted>');
    expect(r.redact('AUTHENTICATE OAUTHBEARER accepted')).toBe('AUTHENTICATE OAUTHBEARER accepted');
  });
});

describe('fragments and every encoding (issue 9)', () => {
  // Entra client secrets are 40 characters and contain "~".
  const secret = 'Xy7~Q8d.Kp_2mN-vR4s~T6uW9zA1bC3eF5gH7jL0';
  const redactor = () => new Redactor().add(secret);
  const forms: Record<string, string> = {
    raw: secret,
    'URLSearchParams (~ → %7E)': new URLSearchParams({ v: secret }).toString().slice(2),
    'lower-case percent escapes': new URLSearchParams({ v: secret }).toString().slice(2).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    base64: b64(secret),
    base64url: b64url(secret),
    'JSON-escaped': JSON.stringify(secret).slice(1, -1),
  };

  it.each(Object.entries(forms))('hides every 16-character fragment of the %s form', (_name, form) => {
    for (let i = 0; i + 16 <= form.length; i++) {
      const fragment = form.slice(i, i + 16);
      const out = redactor().redact(`error_description: "…${fragment}…" end`);
      expect(out, `fragment at ${i}`).not.toContain(fragment);
      expect(out).toContain('<redacted>');
      expect(out.startsWith('error_description: "…')).toBe(true);
      expect(out.endsWith('…" end')).toBe(true);
    }
  });

  it('hides a body truncated at 120 characters that starts with the secret', () => {
    const body = `client_id=abc&client_secret=${new URLSearchParams({ v: secret }).toString().slice(2)}&grant_type=client_credentials`;
    const cut = body.slice(0, 48); // the secret cut after 20 characters
    expect(redactor().redact(cut)).toBe('client_id=abc&client_secret=<redacted>');
  });

  it('leaves a 15-character fragment (the stated limit) and ordinary text alone', () => {
    const text = `A1 OK done ${secret.slice(3, 18)} x`;
    expect(redactor().redact(text)).toBe(text);
  });

  it('hides a SASL string echoed wrapped over 76-character lines', () => {
    const token = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${b64url(JSON.stringify({ aud: 'https://outlook.office365.com', roles: ['IMAP.AccessAsApp'], oid: 'x'.repeat(200) }))}.${b64url('s'.repeat(256))}`;
    const tr = new Redactor().add(token);
    const sasl = Buffer.from(`user=someone@contoso.com\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    const wrapped = sasl.match(/.{1,76}/g)!.map((l) => `S: * ${l}`).join('\n');
    const out = tr.redact(wrapped);
    // Rebuilding from what is left yields no 16-character run of the token's base64.
    const leftover = out.split('\n').map((l) => l.replace(/^S: \* /, '')).filter((l) => l !== '<redacted>');
    for (const line of leftover) {
      const decoded = Buffer.from(line, 'base64').toString('latin1');
      for (let i = 0; i + 16 <= decoded.length; i++) expect(token.includes(decoded.slice(i, i + 16))).toBe(false);
    }
    const lines = wrapped.split('\n').length;
    expect(lines).toBeGreaterThan(10);
    // Only the first line (user=…) and the last (a few bytes of the token and the \x01\x01 end) may stay.
    expect(out.split('\n').filter((l) => l === 'S: * <redacted>').length).toBeGreaterThanOrEqual(lines - 2);
  });

  it('uses an escaped marker for markup', () => {
    expect(redactor().redact(`<failure message="${secret}"/>`, { marker: '&lt;redacted&gt;' })).toBe('<failure message="&lt;redacted&gt;"/>');
    expect(redactor().redact('C: 2 AUTHENTICATE XOAUTH2 <redacted>', { marker: '[redacted]' })).toBe('C: 2 AUTHENTICATE XOAUTH2 [redacted]');
  });

  it('is linear on long hostile text (hang guard: the test timeout)', { timeout: 5_000 }, () => {
    const hostile = `${secret.slice(0, 15)}#`.repeat(100_000);
    expect(redactor().redact(hostile)).toBe(hostile);
  });
});

describe('short secrets and base64 run edges (issue 9, from mutation testing)', () => {
  it('hides a short secret in base64, alone and inside a payload', () => {
    const r = new Redactor().add('pass1234');
    expect(r.redact(`x ${b64('pass1234')} y`)).toBe(`x ${REDACTED} y`);
    expect(r.redact(`x ${b64('user=a\x01pass1234\x01')} y`)).toBe(`x ${REDACTED} y`);
  });

  it('replaces the longer of two short secrets first', () => {
    const r = new Redactor().add('wxyz').add('abcdwxyz');
    expect(r.redact('[abcdwxyz]')).toBe(`[${REDACTED}]`);
  });

  it.each(['+', '/', '_', '-', '='])('takes %s as part of the base64 run around a secret', (c) => {
    const token = 'opaque-token-0123456789-abcdef';
    const payload = Buffer.from(`user=x\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    const r = new Redactor().add(token);
    expect(r.redact(`[${c}${c}${payload}${c}${c}]`)).toBe(`[${REDACTED}]`);
  });

  it('finds a fragment that starts just after an aligned block and one that ends the text', () => {
    const secret = 'Xy7~Q8d.Kp_2mN-vR4s~T6uW9zA1bC3eF5gH7jL0';
    const r = new Redactor().add(secret);
    for (let pad = 0; pad < 9; pad++) {
      const text = `${'#'.repeat(pad)}${secret.slice(5, 21)}`;
      expect(r.redact(text), `pad ${pad}`).toBe(`${'#'.repeat(pad)}${REDACTED}`);
    }
  });
});

describe('edges found by mutation testing', () => {
  it('a short secret base64-encoded at the very start of the text', () => {
    expect(new Redactor().add('pass1234').redact(`${b64('pass1234')} y`)).toBe(`${REDACTED} y`);
  });

  it('a 7-character secret inside a payload, at every base64 alignment and in both alphabets', () => {
    const secret = 'a~?b>c7';
    const r = new Redactor().add(secret);
    for (const prefix of ['u=', 'us=', 'use=']) {
      const bytes = Buffer.from(`${prefix}${secret}\x01\x01`);
      for (const enc of [bytes.toString('base64'), bytes.toString('base64url')]) expect(r.redact(`[${enc}]`), `${prefix} ${enc}`).toBe(`[${REDACTED}]`);
    }
  });

  it('a long secret whose base64 has + and / hides inside payloads in both alphabets', () => {
    const secret = '~~~???>>>~~~???>>>~~~';
    const r = new Redactor().add(secret);
    for (const prefix of ['user=x\x01auth=Bearer ', 'user=xy\x01auth=Bearer ', 'user=xyz\x01auth=Bearer ']) {
      const bytes = Buffer.from(`${prefix}${secret}\x01\x01`);
      expect(bytes.toString('base64')).toMatch(/[+/]/);
      for (const enc of [bytes.toString('base64'), bytes.toString('base64url')]) expect(r.redact(`C: ${enc}`)).toBe(`C: ${REDACTED}`);
    }
  });

  it('a secret in key=value keeps the key visible (only the secret is hidden)', () => {
    const r = new Redactor().add(SECRET);
    expect(r.redact(`client_secret=${SECRET}`)).toBe(`client_secret=${REDACTED}`);
    expect(r.redact(`secret=${SECRET}&x=1`)).toBe(`secret=${REDACTED}&x=1`);
  });

  it('a short secret with surrounding whitespace is hidden trimmed too', () => {
    expect(new Redactor().add('  wxyz12 \n').redact('got wxyz12.')).toBe(`got ${REDACTED}.`);
  });

  it('ordinary base64 text that merely contains the 6 characters of a 4-character secret\'s encoding is left alone', () => {
    const r = new Redactor().add('wxyz');
    const text = `QUJD${b64url('wxyz')}QUJDREVG`;
    expect(r.redact(text)).toBe(text);
  });

  it('two registered secrets side by side become one marker, and nothing of either stays', () => {
    const a = 'Xy7~Q8d.Kp_2mN-vR4s~T6uW9zA1';
    const b = 'ZZ9!qq8?pp7@oo6#nn5$mm4%ll3';
    const r = new Redactor().add(a).add(b);
    expect(r.redact(`[${a}${b}]`)).toBe(`[${REDACTED}]`);
    expect(r.redact(`[${b}${a}]`)).toBe(`[${REDACTED}]`);
  });

  it('a SASL string under 4 characters is not registered as such; its token still is', () => {
    const r = new Redactor().addSasl('ab', 'opaque-token-0123456789');
    expect(r.redact('abc opaque-token-0123456789')).toBe(`abc ${REDACTED}`);
  });

  it('the JSON-escaped form of a short secret with a quote and a backslash', () => {
    const secret = 'pa"ss\\word-1234';
    expect(new Redactor().add(secret).redact(JSON.stringify({ message: secret }))).toBe('{"message":"<redacted>"}');
  });

  it('the XML-escaped form of a secret with &, <, > and a quote is hidden whole', () => {
    const secret = 'k&y<v>l"q-0123456789ab';
    const xml = secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    expect(new Redactor().add(secret).redact(`<failure message="${xml}"/>`)).toBe('<failure message="<redacted>"/>');
  });

  it('size counts the secrets registered (once each, short ones not)', () => {
    const r = new Redactor();
    expect(r.size).toBe(0);
    r.add('first-secret').add('first-secret').add('abc').add('second-secret');
    expect(r.size).toBe(2);
  });
});

describe('redactValue nesting (a hostile server\'s JSON)', () => {
  const nestObjects = (depth: number): unknown => (depth === 0 ? { leaf: 'x' } : { n: nestObjects(depth - 1) });
  const nestArrays = (depth: number): unknown => (depth === 0 ? ['x'] : [nestArrays(depth - 1)]);
  const deepest = (v: unknown): unknown => {
    while (v && typeof v === 'object') {
      const next = Array.isArray(v) ? v[0] : (v as { n?: unknown }).n;
      if (next === undefined) return v;
      v = next;
    }
    return v;
  };

  it('objects and arrays nested up to 32 levels are kept', () => {
    const r = new Redactor();
    expect(r.redactValue(nestObjects(32))).toEqual(nestObjects(32));
    expect(r.redactValue(nestArrays(32))).toEqual(nestArrays(32));
  });

  it('numbers, booleans and null just inside the limit are kept as they are', () => {
    let v: unknown = [7, true, null];
    for (let i = 0; i < 32; i++) v = [v];
    expect(new Redactor().redactValue(v)).toEqual(v);
  });

  it('deeper ones are cut at level 33', () => {
    const r = new Redactor();
    expect(deepest(r.redactValue(nestObjects(33)))).toBe('[nested too deep]');
    expect(deepest(r.redactValue(nestArrays(33)))).toBe('[nested too deep]');
    expect(deepest(r.redactValue(nestObjects(200)))).toBe('[nested too deep]');
  });

  it('a deep string is still a string, not cut', () => {
    let v: unknown = 'plain';
    for (let i = 0; i < 40; i++) v = [v];
    let out = new Redactor().redactValue(v);
    for (let i = 0; i < 33 && Array.isArray(out); i++) out = out[0];
    expect(out).toBe('[nested too deep]');
  });
});

describe('JWT shapes: what is hidden and what is not', () => {
  const header = 'eyJhbGciOiJSUzI1NiJ9';
  const payload = 'eyJhdWQiOiJ4In0';
  const sig = 'c2lnbmF0dXJlLXNpZw';

  it('a JWT after a "-" is hidden, the prefix kept', () => {
    expect(redactTokenShapes(`prefix-${header}.${payload}.${sig}`)).toBe(`prefix-${REDACTED}`);
  });

  it('a header holding "-eyJ" later on is hidden whole', () => {
    expect(redactTokenShapes(`eyJabc-${header}.${payload}.${sig}`)).toBe(REDACTED);
  });

  it('"eyJ" inside a word is no JWT: the dotted text stays as it was', () => {
    const text = `abceyJhbGciOiJSUzI1NiJ9.${payload}.${sig}`;
    expect(redactTokenShapes(text)).toBe(text);
    const version = 'release.eyJ-not-a-token.20261202.build';
    expect(redactTokenShapes(version)).toBe(version);
  });

  it('a header of 11 characters is one, of 10 is not', () => {
    expect(redactTokenShapes(`eyJhbGciOiJ.${payload}.${sig}`)).toBe(REDACTED);
    expect(redactTokenShapes(`eyJhbGciOi.${payload}.${sig}`)).toBe(`eyJhbGciOi.${payload}.${sig}`);
    expect(redactTokenShapes(`aaaaaaaaaaaaaaa-eyJhbGc.${payload}.${sig}`)).toBe(`aaaaaaaaaaaaaaa-eyJhbGc.${payload}.${sig}`);
  });

  it('payload and signature need 8 characters each; a header alone or with one part is not a JWT', () => {
    expect(redactTokenShapes(`${header}.abcdefgh.ijklmnop`)).toBe(REDACTED);
    for (const text of [`${header}.abcdefg.ijklmnop`, `${header}.abcdefgh.ijklmno`, `${header}xyz`, `${header}.${payload}`]) expect(redactTokenShapes(text)).toBe(text);
  });
});
