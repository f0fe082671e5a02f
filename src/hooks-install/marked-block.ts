/**
 * A block of lines that `paracle install` owns inside a file the user also edits (a hook script,
 * `.gitignore`, `.gitattributes`), between a start and an end marker line. Installing again
 * replaces the block in place and leaves every other line alone, so a second run changes nothing.
 */
export interface BlockMarkers {
  start: string;
  end: string;
  /** Put a blank line between the user's lines and a newly appended block. */
  blankLineBefore: boolean;
  /** Treat a file holding only white space as empty (a fresh hook script). */
  blankIsEmpty?: boolean;
}

/** `existing` (null: no file yet) with `block` in it exactly once; the same text when already current. */
export function upsertMarkedBlock(existing: string | null, block: string, markers: BlockMarkers): string {
  if (existing === null || existing === '' || (markers.blankIsEmpty === true && existing.trim() === '')) return block;
  const start = existing.indexOf(markers.start);
  const end = start === -1 ? -1 : existing.indexOf(markers.end, start);
  if (start !== -1 && end !== -1) {
    let stop = end + markers.end.length;
    if (existing[stop] === '\n') stop += 1;
    return existing.slice(0, start) + block + existing.slice(stop);
  }
  const lineEnd = existing.endsWith('\n') ? '' : '\n';
  return `${existing}${lineEnd}${markers.blankLineBefore ? '\n' : ''}${block}`;
}

/**
 * `existing` without the block (`paracle uninstall`), with the blank line `upsertMarkedBlock` put
 * before an appended block; the same text when there is no block. Every other line is kept.
 */
export function removeMarkedBlock(existing: string, markers: Pick<BlockMarkers, 'start' | 'end' | 'blankLineBefore'>): string {
  const start = existing.indexOf(markers.start);
  const end = start === -1 ? -1 : existing.indexOf(markers.end, start);
  if (start === -1 || end === -1) return existing;
  let stop = end + markers.end.length;
  if (existing[stop] === '\n') stop += 1;
  let from = start;
  if (markers.blankLineBefore && from >= 2 && existing.slice(from - 2, from) === '\n\n') from -= 1;
  return existing.slice(0, from) + existing.slice(stop);
}
