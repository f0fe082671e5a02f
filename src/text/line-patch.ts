import { diffHunks } from './line-diff.js';

/**
 * A text change as replaced runs of lines (each line keeps its ending), small enough to store for
 * every revision and exact enough to rebuild the writer's bytes on another host: the shared engine
 * stores one per revision, and a host catching up applies them in order (docs/distributed.md).
 */

/** [first line of the old text, how many old lines it replaces, the new lines]. */
export type LinePatch = Array<[start: number, removed: number, added: string[]]>;

/** Lines with their endings; a last line without one stays as it is. (A split on /(?<=\n)/ is 10× slower.) */
function splitKeepingEndings(text: string): string[] {
  const lines: string[] = [];
  let from = 0;
  for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', from)) {
    lines.push(text.slice(from, end + 1));
    from = end + 1;
  }
  if (from < text.length) lines.push(text.slice(from));
  return lines;
}

export function linePatch(before: string, after: string): LinePatch {
  const a = splitKeepingEndings(before);
  const b = splitKeepingEndings(after);
  return diffHunks(a, b).map((hunk) => [hunk.aStart, hunk.aEnd - hunk.aStart, b.slice(hunk.bStart, hunk.bEnd)]);
}

/** Applies patches made by `linePatch` one after the other, splitting and joining the text once. */
export function applyLinePatches(text: string, patches: readonly LinePatch[]): string {
  let lines = splitKeepingEndings(text);
  for (const patch of patches) {
    const next: string[] = [];
    let at = 0;
    for (const [start, removed, added] of patch) {
      if (start < at || start + removed > lines.length) throw new RangeError(`a line patch does not fit the text (line ${start + 1})`);
      for (; at < start; at += 1) next.push(lines[at]!);
      for (const line of added) next.push(line);
      at = start + removed;
    }
    for (; at < lines.length; at += 1) next.push(lines[at]!);
    lines = next;
  }
  return lines.join('');
}
