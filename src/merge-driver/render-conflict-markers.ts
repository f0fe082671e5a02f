import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import { rewriteYaml } from '../document/document.js';
import type { MergePath } from '../reconcile/merge-data.js';
import { formatMergePath, REMOVED, withPutBackValues, type LocatedConflict } from './conflict-location.js';
import { diffHunks, type Hunk } from '../text/line-diff.js';

/**
 * Renders the values the structural merge could not decide as git-style conflict markers around
 * the conflicting keys only; the rest of the file is the clean merge.
 *
 * The merged text holds the winning side's value at each conflict. The same text with the other
 * side's values put back (rewriteYaml changes nothing else) differs from it only around those keys.
 * Each place where the two differ, widened to whole key entries (so a multi-line value shows
 * complete on both sides), becomes one block, current branch first:
 *
 *     <<<<<<< ours (current_phase.progress)
 *       progress: 60%
 *     =======
 *       progress: 80%
 *     >>>>>>> theirs (current_phase.progress)
 *
 * Places that overlap or touch share a block. Pure: texts and data in, text out.
 */

/** The label of the driver's fallback blocks (`<<<<<<< ours (line merge)`), which `paracle verify` tells apart. */
export const DRIVER_LINE_MERGE_LABEL = 'line merge';

export interface ConflictBlock {
  /** Lines of the merged text the block replaces, 0-based, end exclusive. */
  start: number;
  end: number;
  /** Paths of the conflicts in it, as the merge reported them. */
  keys: string[];
}

export interface MarkedText {
  text: string;
  blocks: ConflictBlock[];
}

export interface MarkOptions {
  /** Which branch's values the merged text holds at the conflicts (the other branch's go in with them). */
  mergedHolds: 'current' | 'other';
  markerSize?: number;
  /** Blocks decided elsewhere (whole entries whose comments clash), in the merged text's lines. */
  entryBlocks?: EntryBlock[];
}

export interface EntryBlock {
  /** Lines of the merged text the block replaces, 0-based, end exclusive. */
  start: number;
  end: number;
  keys: string[];
  /** Each side's lines, with their line endings. */
  ours: string[];
  theirs: string[];
}

interface Interval {
  start: number;
  end: number;
  keys: string[];
}

export function markConflicts(
  mergedText: string,
  merged: Record<string, unknown>,
  conflicts: readonly LocatedConflict[],
  options: MarkOptions,
): MarkedText {
  const a = splitLines(mergedText);
  const blocks = [...valueBlocks(a, mergedText, merged, conflicts, options), ...(options.entryBlocks ?? [])].sort(
    (x, y) => x.start - y.start,
  );
  const out: string[] = [];
  let position = 0;
  const size = options.markerSize ?? 7;
  for (const block of blocks) {
    if (block.start < position) throw new Error(`conflicts at ${block.keys.join(', ')} overlap another one`);
    const label = block.keys.length > 0 ? ` (${[...new Set(block.keys)].join(', ')})` : '';
    out.push(...a.slice(position, block.start));
    out.push(`${'<'.repeat(size)} ours${label}\n`, ...terminated(block.ours));
    out.push(`${'='.repeat(size)}\n`, ...terminated(block.theirs));
    out.push(`${'>'.repeat(size)} theirs${label}\n`);
    position = block.end;
  }
  out.push(...a.slice(position));
  return { text: out.join(''), blocks: blocks.map(({ start, end, keys }) => ({ start, end, keys: [...new Set(keys)] })) };
}

/** The blocks for values both sides changed differently: merged lines against the put-back ones. */
function valueBlocks(
  a: string[],
  mergedText: string,
  merged: Record<string, unknown>,
  conflicts: readonly LocatedConflict[],
  options: MarkOptions,
): EntryBlock[] {
  if (conflicts.length === 0) return [];
  const putBackText = rewriteYaml(mergedText, merged, withPutBackValues(merged, conflicts));
  const b = splitLines(putBackText);
  const hunks = diffHunks(a, b);
  if (hunks.length === 0) {
    throw new Error(`the conflicts at ${conflicts.map((c) => formatMergePath(c.reported)).join(', ')} change nothing in the text`);
  }
  const align = new Alignment(hunks);

  const intervals: Interval[] = hunks.map((h) => ({ start: h.aStart, end: h.aEnd, keys: [] }));
  const inMerged = new NodeRanges(mergedText);
  const inPutBack = new NodeRanges(putBackText);
  for (const conflict of conflicts) {
    const key = formatMergePath(conflict.reported);
    const last = conflict.path[conflict.path.length - 1];
    // Where the conflicting entry is in each text; a list position means the same item in both only when none was inserted or removed there.
    const mergedRange = conflict.insert ? null : inMerged.of(conflict.path);
    const putBackRange = typeof last === 'number' && conflict.putBack === REMOVED ? null : inPutBack.of(conflict.path);
    const ranges = [mergedRange, putBackRange === null ? null : align.toMerged(putBackRange)].filter((r) => r !== null);
    for (const range of ranges) intervals.push({ ...range, keys: [key] });
  }

  return mergeIntervals(intervals)
    .filter((block) => hunks.some((h) => touches(block, h)))
    .map((block) => {
      const mergedLines = a.slice(block.start, block.end);
      const putBackLines = b.slice(align.startInPutBack(block.start), align.endInPutBack(block.end));
      const [ours, theirs] = options.mergedHolds === 'current' ? [mergedLines, putBackLines] : [putBackLines, mergedLines];
      return { ...block, ours, theirs };
    });
}

