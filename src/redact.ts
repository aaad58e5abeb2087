// Every secret the tool holds is registered here, and every byte of output passes through
// `redact()`: human text, JSON, transcripts, error messages, library logs. Secrets are also
// matched in the encodings they travel in (base64 of a SASL string, URL-encoded form fields).
export const REDACTED = '<redacted>';

const MIN_SECRET_LENGTH = 4; // shorter values would redact ordinary words

/**
 * The base64 text that any encoding of a string containing `secret` must contain: base64 works in
 * 3-byte groups, so the secret's bytes land at one of three alignments, and for each alignment the
 * characters made only of the secret's bits are fixed. Hiding these three cores hides the secret
 * inside any base64 payload (a SASL string for any user, say) without registering each payload.
 */
export function base64Cores(secret: string, alphabet: 'base64' | 'base64url' = 'base64'): string[] {
  const bytes = Buffer.from(secret);
  const cores: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString(alphabet);
    const start = Math.ceil((shift * 8) / 6);
    const end = Math.floor(((shift + bytes.length) * 8) / 6);
    const core = encoded.slice(start, end);
    if (core.length >= MIN_SECRET_LENGTH * 2) cores.push(core);
  }
  return cores;
}

const BASE64_CHAR = /[A-Za-z0-9+/_=-]/;

/** Replaces every base64 run that contains `core` with REDACTED, in linear time. */
function redactRunsAround(text: string, core: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(core); at >= 0; at = text.indexOf(core, from)) {
    let start = at;
    while (start > from && BASE64_CHAR.test(text[start - 1]!)) start--;
    let end = at + core.length;
    while (end < text.length && BASE64_CHAR.test(text[end]!)) end++;
    out += text.slice(from, start) + REDACTED;
    from = end;
  }
  return out + text.slice(from);
}

export class Redactor {
  private readonly needles = new Set<string>();
  /** Base64 cores: the whole base64 run around one is a payload carrying the secret. */
  private readonly cores = new Set<string>();
  /** Longest first, so a long form is replaced whole before a shorter needle cuts into it. */
  private ordered: string[] = [];

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
    const before = this.needles.size;
    for (const form of forms) if (form.length >= MIN_SECRET_LENGTH) this.needles.add(form);
    for (const core of [...base64Cores(secret, 'base64'), ...base64Cores(secret, 'base64url')]) this.cores.add(core);
    if (this.needles.size !== before) this.ordered = [...this.needles].sort((a, b) => b.length - a.length);
    return this;
  }

  /**
   * Registers a SASL payload whole. Registering the token alone already hides it inside any
   * base64 payload (see base64Cores); this also hides the raw string's user= part.
   */
  addSasl(raw: string, token: string): this {
    this.add(token);
    this.needles.add(raw);
    this.ordered = [...this.needles].sort((a, b) => b.length - a.length);
    return this;
  }

  redact(text: string): string {
    let out = text;
    for (const core of this.cores) if (out.includes(core)) out = redactRunsAround(out, core);
    for (const needle of this.ordered) {
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
const BEARER = /\b(Bearer\s+)(?!<redacted>)[A-Za-z0-9._~+/=-]{8,}/gi; // \b: not the BEARER in OAUTHBEARER

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
