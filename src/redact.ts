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

  /** Deep-redacts every string (keys included) in a JSON-like value; absurd nesting is cut. */
  redactValue<T>(value: T): T {
    const walk = (v: unknown, depth: number): unknown => {
      if (typeof v === 'string') return this.redact(v);
      if (depth > MAX_DEPTH && v && typeof v === 'object') return '[nested too deep]';
      if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.redact(k), walk(x, depth + 1)]));
      return v;
    };
    return walk(value, 0) as T;
  }
}

const MAX_DEPTH = 32;

// Defence in depth for secrets the tool never registered (e.g. a token echoed by a server):
// anything shaped like a JWT (eyJ… . ≥8 . ≥8 base64url characters), and bearer credentials, are
// hidden regardless. A single backtracking regex is quadratic on long runs such as "eyJ-eyJ-…"
// (a hostile server can send those), so runs are split at the dots and checked segment-wise.
const BASE64URL_RUN = /[A-Za-z0-9_.-]{20,}/g;
const BEARER = /(Bearer\s+)(?!<redacted>)[A-Za-z0-9._~+/=-]{8,}/gi;

function redactJwtsInRun(run: string): string {
  if (!run.includes('eyJ')) return run;
  const segments = run.split('.');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    // The header starts at "eyJ" at the start of the segment or after a "-" (a word boundary).
    const at = seg.startsWith('eyJ') ? 0 : seg.indexOf('-eyJ') + 1;
    const next = segments[i + 1];
    const last = segments[i + 2];
    if (at >= 0 && (at > 0 || seg.startsWith('eyJ')) && seg.length - at >= 11 && next !== undefined && next.length >= 8 && last !== undefined && last.length >= 8) {
      out.push(seg.slice(0, at) + REDACTED);
      i += 2;
    } else out.push(seg);
  }
  return out.join('.');
}

export function redactTokenShapes(text: string): string {
  return text.replace(BASE64URL_RUN, redactJwtsInRun).replace(BEARER, `$1${REDACTED}`);
}
