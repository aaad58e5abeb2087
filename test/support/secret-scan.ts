// Scans outputs and written files for secrets: each secret raw, base64 and base64url (at the three
// alignments it can have inside a larger base64 payload, such as a SASL string), URL-encoded, and
// form-encoded as URLSearchParams writes it (`~` → `%7E`, space → `+`), and every FRAGMENT-character
// piece of each of those forms. One pass per text: every window of FRAGMENT characters is looked up
// in a set of all the pieces, so megabytes of output and kilobyte tokens stay fast.

export const FRAGMENT = 16;
/** Forms shorter than this are not looked for: they match ordinary words. */
const MIN_FORM = 8;

export interface SecretFinding {
  /** Which text (index into the texts given). */
  text: number;
  /** Which secret (index into the secrets given); never the secret itself. */
  secret: number;
  form: string;
  /** Where in the text. */
  at: number;
  /** The first characters of the match only, to say what was found without repeating it. */
  preview: string;
}

/** The base64 characters made only of the secret's bits, at byte offset `shift` of a payload. */
function base64Core(bytes: Buffer, shift: number, alphabet: 'base64' | 'base64url'): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString(alphabet);
  return encoded.slice(Math.ceil((shift * 8) / 6), Math.floor(((shift + bytes.length) * 8) / 6));
}

/** Every form of a secret that counts as the secret. */
export function secretForms(secret: string): { form: string; value: string }[] {
  const bytes = Buffer.from(secret);
  const forms = [
    { form: 'raw', value: secret },
    { form: 'uri', value: encodeURIComponent(secret) },
    { form: 'form', value: new URLSearchParams({ v: secret }).toString().slice(2) },
    { form: 'json', value: JSON.stringify(secret).slice(1, -1) },
  ];
  for (const alphabet of ['base64', 'base64url'] as const) {
    for (const shift of [0, 1, 2]) forms.push({ form: `${alphabet}@${shift}`, value: base64Core(bytes, shift, alphabet) });
  }
  const seen = new Set<string>();
  return forms.filter((f) => f.value.length > 0 && !seen.has(f.value) && seen.add(f.value));
}

/**
 * Every secret, form and FRAGMENT-character piece found in `texts` (empty when clean). A secret
 * form shorter than FRAGMENT is looked for whole; forms shorter than 8 characters are not looked
 * for: they match ordinary words.
 */
export function scanForSecrets(texts: readonly string[], secrets: readonly string[]): SecretFinding[] {
  const pieces = new Map<string, { secret: number; form: string }>();
  const short: { value: string; secret: number; form: string }[] = [];
  secrets.forEach((secret, index) => {
    for (const { form, value } of secretForms(secret)) {
      if (value.length < MIN_FORM) continue;
      if (value.length < FRAGMENT) {
        short.push({ value, secret: index, form });
        continue;
      }
      for (let i = 0; i + FRAGMENT <= value.length; i++) {
        const piece = value.slice(i, i + FRAGMENT);
        if (!pieces.has(piece)) pieces.set(piece, { secret: index, form: i === 0 && value.length === FRAGMENT ? form : `${form} fragment` });
      }
    }
  });
  const findings: SecretFinding[] = [];
  texts.forEach((text, t) => {
    // One finding per secret and form per text is enough to name the leak.
    const reported = new Set<string>();
    for (let at = 0; at + FRAGMENT <= text.length; at++) {
      const hit = pieces.get(text.slice(at, at + FRAGMENT));
      if (!hit) continue;
      const key = `${hit.secret} ${hit.form}`;
      if (reported.has(key)) continue;
      reported.add(key);
      findings.push({ text: t, secret: hit.secret, form: hit.form, at, preview: `${text.slice(at, at + 4)}…` });
    }
    for (const s of short) {
      const at = text.indexOf(s.value);
      if (at >= 0) findings.push({ text: t, secret: s.secret, form: s.form, at, preview: `${s.value.slice(0, 2)}…` });
    }
  });
  return findings;
}

/** One line per finding, for an assertion message (no secret in it). */
export function describeFindings(findings: readonly SecretFinding[], names: readonly string[] = []): string {
  return findings.map((f) => `${names[f.text] ?? `text ${f.text}`}: secret ${f.secret} (${f.form}) at ${f.at}: ${f.preview}`).join('\n');
}
