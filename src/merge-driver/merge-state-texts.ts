import { isDeepStrictEqual } from 'node:util';
import { reconcileStates } from '../reconcile/reconcile-states.js';
import { parseStateText, rewriteYaml } from '../document/document.js';
import { formatMergePath, locateConflict, withPutBackValues, type LocatedConflict } from './conflict-location.js';
import { keepEveryComment } from './entry-comments.js';
import { markConflicts, splitLines, type ConflictBlock } from './render-conflict-markers.js';

/**
 * The merge git asks the driver for: the common ancestor, the current branch's file (git's %A,
 * "ours") and the other branch's (%B, "theirs"). Pure: texts in, text out.
 *
 * - Both sides' changes are merged by `reconcileStates` (disjoint changes kept, list additions
 *   unioned, removals honoured, `snapshot_date` the later). The changes of the side that changed
 *   less are applied onto the text of the side that changed more, so its layout stays; then every
 *   comment either side added is put back next to its key (entry-comments.ts).
 * - `revision` is max(current, other) + 1: the merge is a new state, above everything either side
 *   has seen, so a revision number never repeats across branches.
 * - A value both sides changed differently is a true conflict: it is written as git-style
 *   conflict markers around that key only, with the current branch's value first — except in
 *   `repository`, the hooks' snapshot of the checkout (see isCheckoutSnapshot), and
 *   `recent_changes`, which describes one commit (see recentChangesOfOneSide).
 *
 * `virtualBase`: git is merging two merge bases of a criss-cross history into the one base the
 * real merge is made against (see run-merge-driver.ts). That merge must yield a valid state, so
 * where the two bases clash the value of their own common ancestor stays (what git does for a file
 * it cannot merge by line in a virtual base): the sides then decide that key, and conflict there
 * only if they disagree. No markers, and `revision` is the larger (a base, not a new state).
 *
 * Rejects (StateParseError, RewriteError) when a side cannot be merged structurally; the driver
 * then falls back to git's line merge.
 */

export interface StateMergeInput {
  base: string;
  current: string;
  other: string;
  /** The file's path, for messages. */
  path?: string;
  /** Length of the conflict markers (git's %L, from the `conflict-marker-size` attribute). */
  markerSize?: number;
  /** The two sides are merge bases being merged into a virtual one (criss-cross history). */
  virtualBase?: boolean;
}

export interface StateMergeResult {
  text: string;
  /** Conflict marker blocks left in `text`; empty for a clean merge. */
  conflicts: ConflictBlock[];
  revision: { current: number; other: number; merged: number };
}

export async function mergeStateTexts(input: StateMergeInput): Promise<StateMergeResult> {
  const path = input.path ?? 'current_state.yaml';
  const current = parseStateText(input.current, `${path} (ours)`);
  const other = parseStateText(input.other, `${path} (theirs)`);
  // reconcileStates(base, winner, layout) keeps the layout side's text (its comments, quoting,
  // folding) and renders the winner's changes into it. The side that changed more keeps its text:
  // merging a long upstream history into a small local edit should not re-render the history.
  // Which side "wins" a clash does not matter: every clash is handed to the user below.
  const layoutIsCurrent = changedLineCount(input.base, input.current) >= changedLineCount(input.base, input.other);
  const [layout, winner] = layoutIsCurrent ? [current, other] : [other, current];
  const [layoutLabel, winnerLabel] = layoutIsCurrent ? ['ours', 'theirs'] : ['theirs', 'ours'];
  const virtualBase = input.virtualBase ?? false;
  const merge = await reconcileStates(
    input.base,
    winner.text,
    layout.text,
    {
      base: `${path} (merge base)`,
      ours: `${path} (${winnerLabel})`,
      theirs: `${path} (${layoutLabel})`,
    },
    { clash: virtualBase ? 'base' : 'ours' },
  );
  const revision = Math.max(current.revision, other.revision) + (virtualBase ? 0 : 1);
  const revisions = { current: current.revision, other: other.revision, merged: revision };
  let merged = withRevision(merge.data, revision);
  let text = rewriteYaml(merge.text, merge.data, merged);
  const sides = { layout: layout.data, winner: winner.data };
  const baseData = input.base.trim() === '' ? {} : parseStateText(input.base, `${path} (merge base)`).data;

  const snapshot = merge.conflicts.filter((conflict) => isCheckoutSnapshot(conflict.path));
  if (snapshot.length > 0 && layoutIsCurrent && !virtualBase) {
    // The merged data holds the other branch's snapshot: put the current branch's back.
    const next = withPutBackValues(
      merged,
      snapshot.map((conflict) => locateConflict(conflict, { ...sides, merged })),
    );
    text = rewriteYaml(text, merged, next);
    merged = next;
  }
  const recent = recentChangesOfOneSide(baseData, current.data, other.data);
  if (recent.changed && !virtualBase && !isDeepStrictEqual(merged[RECENT_CHANGES], recent.value)) {
    const next = withKey(merged, RECENT_CHANGES, recent.value);
    text = rewriteYaml(text, merged, next);
    merged = next;
  }
  const conflicts = virtualBase
    ? []
    : merge.conflicts.filter((conflict) => !isCheckoutSnapshot(conflict.path) && conflict.path[0] !== RECENT_CHANGES);
  const located = conflicts.map((conflict) => locateConflict(conflict, { ...sides, merged }));

  // The merged data holds the winner's values at the conflicts; with the layout side's put back, the layout's.
  const layoutValues = withPutBackValues(merged, located);
  const comments = keepEveryComment({
    base: input.base,
    current: input.current,
    other: input.other,
    merged: { text, data: merged },
    baseData,
    sides: {
      current: { data: current.data, values: layoutIsCurrent ? layoutValues : merged },
      other: { data: other.data, values: layoutIsCurrent ? merged : layoutValues },
    },
    layout: layoutIsCurrent ? 'current' : 'other',
    clash: virtualBase ? 'base' : 'conflict',
  });
  if (comments !== null) text = comments.text;
  const commentConflicts = comments?.conflicts ?? [];
  if (located.length === 0 && commentConflicts.length === 0) return { text, conflicts: [], revision: revisions };

  // A value conflict inside an entry whose comments clash is shown by that entry's block.
  const inEntryBlock = (conflict: LocatedConflict) => commentConflicts.some((c) => c.entry === conflict.path[0]);
  const entryBlocks = commentConflicts.map((conflict) => ({
    start: conflict.start,
    end: conflict.end,
    keys: [conflict.label, ...located.filter((c) => c.path[0] === conflict.entry).map((c) => formatMergePath(c.reported))],
    ours: splitLines(conflict.ours),
    theirs: splitLines(conflict.theirs),
  }));
  const marked = markConflicts(
    text,
    merged,
    located.filter((conflict) => !inEntryBlock(conflict)),
    { mergedHolds: layoutIsCurrent ? 'other' : 'current', markerSize: input.markerSize, entryBlocks },
  );
  return { text: marked.text, conflicts: marked.blocks, revision: revisions };
}

