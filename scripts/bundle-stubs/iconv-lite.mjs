// iconv-lite in the bundle: only the one charset a check can need, IMAP's modified UTF-7
// (RFC 3501 §5.1.3), which imapflow uses for a non-ASCII --folder or mailbox name. The real
// package builds its tables for every charset on first use (tens of ms); anything else here is a
// left-out use (message bodies, FETCH only).
import { leftOut } from './left-out.mjs';

const other = leftOut('iconv-lite');
const isUtf7Imap = (enc) => String(enc).toLowerCase().replace(/[^a-z0-9]/g, '') === 'utf7imap';

/** Modified UTF-7: printable ASCII as is ('&' as '&-'), any other run as base64 of UTF-16BE, ',' for '/'. */
export function encodeUtf7Imap(text) {
  let out = '';
  let run = '';
  const flush = () => {
    if (!run) return;
    const utf16 = Buffer.alloc(run.length * 2);
    for (let i = 0; i < run.length; i++) utf16.writeUInt16BE(run.charCodeAt(i), i * 2);
    out += `&${utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
    run = '';
  };
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += ch === '&' ? '&-' : ch;
    } else run += ch;
  }
  flush();
  return out;
}

export function decodeUtf7Imap(text) {
  return text.replace(/&([A-Za-z0-9+,]*)-/g, (_m, b64) => {
    if (!b64) return '&';
    const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
    let s = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(bytes.readUInt16BE(i));
    return s;
  });
}

export default {
  encode(text, enc) {
    if (!isUtf7Imap(enc)) return other.encode(text, enc);
    return Buffer.from(encodeUtf7Imap(String(text)), 'latin1');
  },
  decode(bytes, enc) {
    if (!isUtf7Imap(enc)) return other.decode(bytes, enc);
    return decodeUtf7Imap(Buffer.isBuffer(bytes) ? bytes.toString('latin1') : String(bytes));
  },
  decodeStream: (...args) => other.decodeStream(...args),
  encodingExists: (enc) => isUtf7Imap(enc),
};
