import { isDeepStrictEqual } from 'node:util';
import { mergeLists } from './merge-list.js';
import { defineData, isRecord } from '../document/plain-data.js';

/**
 * Three-way merge of plain YAML data: `base` is what both writers started from, `ours` what the
 * writer saving now wants, `theirs` what is on disk (written by someone else since `base`).
 *
 * The rules, in the order they apply at every node:
 *  1. both sides agree (or only one side changed it) → that value;
 *  2. top-level `revision` and `snapshot_date` changed on both sides → the larger;
 *  3. mappings on both sides → merged key by key (a key removed on one side and untouched on the
 *     other is removed);
 *  4. lists on both sides → merged item by item (see merge-list.ts): additions from both sides are
 *     all kept, removals honoured;
 *  5. anything else both sides changed differently (a scalar, a type change, a removal against an
 *     edit) → **ours wins**, because ours is the write happening now, i.e. the later one; every
 *     such choice is reported in `conflicts` so nothing is overridden silently. With
 *     `clash: 'base'` the base's value stays instead (the merge driver's virtual merge base: see
 *     merge-state-texts.ts).
 */

export type MergePath = Array<string | number>;

export interface MergeConflict {
  path: MergePath;
  /** `undefined` where that side removed the value. */
  ours: unknown;
  theirs: unknown;
  chosen: unknown;
}

export interface DataMerge {
  merged: Record<string, unknown>;
  conflicts: MergeConflict[];
  /** Dotted paths of the values ours changed relative to base, carried onto theirs (`revision` left out). */
  mergedKeys: string[];
}

/** Marks "no value here": a key that is not in a mapping, an item that is not in a list. */
export const ABSENT: unique symbol = Symbol('absent');
export type Maybe = unknown | typeof ABSENT;

export interface MergeContext {
  conflicts: MergeConflict[];
  /** What a value both sides changed differently becomes (default ours). */
  clash?: 'ours' | 'base';
}

export interface MergeOptions {
  clash?: 'ours' | 'base';
}

/** Top-level keys whose values only ever grow: both writers moved them forward, so the larger is right. */
const MONOTONIC_KEYS = new Set(['revision', 'snapshot_date']);

export function mergeData(
  base: Record<string, unknown>,
  ours: Record<string, unknown>,
  theirs: Record<string, unknown>,
  options: MergeOptions = {},
): DataMerge {
  const context: MergeContext = { conflicts: [], clash: options.clash };
  const merged = mergeValue([], base, ours, theirs, context);
  return {
    merged: isRecord(merged) ? merged : {},
    conflicts: context.conflicts,
    mergedKeys: changedPaths(base, ours).filter((path) => path !== 'revision'),
  };
}

export function mergeValue(path: MergePath, base: Maybe, ours: Maybe, theirs: Maybe, context: MergeContext): Maybe {
  if (same(ours, theirs)) return theirs;
  if (same(base, ours)) return theirs;
  if (same(base, theirs)) return ours;

  if (path.length === 1 && MONOTONIC_KEYS.has(String(path[0]))) {
    const larger = largerOf(ours, theirs);
    if (larger !== undefined) return larger;
  }
  if (isRecord(ours) && isRecord(theirs)) {
    return mergeMaps(path, isRecord(base) ? base : {}, ours, theirs, context);
  }
  if (Array.isArray(ours) && Array.isArray(theirs)) {
    return mergeLists(path, Array.isArray(base) ? base : [], ours, theirs, context);
  }
  const chosen = context.clash === 'base' ? base : ours;
  context.conflicts.push({ path, ours: visible(ours), theirs: visible(theirs), chosen: visible(chosen) });
  return chosen;
}

function mergeMaps(
  path: MergePath,
  base: Record<string, unknown>,
  ours: Record<string, unknown>,
  theirs: Record<string, unknown>,
  context: MergeContext,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  // Theirs' key order is the file's order; keys only ours has come after it.
  const keys = [...Object.keys(theirs), ...Object.keys(ours).filter((key) => !Object.hasOwn(theirs, key))];
  for (const key of keys) {
    const value = mergeValue([...path, key], entry(base, key), entry(ours, key), entry(theirs, key), context);
    if (value !== ABSENT) defineData(result, key, value);
  }
  return result;
}

function largerOf(ours: Maybe, theirs: Maybe): unknown {
  if (ours === ABSENT) return theirs === ABSENT ? undefined : theirs;
  if (theirs === ABSENT) return ours;
  if (typeof ours === 'number' && typeof theirs === 'number') return Math.max(ours, theirs);
  if (typeof ours === 'string' && typeof theirs === 'string') {
    const a = Date.parse(ours);
    const b = Date.parse(theirs);
    if (!Number.isNaN(a) && !Number.isNaN(b)) return a >= b ? ours : theirs;
  }
  return undefined;
}

/** Dotted paths where `after` differs from `before`, descending into mappings only (a list is one value). */
export function changedPaths(before: unknown, after: unknown, prefix = ''): string[] {
  if (isDeepStrictEqual(before, after)) return [];
  if (!isRecord(before) || !isRecord(after)) return [prefix];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.flatMap((key) => changedPaths(entry(before, key), entry(after, key), prefix === '' ? key : `${prefix}.${key}`));
}

export function same(a: Maybe, b: Maybe): boolean {
  if (a === ABSENT || b === ABSENT) return a === b;
  return isDeepStrictEqual(a, b);
}

function entry(record: Record<string, unknown>, key: string): Maybe {
  return Object.hasOwn(record, key) ? record[key] : ABSENT;
}

/** A removed value shows as `undefined` in a reported conflict. */
export function visible(value: Maybe): unknown {
  return value === ABSENT ? undefined : value;
}
