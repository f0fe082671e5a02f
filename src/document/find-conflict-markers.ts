/**
 * git's conflict markers (`<<<<<<<`, `|||||||` with diff3, `=======`, `>>>>>>>`) at the start of a
 * line, as a merge without paracle's merge driver leaves them. Every reader of `.parac/` files
 * (the state parser, its partial reads, validate, verify, the pre-commit hook) asks here. Pure.
 */
const MARKER = /^(?:<{7}|>{7}|\|{7})(?: |$)|^={7}$/;

export interface ConflictMarker {
  line: number;
  marker: string;
  /** What follows the marker on its line (git's branch label, or the merge driver's). */
  label: string;
}

function markerAt(raw: string, line: number): ConflictMarker | null {
  const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  return MARKER.test(content) ? { line, marker: content.slice(0, 7), label: content.slice(8) } : null;
}

/** The first marker, or null; stops there (the parser and the hooks only need to know there is one). */
export function firstConflictMarker(text: string): ConflictMarker | null {
  let line = 1;
  let start = 0;
  while (start <= text.length) {
    const end = text.indexOf('\n', start);
    const found = markerAt(text.slice(start, end === -1 ? text.length : end), line);
    if (found !== null || end === -1) return found;
    start = end + 1;
    line += 1;
  }
  return null;
}

export function findConflictMarkers(text: string): ConflictMarker[] {
  const found: ConflictMarker[] = [];
  text.split('\n').forEach((raw, i) => {
    const marker = markerAt(raw, i + 1);
    if (marker !== null) found.push(marker);
  });
  return found;
}
