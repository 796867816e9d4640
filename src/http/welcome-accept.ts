/** @module Content negotiation for `/`: whether an Accept header prefers the JSON status or the HTML page, with q-values, lists and wildcards (RFC 9110 §12.5.1). */

export type StatusFormat = 'html' | 'json';

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

interface Match {
  q: number;
  /** 2 for type/subtype, 1 for type/*, 0 for *\/*. */
  specificity: number;
  /** Position of the matching range in the header. */
  position: number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * Parses an Accept header into its media ranges. Parameters other than `q` are ignored for matching
 * (`application/json; charset=utf-8` is JSON); a range with a malformed type or q-value is dropped
 * rather than guessed at.
 */
export function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [range = '', ...params] = part.split(';');
    const [type = '', subtype, extra] = range.trim().toLowerCase().split('/');
    if (subtype === undefined || extra !== undefined || !TOKEN.test(type) || !TOKEN.test(subtype)) continue;
    if (type === '*' && subtype !== '*') continue;
    let q = 1;
    let valid = true;
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const value = p.slice(eq + 1).trim();
      if (!QVALUE.test(value)) valid = false;
      q = Number(value);
      // Parameters after q are accept-extensions, not part of the media range.
      break;
    }
    if (valid) ranges.push({ type, subtype, q });
  }
  return ranges;
}

function bestMatch(ranges: MediaRange[], type: string, subtype: string): Match {
  let best: Match = { q: 0, specificity: -1, position: Number.POSITIVE_INFINITY };
  ranges.forEach((r, position) => {
    const specificity = r.type === type && r.subtype === subtype ? 2 : r.type === type && r.subtype === '*' ? 1 : r.type === '*' ? 0 : -1;
    // The most specific range decides; among equally specific ones, the first.
    if (specificity > best.specificity) best = { q: r.q, specificity, position };
  });
  return best;
}

/**
 * Which representation of the status to send. JSON only when the client prefers it: a higher q than
 * HTML, or an equal q given by a more specific or an earlier range. No header, `*\/*`, or a header
 * that accepts neither gets HTML (the page people open in a browser; RFC 9110 lets a server
 * disregard an Accept it cannot satisfy).
 */
export function preferredFormat(accept: string | undefined): StatusFormat {
  if (accept === undefined || accept.trim() === '') return 'html';
  const ranges = parseAccept(accept);
  const json = bestMatch(ranges, 'application', 'json');
  const html = bestMatch(ranges, 'text', 'html');
  if (json.q !== html.q) return json.q > html.q ? 'json' : 'html';
  if (json.q === 0) return 'html';
  if (json.specificity !== html.specificity) return json.specificity > html.specificity ? 'json' : 'html';
  return json.position < html.position ? 'json' : 'html';
}
