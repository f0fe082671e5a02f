import { canonicalJson } from '../reconcile/merge-list.js';
import type { MergeConflict, MergePath } from '../reconcile/merge-data.js';
import { isRecord } from '../document/plain-data.js';

/**
 * Where a conflict reported by the merge sits in the merged data, and how to put back the value
 * of the side that lost it.
 *
 * `reconcileStates(base, winner, layout)` keeps the layout side's text and, for a value both sides
 * changed differently, the winner's value; the conflict's `theirs` is the layout side's value.
 * It reports list positions in the layout side's list when the item is there, the winner's
 * otherwise, while the merged list may hold both sides' additions. Items are found again by the
 * merge's own identity (a mapping's `id`, or else the whole value); when that fails, the conflict
 * is widened to the whole list.
 */

/** "No value here": the layout side removed it. */
export const REMOVED: unique symbol = Symbol('removed');

export interface LocatedConflict {
  /** Path in the merged data (list positions are merged-list positions). */
  path: MergePath;
  /** The layout side's value at that path (REMOVED: it has none). */
  putBack: unknown;
  /** Set when the merged data has no item at `path` and the layout side's must be inserted at that position. */
  insert?: boolean;
  /** The conflict as reported, for labels. */
  reported: MergePath;
}

export interface MergeSides {
  layout: Record<string, unknown>;
  winner: Record<string, unknown>;
  merged: Record<string, unknown>;
}

export function locateConflict(conflict: MergeConflict, sides: MergeSides): LocatedConflict {
  return exactLocation(conflict, sides) ?? widenedLocation(conflict, sides);
}

function exactLocation(conflict: MergeConflict, sides: MergeSides): LocatedConflict | null {
  const path: MergePath = [];
  let layout: unknown = sides.layout;
  let winner: unknown = sides.winner;
  let merged: unknown = sides.merged;
  const layoutRemoved = conflict.theirs === undefined;
  for (let i = 0; i < conflict.path.length; i += 1) {
    const segment = conflict.path[i]!;
    const last = i === conflict.path.length - 1;
    if (typeof segment === 'string') {
      if (!isRecord(merged)) return null;
      path.push(segment);
      layout = field(layout, segment);
      winner = field(winner, segment);
      merged = field(merged, segment);
      continue;
    }
    if (!Array.isArray(merged)) return null;
    // The reported position is the layout side's, unless that side no longer has the item.
    const fromWinner = last && layoutRemoved;
    const source = fromWinner ? winner : layout;
    if (!Array.isArray(source) || segment >= source.length) return null;
    const item = source[segment];
    const index = merged.findIndex((candidate) => sameIdentity(candidate, item));
    if (index === -1) {
      // The winner removed an item the layout side edited: the merge dropped it.
      if (!last || fromWinner) return null;
      return { path: [...path, insertionPoint(source, segment, merged)], putBack: item, insert: true, reported: conflict.path };
    }
    path.push(index);
    layout = Array.isArray(layout) ? layout.find((c) => sameIdentity(c, item)) : undefined;
    winner = Array.isArray(winner) ? winner.find((o) => sameIdentity(o, item)) : undefined;
    merged = merged[index];
  }
  return { path, putBack: layoutRemoved ? REMOVED : conflict.theirs, reported: conflict.path };
}

/** The conflict as its nearest enclosing mapping key (all of a list), with the layout side's whole value there. */
function widenedLocation(conflict: MergeConflict, sides: MergeSides): LocatedConflict {
  const firstIndex = conflict.path.findIndex((segment) => typeof segment === 'number');
  const path = firstIndex === -1 ? conflict.path : conflict.path.slice(0, firstIndex);
  let layout: unknown = sides.layout;
  for (const segment of path) layout = field(layout, segment as string);
  return { path, putBack: layout === undefined ? REMOVED : layout, reported: conflict.path };
}

/** After the merged position of the item that precedes it on the layout side (or first). */
function insertionPoint(source: unknown[], index: number, merged: unknown[]): number {
  for (let i = index - 1; i >= 0; i -= 1) {
    const at = merged.findIndex((candidate) => sameIdentity(candidate, source[i]));
    if (at !== -1) return at + 1;
  }
  return 0;
}

function sameIdentity(a: unknown, b: unknown): boolean {
  return identityOf(a) === identityOf(b);
}

/** The identity the list merge matches items by (see reconcile/merge-list.ts). */
function identityOf(item: unknown): string {
  if (isRecord(item) && Object.hasOwn(item, 'id') && (typeof item.id === 'string' || typeof item.id === 'number')) {
    return `id:${JSON.stringify(item.id)}`;
  }
  return `value:${canonicalJson(item)}`;
}

function field(value: unknown, key: string): unknown {
  return isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

/** `merged` with the layout side's values put back at `conflicts` (a copy; `merged` is not changed). */
export function withPutBackValues(merged: Record<string, unknown>, conflicts: readonly LocatedConflict[]): Record<string, unknown> {
  const copy = structuredClone(merged);
  // Deepest and rightmost first, so an insertion or removal in a list does not move a later one's position.
  const ordered = [...conflicts].sort((a, b) => comparePaths(b.path, a.path));
  for (const conflict of ordered) setAt(copy, conflict);
  return copy;
}

function setAt(root: Record<string, unknown>, conflict: LocatedConflict): void {
  const { path } = conflict;
  if (path.length === 0) return;
  let parent: unknown = root;
  for (const segment of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return;
    parent = typeof segment === 'number' ? (parent as unknown[])[segment] : (parent as Record<string, unknown>)[segment];
  }
  const last = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof last === 'number') {
    if (conflict.insert) parent.splice(last, 0, conflict.putBack);
    else if (conflict.putBack === REMOVED) parent.splice(last, 1);
    else parent[last] = conflict.putBack;
  } else if (isRecord(parent) && typeof last === 'string') {
    if (conflict.putBack === REMOVED) delete parent[last];
    else Object.defineProperty(parent, last, { value: conflict.putBack, writable: true, enumerable: true, configurable: true });
  }
}

function comparePaths(a: MergePath, b: MergePath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/** `current_phase.progress`, `blockers[2].severity`. */
export function formatMergePath(path: MergePath): string {
  let text = '';
  for (const segment of path) text += typeof segment === 'number' ? `[${segment}]` : text === '' ? segment : `.${segment}`;
  return text === '' ? '(the whole file)' : text;
}
