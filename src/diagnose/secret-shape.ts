// What can be told about a client secret without showing it: its length and shape only. The
// AADSTS7000215 finding reads this to say "the value starts and ends with a quote" and the like;
// nothing here holds or returns any character of the secret.

export interface SecretShape {
  length: number;
  /** Starts and ends with the same quote character (kept from an INI or .env file). */
  quoted: boolean;
  /** A quote at only one end. */
  halfQuoted: boolean;
  /** A space, tab or line break inside (the ends are trimmed before sending). */
  innerWhitespace: boolean;
  /** The 36-character GUID shape of a Secret ID. */
  guidShape: boolean;
  /** Starts like a secret value Entra generates today ("xxx8Q~…"). */
  entraPrefix: boolean;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The pattern secret scanners use for Entra client secret values: 3 characters, a digit, "Q~", 31–34 more.
const ENTRA_PREFIX = /^[A-Za-z0-9_~.]{3}\dQ~/;
const ENTRA_LENGTH = { min: 37, max: 40 };

export function describeSecret(value: string): SecretShape {
  const first = value[0] ?? '';
  const last = value[value.length - 1] ?? '';
  const isQuote = (c: string) => c === '"' || c === "'";
  const quoted = value.length >= 2 && isQuote(first) && first === last;
  return {
    length: value.length,
    quoted,
    halfQuoted: !quoted && (isQuote(first) || isQuote(last)),
    innerWhitespace: /\s/.test(value.trim()),
    guidShape: GUID.test(value.trim()),
    entraPrefix: ENTRA_PREFIX.test(value),
  };
}

/** What is wrong with the shape, one short clause each; empty when it looks like a secret value. */
export function secretProblems(s: SecretShape): string[] {
  const out: string[] = [];
  if (s.guidShape) out.push('the value has the 36-character GUID shape of a Secret ID, not of a secret Value');
  if (s.quoted) out.push('the value starts and ends with a quote: quotes kept from an INI or .env file are sent as part of the secret');
  if (s.halfQuoted) out.push('the value starts or ends with a quote character: part of a quoted string was copied');
  if (s.innerWhitespace) out.push('the value contains a space or line break');
  if (s.entraPrefix && (s.length < ENTRA_LENGTH.min || s.length > ENTRA_LENGTH.max)) {
    out.push(`the value starts like an Entra secret value but is ${s.length} characters long, not 40: characters were lost or added on the way (a shell expanding "$…" or "~", a cut copy)`);
  }
  return out;
}
