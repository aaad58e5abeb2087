// Every secret the tool holds is registered here, and every byte of output passes through
// `redact()`: human text, JSON, transcripts, report files, error messages, library logs. Secrets
// are matched in the encodings they travel in (raw, trimmed, URL- and form-encoded, JSON- and
// XML-escaped, base64 and base64url inside any payload) and so is every fragment of 16 or more
// consecutive characters of any of those forms: a truncated body or a wrapped echo hides it too.
export const REDACTED = '<redacted>';

const MIN_SECRET_LENGTH = 4; // shorter values would redact ordinary words
/** A run of this many characters of a secret (in any of its forms) is hidden wherever it appears. */
export const FRAGMENT_LENGTH = 16;
/**
 * Text is probed at every BLOCK-th position with the secrets' BLOCK-character windows: any run of
 * FRAGMENT_LENGTH characters holds one whole aligned block, so no fragment is missed, and ordinary
 * text costs one set look-up per BLOCK characters.
 */
const BLOCK = FRAGMENT_LENGTH / 2;

/**
 * The base64 text that any encoding of a string containing `secret` must contain: base64 works in
 * 3-byte groups, so the secret's bytes land at one of three alignments, and for each alignment the
 * characters made only of the secret's bits are fixed. Hiding these three cores (and their
 * fragments) hides the secret inside any base64 payload (a SASL string for any user, say) without
 * registering each payload.
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

/** A 32-bit hash of text[at, at + BLOCK): equal blocks hash equal, so a miss is a sure miss. */
function blockHash(text: string, at: number): number {
  let h = 0;
  for (let i = at; i < at + BLOCK; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

const isBase64Char = (c: number) =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 95 || c === 45 || c === 61;

/** Replaces every base64 run that contains `core` with REDACTED, in linear time. */
function redactRunsAround(text: string, core: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(core); at >= 0; at = text.indexOf(core, from)) {
    let start = at;
    while (start > from && isBase64Char(text.charCodeAt(start - 1))) start--;
    let end = at + core.length;
    while (end < text.length && isBase64Char(text.charCodeAt(end))) end++;
    out += text.slice(from, start) + REDACTED;
    from = end;
  }
  return out + text.slice(from);
}

/** The forms a secret takes in text the tool may print. */
export function textForms(secret: string): string[] {
  const form = new URLSearchParams({ v: secret }).toString().slice(2); // form bodies: "~" → "%7E", " " → "+"
  const lowerHex = (s: string) => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
  const json = JSON.stringify(secret).slice(1, -1);
  const xml = secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const uri = encodeURIComponent(secret);
  return [...new Set([secret, secret.trim(), uri, lowerHex(uri), form, lowerHex(form), json, xml])].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

type Kind = 'text' | 'base64';

export interface RedactOptions {
  /** The marker put in place of a secret (markup formats want it escaped). */
  marker?: string;
}

export class Redactor {
  /** Forms shorter than a fragment, and whole strings registered as such: replaced where found whole. */
  private readonly needles = new Set<string>();
  private orderedNeedles: string[] = [];
  /** Base64 forms of short secrets (under a fragment long): the base64 run around one is hidden. */
  private readonly shortCores = new Set<string>();
  /** Every FRAGMENT_LENGTH window of every long form, and what a hit means. */
  private readonly windows = new Map<string, Kind>();
  /** Every BLOCK window of the same forms: the cheap first look. */
  private readonly blocks = new Set<string>();
  /** Their hashes (blockHash): a cheaper first look still, without making a string per probe. */
  private readonly blockHashes = new Set<number>();
  private readonly registered = new Set<string>();
  /** Registered, forms not yet computed: that waits for the first redact() (a token's forms take ~3 ms, before a check's first packet otherwise). */
  private pending: string[] = [];

  /** Registers a secret and the encoded forms it may appear in. */
  add(secret: string | undefined | null): this {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH || this.registered.has(secret)) return this;
    this.registered.add(secret);
    this.pending.push(secret);
    return this;
  }

  private flush(): void {
    if (!this.pending.length) return;
    const secrets = this.pending;
    this.pending = [];
    for (const secret of secrets) this.addForms(secret);
  }

  private addForms(secret: string): void {
    for (const form of textForms(secret)) this.addForm(form, 'text');
    // The secret encoded on its own (padding included), and the cores it has inside any payload.
    const alone = [Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url')];
    for (const core of [...alone, ...base64Cores(secret, 'base64'), ...base64Cores(secret, 'base64url')]) this.addForm(core, 'base64');
  }

  /**
   * Registers a SASL payload. The token inside it is a secret (and hides the payload in any
   * encoding); the raw string is hidden whole, but its user= part alone is no secret.
   */
  addSasl(raw: string, token: string): this {
    this.add(token);
    this.addNeedle(raw);
    return this;
  }

  /** Whether anything is registered (an empty redactor only hides token shapes). */
  get size(): number {
    return this.registered.size;
  }

  private addNeedle(value: string): void {
    if (value.length < MIN_SECRET_LENGTH || this.needles.has(value)) return;
    this.needles.add(value);
    this.orderedNeedles = [...this.needles].sort((a, b) => b.length - a.length);
  }

  private addForm(form: string, kind: Kind): void {
    if (form.length < FRAGMENT_LENGTH) {
      if (kind === 'text') this.addNeedle(form);
      else if (form.length >= MIN_SECRET_LENGTH * 2) this.shortCores.add(form);
      return;
    }
    for (let i = 0; i + FRAGMENT_LENGTH <= form.length; i++) {
      const w = form.slice(i, i + FRAGMENT_LENGTH);
      // Where a window is both, base64 wins: the whole run around it is hidden, the safer reading.
      if (this.windows.get(w) !== 'base64') this.windows.set(w, kind);
    }
    for (let i = 0; i + BLOCK <= form.length; i++) {
      this.blocks.add(form.slice(i, i + BLOCK));
      this.blockHashes.add(blockHash(form, i));
    }
  }

  redact(text: string, opts: RedactOptions = {}): string {
    this.flush();
    const marker = opts.marker ?? REDACTED;
    // Whole strings first (a SASL string is hidden as one), then fragments, then short secrets,
    // so that a short one never cuts a long one into pieces too short to be recognised.
    let out = text;
    for (const needle of this.orderedNeedles) if (needle.length >= FRAGMENT_LENGTH && out.includes(needle)) out = out.split(needle).join(REDACTED);
    if (this.windows.size) out = this.redactFragments(out, REDACTED);
    for (const core of this.shortCores) if (out.includes(core)) out = redactRunsAround(out, core);
    for (const needle of this.orderedNeedles) if (needle.length < FRAGMENT_LENGTH && out.includes(needle)) out = out.split(needle).join(REDACTED);
    out = redactTokenShapes(out);
    return marker === REDACTED ? out : out.split(REDACTED).join(marker);
  }

  /** Finds every run of secret windows, in one pass at BLOCK stride, and replaces it. */
  private redactFragments(text: string, marker: string): string {
    if (text.length < FRAGMENT_LENGTH) return text;
    const ranges: Array<[number, number]> = [];
    let scannedTo = 0; // text before this is inside a range already found
    for (let p = 0; p + BLOCK <= text.length; p += BLOCK) {
      if (p < scannedTo || !this.blockHashes.has(blockHash(text, p)) || !this.blocks.has(text.slice(p, p + BLOCK))) continue;
      // The block may be the first or second half of a fragment window: try every start that contains it.
      for (let s = Math.max(scannedTo, p - BLOCK); s <= p; s++) {
        const kind = this.windows.get(text.slice(s, s + FRAGMENT_LENGTH));
        if (!kind) continue;
        // s is where the run starts: the scan reaches every start from the block before.
        let start = s;
        let end = s + FRAGMENT_LENGTH;
        while (end < text.length && this.windows.has(text.slice(end + 1 - FRAGMENT_LENGTH, end + 1))) end++;
        if (kind === 'base64') {
          // The whole base64 run around a hit is a payload carrying the secret.
          while (start > scannedTo && isBase64Char(text.charCodeAt(start - 1))) start--;
          while (end < text.length && isBase64Char(text.charCodeAt(end))) end++;
        }
        const last = ranges[ranges.length - 1];
        if (last && start <= last[1]) last[1] = Math.max(last[1], end);
        else ranges.push([start, end]);
        scannedTo = end;
        break;
      }
    }
    if (!ranges.length) return text;
    let out = '';
    let from = 0;
    for (const [start, end] of ranges) {
      out += text.slice(from, start) + marker;
      from = end;
    }
    return out + text.slice(from);
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
  // Most text holds neither shape: two substring searches instead of two regex scans (the same
  // result; in a --jsonl batch the scans were a fifth of the redaction time).
  const jwt = text.includes('eyJ');
  const bearer = BEARER_WORD.test(text);
  if (!jwt && !bearer) return text;
  const out = jwt ? text.replace(BASE64URL_RUN, redactJwtsInRun) : text;
  return bearer ? out.replace(BEARER, `$1${REDACTED}`) : out;
}
const BEARER_WORD = /bearer/i;
