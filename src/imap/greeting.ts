// Exchange Online's greeting ends with "[<base64>]": UTF-16LE text naming the backend server,
// which support asks for. Pure.
export function decodeExchangeBackend(greeting: string): string | undefined {
  const m = /\[([A-Za-z0-9+/]{8,}={0,2})\]\s*$/.exec(greeting.trim());
  if (!m?.[1]) return undefined;
  const bytes = Buffer.from(m[1], 'base64');
  if (bytes.length % 2 !== 0) return undefined;
  const text = bytes.toString('utf16le');
  // A real backend name is printable ASCII (host names); anything else is not this encoding.
  return /^[\x21-\x7e]{3,255}$/.test(text) ? text : undefined;
}
