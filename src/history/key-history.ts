import { isDeepStrictEqual } from 'node:util';
import { isRecord } from '../document/plain-data.js';
import type { StateChangeEntry } from '../log/audit-entry.js';
import { isTrailEntry, walkTrail } from '../log/trail.js';

/** One change to a key (or below it): what `paracle history` prints. */
export interface KeyChange {
  revision: number;
  timestamp: string;
  process_id: number;
  /** The change types logged for that revision, e.g. `progress`, `reconcile`, `external_edit`. */
  change_type: string;
  description: string;
  /** `undefined` where the key did not exist (JSON output leaves the field out). */
  before: unknown;
  after: unknown;
}

export type KeyPath = Array<string | number>;

/** `current_phase.progress` → ['current_phase', 'progress']; all-digit parts index lists. */
export function parseKeyPath(path: string): KeyPath {
  if (path.trim() === '') throw new RangeError('empty key path');
  return path.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

export function valueAt(data: unknown, path: KeyPath): unknown {
  let node = data;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else if (isRecord(node) && Object.hasOwn(node, String(key))) node = node[String(key)];
    else return undefined;
  }
  return node;
}

/**
 * Every revision whose data changed the value at `path` (anything below it counts), newest first.
 * The values are read from the rebuilt states before and after each revision, so a change made by
 * replacing a whole parent (or by an `external_edit`) is found as well as a patch aimed at the key.
 * A revision right after a break in the trail has no known "before" and is left out.
 */
export function keyChanges(entries: readonly StateChangeEntry[], path: KeyPath): KeyChange[] {
  const changes: KeyChange[] = [];
  // The plain entries a save logged beside its trail entry (same revision), for their types and descriptions.
  let pending: StateChangeEntry[] = [];
  const groups = new Map<StateChangeEntry, StateChangeEntry[]>();
  for (const entry of entries) {
    if (isTrailEntry(entry)) {
      groups.set(
        entry,
        pending.filter((p) => p.revision === entry.revision),
      );
      pending = [];
    } else pending.push(entry);
  }
  walkTrail(entries, (entry, before, after) => {
    if (before === null || after === null) return undefined;
    const old = valueAt(before.data, path);
    const now = valueAt(after.data, path);
    if (isDeepStrictEqual(old, now)) return undefined;
    const group = [...(groups.get(entry) ?? []), entry];
    changes.push({
      revision: entry.revision,
      timestamp: entry.timestamp,
      process_id: entry.process_id,
      change_type: [...new Set(group.map((e) => e.change_type))].join(', '),
      description: group.map((e) => e.description).join('; '),
      before: old,
      after: now,
    });
    return undefined;
  });
  return changes.reverse();
}
