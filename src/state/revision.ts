import { copyMapping, defineData } from '../document/plain-data.js';

/**
 * Where `revision` goes in the data written: its own place when the file has one, else right after
 * `snapshot_date` (or first). The store and the hooks' staged-version update share this so that a
 * staged file and the working tree agree line for line.
 */
export function withRevision(data: Record<string, unknown>, revision: number): Record<string, unknown> {
  if (Object.hasOwn(data, 'revision')) {
    const copy = copyMapping(data);
    copy.revision = revision;
    return copy;
  }
  const result: Record<string, unknown> = {};
  let placed = false;
  for (const key of Object.keys(data)) {
    defineData(result, key, data[key]);
    if (key === 'snapshot_date') {
      defineData(result, 'revision', revision);
      placed = true;
    }
  }
  if (placed) return result;
  const first: Record<string, unknown> = {};
  defineData(first, 'revision', revision);
  for (const key of Object.keys(data)) defineData(first, key, data[key]);
  return first;
}
