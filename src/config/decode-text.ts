// Bytes of a text file → string, whatever Windows wrote: Windows PowerShell 5.1's `>` and
// Out-File write UTF-16LE with a byte order mark, Notepad and Set-Content -Encoding UTF8 a UTF-8
// BOM. Node's 'utf8' decoding keeps a BOM as U+FEFF and turns UTF-16 into NUL-laced text. CRLF line
// ends are left for the parsers, which all split on \r?\n.
export function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return swapBytes(bytes.subarray(2)).toString('utf16le');
  // UTF-16LE without a BOM (PowerShell 7's -Encoding unicode NoBOM variants, some editors): ASCII
  // text then has a NUL after every character. Two such pairs at the start are enough to tell.
  if (bytes.length >= 4 && bytes[0] !== 0 && bytes[1] === 0 && bytes[2] !== 0 && bytes[3] === 0) return bytes.toString('utf16le');
  return bytes.toString('utf8');
}

function swapBytes(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  return copy.swap16();
}
