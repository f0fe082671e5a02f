import { copyMapping, defineData as define, isRecord as isMapping } from '../document/plain-data.js';

export { withRevision } from '../state/revision.js';

/**
 * What a task asks of the state: set the value at a path. Tasks return edits instead of writing,
 * so a hook run computes everything first and applies it once, in one lock hold, to the working
 * tree file and (with the same function) to the staged version of it.
 */
export interface StateEdit {
  path: readonly string[];
  value: unknown;
}

export interface EditResult {
  data: Record<string, unknown>;
  /** Edits that could not be applied because a non-mapping value is in the way (left untouched). */
  skipped: StateEdit[];
}

/** A new object: copied along each edited path, shared elsewhere; `data` itself is not modified. */
export function applyStateEdits(data: Record<string, unknown>, edits: readonly StateEdit[]): EditResult {
  let result = data;
  const skipped: StateEdit[] = [];
  for (const edit of edits) {
    const next = setAt(result, edit.path, edit.value);
    if (next === null) skipped.push(edit);
    else result = next;
  }
  return { data: result, skipped };
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

/** Top-level keys whose values differ between `before` and `after` (by identity: edits copy what they change). */
export function changedTopLevelKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return Object.keys(after).filter((key) => !Object.hasOwn(before, key) || before[key] !== after[key]);
}