/** Sorted, with overlapping or touching intervals joined. */
function mergeIntervals(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((x, y) => x.start - y.start || x.end - y.end);
  const result: Interval[] = [];
  for (const next of sorted) {
    const last = result[result.length - 1];
    if (last && next.start <= last.end) {
      last.end = Math.max(last.end, next.end);
      last.keys.push(...next.keys);
    } else {
      result.push({ ...next, keys: [...next.keys] });
    }
  }
  return result;
}

function touches(block: Interval, hunk: Hunk): boolean {
  return hunk.aStart <= block.end && hunk.aEnd >= block.start;
}

/**
 * Line positions between the merged text (a) and the put-back text (b), which are equal and
 * aligned outside the hunks.
 */
class Alignment {
  constructor(private readonly hunks: Hunk[]) {}

  /** b's line `line` in a's coordinates: itself when aligned, the whole hunk when inside one. */
  private lineToMerged(line: number): { start: number; end: number } {
    let shift = 0;
    for (const h of this.hunks) {
      if (line < h.bStart) break;
      if (line < h.bEnd) return { start: h.aStart, end: h.aEnd };
      shift = h.aEnd - h.bEnd;
    }
    return { start: line + shift, end: line + shift + 1 };
  }

  toMerged(range: { start: number; end: number }): { start: number; end: number } {
    const first = this.lineToMerged(range.start);
    const last = this.lineToMerged(Math.max(range.start, range.end - 1));
    return { start: Math.min(first.start, last.start), end: Math.max(first.end, last.end) };
  }

  /** Block boundaries never fall inside a hunk (blocks contain every hunk they touch). */
  startInPutBack(aLine: number): number {
    let shift = 0;
    for (const h of this.hunks) {
      if (h.aStart >= aLine) return h.aStart === aLine ? h.bStart : aLine + shift;
      shift = h.bEnd - h.aEnd;
    }
    return aLine + shift;
  }

  endInPutBack(aLine: number): number {
    let shift = 0;
    for (const h of this.hunks) {
      if (h.aEnd > aLine) break;
      // A hunk ending at the boundary (or a pure insertion there) belongs to the block.
      if (h.aEnd === aLine) return h.bEnd;
      shift = h.bEnd - h.aEnd;
    }
    return aLine + shift;
  }
}

/** Line ranges of the entry at a path: a mapping entry from its key's line, a list item from its own. */
class NodeRanges {
  #parsed: { doc: Document; counter: LineCounter } | null = null;

  constructor(private readonly text: string) {}

  of(path: MergePath): { start: number; end: number } | null {
    if (path.length === 0) return null;
    if (this.#parsed === null) {
      const counter = new LineCounter();
      this.#parsed = { doc: parseDocument(this.text, { lineCounter: counter, uniqueKeys: false }), counter };
    }
    const { doc, counter } = this.#parsed;
    const last = path[path.length - 1]!;
    let from: number | undefined;
    let to: number | undefined;
    if (typeof last === 'number') {
      const node = doc.getIn(path, true);
      if (!isNode(node) || !node.range) return null;
      [from, to] = [node.range[0], node.range[1]];
    } else {
      const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
      const items = (parent as { items?: Array<{ key: unknown; value: unknown }> } | null)?.items;
      const pair = Array.isArray(items)
        ? items.find((item) => isNode(item.key) && (item.key as { value?: unknown }).value === last)
        : undefined;
      if (!pair || !isNode(pair.key) || !pair.key.range) return null;
      from = pair.key.range[0];
      to = isNode(pair.value) && pair.value.range ? pair.value.range[1] : pair.key.range[1];
    }
    // LineCounter lines are 1-based; ranges here are 0-based line indexes, end exclusive.
    return { start: counter.linePos(from).line - 1, end: counter.linePos(Math.max(from, to - 1)).line };
  }
}

/** Lines with their endings; the last one may have none. */
export function splitLines(text: string): string[] {
  return text === '' ? [] : text.split(/(?<=\n)/);
}

function terminated(lines: string[]): string[] {
  if (lines.length === 0) return lines;
  const last = lines[lines.length - 1]!;
  return last.endsWith('\n') ? lines : [...lines.slice(0, -1), `${last}\n`];
}
