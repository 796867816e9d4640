/** @module Python's `repr()` of bytes and of printable text, as python-opentimestamps' messages and `ots info` show them. */

function escapeCodeUnit(c: number, quote: number): string {
  if (c === quote || c === 0x5c) return `\\${String.fromCharCode(c)}`;
  if (c === 0x09) return '\\t';
  if (c === 0x0a) return '\\n';
  if (c === 0x0d) return '\\r';
  if (c < 0x20 || c === 0x7f) return `\\x${c.toString(16).padStart(2, '0')}`;
  return String.fromCharCode(c);
}

/** Python `repr(bytes)`: `b'…'`, or `b"…"` when the bytes hold a single quote and no double quote. */
export function pythonBytesRepr(b: Uint8Array): string {
  const quote = b.includes(0x27) && !b.includes(0x22) ? 0x22 : 0x27;
  let body = '';
  for (const c of b) body += c >= 0x80 ? `\\x${c.toString(16).padStart(2, '0')}` : escapeCodeUnit(c, quote);
  const q = String.fromCharCode(quote);
  return `b${q}${body}${q}`;
}

/**
 * Python `repr(str)` for printable text (file names in messages): the same quote choice as bytes,
 * with control characters escaped; other characters are kept as they are, as python keeps printable ones.
 */
export function pythonStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? 0x22 : 0x27;
  let body = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    body += c < 0x80 ? escapeCodeUnit(c, quote) : ch;
  }
  const q = String.fromCharCode(quote);
  return `${q}${body}${q}`;
}
