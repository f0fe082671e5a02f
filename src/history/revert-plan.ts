import { copyMapping } from '../document/plain-data.js';
import { mergeData, type MergeConflict } from '../reconcile/merge-data.js';

/** What undoing one revision does to the current data. */
export interface RevertPlan {
  /** The current data with the revision's changes undone (meaningful only when `conflicts` is empty). */
  data: Record<string, unknown>;
  /** Dotted paths the revert changes. */
  keys: string[];
  /** Values the revision changed that a later revision changed again: not undone, nothing written. */
  conflicts: MergeConflict[];
}

/** Keys every save moves forward: undoing them would move the state back in time, not undo a change. */
const KEPT_KEYS = ['revision', 'snapshot_date'] as const;

/**
 * A three-way merge with the revision's change reversed (`after` → `before`) as "ours" and the
 * current data as "theirs": values later revisions left alone go back, list items it added are
 * removed and those it removed come back; a value changed since is a conflict, exactly as a
 * reconcile would report it.
 */
export function planRevert(before: Record<string, unknown>, after: Record<string, unknown>, current: Record<string, unknown>): RevertPlan {
  const undo = copyMapping(before);
  for (const key of KEPT_KEYS) {
    if (Object.hasOwn(after, key)) undo[key] = after[key];
    else delete undo[key];
  }
  const merge = mergeData(after, undo, current);
  return {
    data: merge.merged,
    keys: merge.mergedKeys.filter((key) => !(KEPT_KEYS as readonly string[]).includes(key)),
    conflicts: merge.conflicts,
  };
}
