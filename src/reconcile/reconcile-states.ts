import { Document } from 'yaml';
import { parseStateText, rewriteYaml } from '../document/document.js';
import { mergeData, type MergeConflict, type MergeOptions } from './merge-data.js';

/**
 * Reconcile: a writer loaded `base`, changed it into `ours`, and found `theirs` on disk when it came
 * to save. Instead of failing, both changes are merged (rules in merge-data.ts and merge-list.ts)
 * and the result is written as theirs' text patched in place, so the file keeps its comments and
 * formatting, and the nodes ours added take on the file's style.
 *
 * Pure: texts in, text out. Invalid input rejects with StateParseError naming which text it was.
 */

export interface ReconcileResult {
  text: string;
  /** Every value both sides changed differently, and which one was kept (ours: the later write). */
  conflicts: MergeConflict[];
  /** Dotted paths ours changed that were carried onto theirs. */
  mergedKeys: string[];
  /** What `text` parses to. */
  data: Record<string, unknown>;
}

export interface ReconcileLabels {
  /** Names used in parse errors, e.g. the file path for theirs. */
  base?: string;
  ours?: string;
  theirs?: string;
}

export async function reconcileStates(
  base: string,
  ours: string,
  theirs: string,
  labels: ReconcileLabels = {},
  options: MergeOptions = {},
): Promise<ReconcileResult> {
  const baseData = parseOrEmpty(base, labels.base ?? 'base');
  const oursData = parseStateText(ours, labels.ours ?? 'ours').data;
  const theirsData = parseOrEmpty(theirs, labels.theirs ?? 'theirs');
  const { merged, conflicts, mergedKeys } = mergeData(baseData, oursData, theirsData, options);
  const text = theirs.trim() === '' ? new Document(merged).toString({ lineWidth: 0 }) : rewriteYaml(theirs, theirsData, merged);
  return { text, conflicts, mergedKeys, data: merged };
}

/** A state that had no file yet (base) or a file removed meanwhile (theirs) is empty data. */
function parseOrEmpty(text: string, label: string): Record<string, unknown> {
  return text.trim() === '' ? {} : parseStateText(text, label).data;
}

export interface ReconcileAuditEntry {
  change_type: 'reconcile';
  description: string;
  /** Dotted paths ours changed that were merged onto the newer file. */
  keys: string[];
  /**
   * Values both sides changed differently: both values and the one kept. A side that removed the
   * value has no field for it (JSON has no `undefined`) and is named in `removed_by`.
   */
  overrides: Array<{ path: string; ours?: unknown; theirs?: unknown; chosen?: unknown; removed_by?: 'ours' | 'theirs' }>;
  loaded_revision: number;
  merged_revision: number;
}

/** The audit entry a reconciled save writes (the store adds `revision`). */
export function reconcileAuditEntry(
  merge: { conflicts: MergeConflict[]; mergedKeys: string[] },
  revisions: { loaded: number; found: number },
): ReconcileAuditEntry {
  const overrides = merge.conflicts.map((conflict) => ({
    path: formatPath(conflict.path),
    ours: conflict.ours,
    theirs: conflict.theirs,
    chosen: conflict.chosen,
    ...(conflict.ours === undefined ? { removed_by: 'ours' as const } : {}),
    ...(conflict.theirs === undefined ? { removed_by: 'theirs' as const } : {}),
  }));
  const keyList = merge.mergedKeys.length > 0 ? merge.mergedKeys.join(', ') : 'nothing';
  const overrideText =
    overrides.length === 0
      ? ''
      : `; ${overrides.length} value${overrides.length === 1 ? '' : 's'} changed on both sides, kept ours: ${overrides
          .map((o) => o.path)
          .join(', ')}`;
  return {
    change_type: 'reconcile',
    description: `Merged changes made since revision ${revisions.loaded} into revision ${revisions.found} (${keyList})${overrideText}`,
    keys: merge.mergedKeys,
    overrides,
    loaded_revision: revisions.loaded,
    merged_revision: revisions.found,
  };
}

/** `current_phase.completed[3]`: how a person would point at the value. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text === '' ? part : `${text}.${part}`), '');
}
