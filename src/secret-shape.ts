// Whether a value looks like a credential: used to describe, not echo, a value in an error.
/**
 * Shaped like a credential rather than a setting: long, no spaces, and a secret's telltales (Entra
 * secrets carry "~", tokens start "eyJ", random values mix cases and digits). Such a value pasted
 * into the wrong setting is described, never echoed.
 */
export function looksLikeSecret(value: string): boolean {
  const v = value.trim();
  if (v.length < 16 || /\s/.test(v)) return false;
  if (v.includes('~') || v.startsWith('eyJ')) return true;
  return v.length >= 24 && /[A-Z]/.test(v) && /[a-z]/.test(v) && /[0-9]/.test(v) && !/[@/:]/.test(v);
}

