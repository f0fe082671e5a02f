import { isDeepStrictEqual } from 'node:util';
import { copyMapping, defineData as define, getAt, isRecord as isMapping } from '../document/plain-data.js';
import type { ParacState } from './model.js';

/**
 * What anything that changes the state asks of it: set the value at a path. The hooks' tasks, `paracle
 * sync` (repository facts, metrics, roadmap fixes) and `paracle session end` all describe their
 * changes as edits and apply them through `applyEditsToState` (or, to plain data such as the staged
 * version of the file, `applyStateEdits`): everything is computed first and applied once, in one
 * lock hold.
 */
export interface StateEdit {
  path: readonly string[];
  value: unknown;
}

/** An edit that changed a value: where, what was there (null for nothing), what is there now. */
export interface StateChange {
  path: string;
  old: unknown;
  new: unknown;
}

export interface EditResult {
  data: Record<string, unknown>;
  /** The edits that changed a value, in order (an edit setting the value already there is not one). */
  changes: StateChange[];
  /** Edits that could not be applied because a non-mapping value is in the way (left untouched). */
  skipped: StateEdit[];
}

/** A new object: copied along each edited path, shared elsewhere; `data` itself is not modified. */
export function applyStateEdits(data: Record<string, unknown>, edits: readonly StateEdit[]): EditResult {
  let result = data;
  const changes: StateChange[] = [];
  const skipped: StateEdit[] = [];
  for (const edit of edits) {
    const old = getAt(result, edit.path);
    const next = setAt(result, edit.path, edit.value);
    if (next === null) {
      skipped.push(edit);
      continue;
    }
    result = next;
    if (!isDeepStrictEqual(old, edit.value)) changes.push({ path: edit.path.join('.'), old: old ?? null, new: edit.value });
  }
  return { data: result, changes, skipped };
}

/**
 * The one way edits reach a loaded state: each edit that can be applied is set on it (so a save
 * rewrites those paths, and writes even an unchanged string there in a form both YAML readers read
 * the same); returns what changed and what was skipped.
 */
export function applyEditsToState(state: ParacState, edits: readonly StateEdit[]): Omit<EditResult, 'data'> {
  const { changes, skipped } = applyStateEdits(state.data, edits);
  for (const edit of edits) if (!skipped.includes(edit)) state.setIn([...edit.path], edit.value);
  return { changes, skipped };
}

/** What to say of an edit left out because a plain value stands where its path needs a mapping. */
export function skippedEditWarning(edit: StateEdit): string {
  return `left ${edit.path.join('.')} unchanged: ${edit.path[0]} is not a mapping`;
}

/**
 * Items started and completed in the current phase, as edits of its lists, the way the Python
 * original moves them: a started item goes to `in_progress` (and out of `pending`), a completed one
 * to `completed` (and out of `in_progress` and `pending`). A list is created only to add to it.
 * Used by `ParacState.addInProgress`/`addCompleted` and by `paracle session end`.
 */
export function phaseItemEdits(
  data: Record<string, unknown>,
  items: { start?: readonly string[]; complete?: readonly string[] },
): StateEdit[] {
  const phase = isMapping(data.current_phase) ? data.current_phase : {};
  const lists = new Map<string, unknown[] | undefined>();
  const list = (key: string): unknown[] | undefined => {
    if (!lists.has(key)) {
      const value = Object.hasOwn(phase, key) ? phase[key] : undefined;
      if (value !== undefined && value !== null && !Array.isArray(value)) {
        throw new TypeError(`current_phase.${key} is not a list in the state file`);
      }
      lists.set(key, Array.isArray(value) ? [...value] : undefined);
    }
    return lists.get(key);
  };
  const add = (key: string, item: string) => {
    const items = list(key) ?? [];
    if (!items.includes(item)) items.push(item);
    lists.set(key, items);
  };
  const remove = (key: string, item: string) => {
    const items = list(key);
    const index = items?.indexOf(item) ?? -1;
    if (index !== -1) items!.splice(index, 1);
  };
  for (const item of items.start ?? []) {
    add('in_progress', item);
    remove('pending', item);
  }
  for (const item of items.complete ?? []) {
    add('completed', item);
    remove('in_progress', item);
    remove('pending', item);
  }
  return [...lists].flatMap(([key, value]) => (value === undefined ? [] : [{ path: ['current_phase', key], value }]));
}

function setAt(node: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> | null {
  const [key, ...rest] = path;
  if (key === undefined) return null;
  const copy = copyMapping(node);
  if (rest.length === 0) {
    define(copy, key, value);
    return copy;
  }
  const child = Object.hasOwn(node, key) ? node[key] : {};
  if (!isMapping(child)) return null;
  const updated = setAt(child, rest, value);
  if (updated === null) return null;
  define(copy, key, updated);
  return copy;
}