/**
 * `repository` (branch, last commit, uncommitted changes) describes the checkout the hooks ran in,
 * not the project: every commit through the hooks rewrites it, so two hook-run branches always
 * differ there. The merge keeps the current branch's (the checkout the merge is made in); the next
 * commit through the hooks refreshes it. Anything else both sides changed differently is a real conflict.
 */
function isCheckoutSnapshot(path: readonly (string | number)[]): boolean {
  return path[0] === 'repository';
}

const RECENT_CHANGES = 'recent_changes';

/**
 * `recent_changes` describes one commit ("this commit touched packages: 3, docs: 1"), so a merge
 * takes one side's whole list, never the union of entries from different commits: the other
 * side's (theirs: the branch merged in, the commit a rebase or cherry-pick replays, the version a
 * revert restores) when it changed the list, else ours. `changed` is false when neither side
 * changed it (the merge has nothing to decide).
 */
function recentChangesOfOneSide(
  base: Record<string, unknown>,
  current: Record<string, unknown>,
  other: Record<string, unknown>,
): { changed: boolean; value: unknown } {
  const otherChanged = !isDeepStrictEqual(base[RECENT_CHANGES], other[RECENT_CHANGES]);
  const currentChanged = !isDeepStrictEqual(base[RECENT_CHANGES], current[RECENT_CHANGES]);
  if (otherChanged) return { changed: true, value: other[RECENT_CHANGES] };
  return { changed: currentChanged, value: current[RECENT_CHANGES] };
}

/** `data` with `key` set to `value` in its place (appended when new), or removed when `value` is undefined. */
function withKey(data: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(data)) {
    if (name === key && value === undefined) continue;
    Object.defineProperty(copy, name, { value: name === key ? value : data[name], writable: true, enumerable: true, configurable: true });
  }
  if (value !== undefined && !Object.hasOwn(copy, key)) {
    Object.defineProperty(copy, key, { value, writable: true, enumerable: true, configurable: true });
  }
  return copy;
}

/** How many of `side`'s lines the base does not have (as a multiset). */
function changedLineCount(base: string, side: string): number {
  const counts = new Map<string, number>();
  for (const line of base.split('\n')) counts.set(line, (counts.get(line) ?? 0) + 1);
  let changed = 0;
  for (const line of side.split('\n')) {
    const n = counts.get(line) ?? 0;
    if (n > 0) counts.set(line, n - 1);
    else changed += 1;
  }
  return changed;
}

/** `data` with `revision` set, keeping the key's place (or appending it when the file had none). */
function withRevision(data: Record<string, unknown>, revision: number): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    Object.defineProperty(copy, key, { value: data[key], writable: true, enumerable: true, configurable: true });
  }
  copy.revision = revision;
  return copy;
}
