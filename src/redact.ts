// Every secret the tool holds is registered here, and every byte of output passes through
// `redact()`: human text, JSON, transcripts, error messages, library logs. Secrets are also
// matched in the encodings they travel in (base64 of a SASL string, URL-encoded form fields).
export const REDACTED = '<redacted>';

const MIN_SECRET_LENGTH = 4; // shorter values would redact ordinary words

export class Redactor {
  private readonly needles = new Set<string>();

  /** Registers a secret and the encoded forms it may appear in. */
  add(secret: string | undefined | null): this {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return this;
    const forms = [
      secret,
      secret.trim(),
      encodeURIComponent(secret),
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
    ];
    for (const form of forms) if (form.length >= MIN_SECRET_LENGTH) this.needles.add(form);
    return this;
  }

  /** Registers a SASL payload: the string itself and its base64, plus the token inside. */
  addSasl(raw: string, token: string): this {
    this.add(token);
    this.needles.add(raw);
    this.needles.add(Buffer.from(raw).toString('base64'));
    return this;
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a base64 form is replaced whole before a shorter needle cuts into it.
    for (const needle of [...this.needles].sort((a, b) => b.length - a.length)) {
      if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    }
    return redactTokenShapes(out);
  }

  /** Deep-redacts every string (keys included) in a JSON-like value. */
  redactValue<T>(value: T): T {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.redact(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.redact(k), walk(x)]));
      return v;
    };
    return walk(value) as T;
  }
}

// Defence in depth for secrets the tool never registered (e.g. a token echoed by a server):
// anything shaped like a JWT, and bearer credentials, are hidden regardless.
const JWT_SHAPE = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;
const BEARER = /(Bearer\s+)(?!<redacted>)[A-Za-z0-9._~+/=-]{8,}/gi;

export function redactTokenShapes(text: string): string {
  return text.replace(JWT_SHAPE, REDACTED).replace(BEARER, `$1${REDACTED}`);
}
