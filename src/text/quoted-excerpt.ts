/**
 * A value quoted in a one-line message, cut to a length a reader can take in: a 5,000-character
 * token printed whole would bury the message (and a CI annotation) under it. Pure.
 */

export const EXCERPT_CHARS = 40;

/** `"AAAA…AAAA" (5,000 characters)`: JSON-quoted, its middle dropped past `max` characters, its length said. */
export function quotedExcerpt(text: string, max = EXCERPT_CHARS): string {
  return excerpt(text, max, JSON.stringify);
}

/** The same cut for source text shown as written (a number, `true`): `9999…9999 (5,000 characters)`. */
export function sourceExcerpt(text: string, max = EXCERPT_CHARS): string {
  return excerpt(text, max, (cut) => cut);
}

function excerpt(text: string, max: number, quote: (text: string) => string): string {
  const chars = Array.from(text);
  if (chars.length <= max) return quote(text);
  const cut = `${chars.slice(0, max - 10).join('')}…${chars.slice(-8).join('')}`;
  return `${quote(cut)} (${chars.length.toLocaleString('en-US')} characters)`;
}
