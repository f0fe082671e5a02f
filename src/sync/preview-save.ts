import { Document } from 'yaml';
import { rewriteYaml } from '../document/document.js';
import type { ParacState } from '../state/model.js';

/**
 * What saving `state` would write, without writing: the text it was loaded from and the text a
 * save would put in its place (next revision included), for `--dry-run`. Pure.
 */
export interface SavePreview {
  before: string;
  after: string;
  revision: number;
}

/** `highWater`: the audit log's revision high-water mark, which the store writes above as well. */
export function previewSave(state: ParacState, highWater = -1): SavePreview {
  const revision = Math.max(state.revision, highWater) + 1;
  const target = withRevision(state.data, revision);
  const after = state.source === '' ? new Document(target).toString({ lineWidth: 0 }) : rewriteYaml(state.source, state.original, target);
  return { before: state.source, after, revision };
}

/** As the store places it: in place when the file has one, else right after `snapshot_date`. */
function withRevision(data: Record<string, unknown>, revision: number): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const define = (key: string, value: unknown) =>
    Object.defineProperty(result, key, { value, writable: true, enumerable: true, configurable: true });
  const hasRevision = Object.hasOwn(data, 'revision');
  if (!hasRevision && !Object.hasOwn(data, 'snapshot_date')) define('revision', revision);
  for (const [key, value] of Object.entries(data)) {
    define(key, key === 'revision' ? revision : value);
    if (key === 'snapshot_date' && !hasRevision) define('revision', revision);
  }
  return result;
}
