import { readFile } from 'node:fs/promises';
import { ParacleError, StateMissingError } from '../errors.js';
import type { MergeConflict } from '../reconcile/merge-data.js';
import { parseStateText } from '../document/document.js';
import { catchUpWithEngine } from '../engine/state-engine.js';
import { readAuditLog } from '../log/audit-log.js';
import type { StateChangeEntry } from '../log/audit-entry.js';
import { differingPaths, isSnapshot, isTrailEntry, rebuildState, textHash, TrailGap, type TrailState } from '../log/trail.js';
import { stateFilePath } from '../state/paths.js';
import { loadState, updateState } from '../store/store.js';
import { keyChanges, parseKeyPath, type KeyChange } from './key-history.js';
import { planRevert } from './revert-plan.js';

/**
 * The state's history read from the audit trail (issue 14): any revision rebuilt, one key's changes,
 * the trail checked against the file, one revision undone. Reads the log and the file; the logic is
 * in the pure functions of log/trail.ts, key-history.ts and revert-plan.ts.
 */

/** A revert that would overwrite a later change: exit 4, like a conflict the reconcile cannot settle. */
export class RevertConflictError extends ParacleError {
  readonly keys: string[];
  constructor(file: string, revision: number, conflicts: MergeConflict[]) {
    const keys = conflicts.map((conflict) => conflict.path.join('.'));
    const now = conflicts.map((c) => `${c.path.join('.')} is now ${c.theirs === undefined ? '(absent)' : JSON.stringify(c.theirs)}`);
    super(
      'STATE_CONFLICT',
      `${file}: cannot revert revision ${revision}: later revisions changed the same values since (${now.join('; ')}); nothing was written`,
    );
    this.keys = keys;
  }
}

export class TrailGapError extends ParacleError {
  constructor(message: string) {
    super('TRAIL_GAP', message);
  }
}

async function trailEntries(paracRoot: string): Promise<StateChangeEntry[]> {
  // With a shared engine, this host first takes the revisions it lacks: every host answers alike.
  await catchUpWithEngine(paracRoot, undefined);
  return (await readAuditLog(paracRoot)).entries;
}

function orThrow(result: TrailState | TrailGap): TrailState {
  if (result instanceof TrailGap) {
    const what = result.revision === null ? 'the latest revision' : `revision ${result.revision}`;
    throw new TrailGapError(`cannot rebuild ${what} from the audit trail: ${result.message}`);
  }
  return result;
}

/** The state as of `revision` (default: the latest the trail holds). Throws TrailGapError naming why it cannot. */
export async function stateAt(paracRoot: string, revision?: number): Promise<TrailState> {
  return orThrow(rebuildState(await trailEntries(paracRoot), revision));
}

/** Every change to `path` or below it, newest first. */
export async function keyHistory(paracRoot: string, path: string, options: { limit?: number } = {}): Promise<KeyChange[]> {
  const changes = keyChanges(await trailEntries(paracRoot), parseKeyPath(path));
  return options.limit === undefined ? changes : changes.slice(0, options.limit);
}

export interface ReplayCheck {
  /** False when the log holds no trail at all (nothing to check). */
  trail: boolean;
  /** The trail's latest revision rebuilt, or null when there is no trail or it cannot be rebuilt. */
  rebuilt: TrailState | null;
  /** Why the latest revision cannot be rebuilt. */
  gap: string | null;
  fileRevision: number | null;
  /**
   * The file is byte for byte what the newest trail entry says was written. When it is not, it was
   * changed outside paracle since (a hand edit, git), which the next save records.
   */
  recorded: boolean;
  /** Dotted paths where the file and the rebuilt state differ. */
  differing: string[];
  ok: boolean;
}

/** Rebuilds the latest revision from the trail and compares it with the file. */
export async function replayState(paracRoot: string): Promise<ReplayCheck> {
  const entries = await trailEntries(paracRoot);
  const file = stateFilePath(paracRoot);
  const text = await readFile(file, 'utf8');
  const parsed = parseStateText(text, file);
  const trail = entries.filter(isTrailEntry);
  const newest = trail.at(-1);
  if (newest === undefined) {
    return { trail: false, rebuilt: null, gap: null, fileRevision: parsed.revision, recorded: false, differing: [], ok: true };
  }
  const recorded = newest.sha === textHash(text);
  const result = rebuildState(trail);
  if (result instanceof TrailGap) {
    return { trail: true, rebuilt: null, gap: result.message, fileRevision: parsed.revision, recorded, differing: [], ok: false };
  }
  const differing = differingPaths(result.data, parsed.data);
  return { trail: true, rebuilt: result, gap: null, fileRevision: parsed.revision, recorded, differing, ok: differing.length === 0 };
}

export interface RevertResult {
  reverted: number;
  /** The revision written, or null for a dry run. */
  revision: number | null;
  keys: string[];
  data: Record<string, unknown>;
}

/**
 * A new revision undoing revision `revision`'s changes. Refuses (StateConflictError, nothing
 * written) when a later revision changed any of the same values since.
 */
export async function revertRevision(
  paracRoot: string,
  revision: number,
  options: { dryRun?: boolean; timeout?: number } = {},
): Promise<RevertResult> {
  const trail = (await trailEntries(paracRoot)).filter(isTrailEntry);
  // A revision can have two entries: a change made outside paracle, then the save that found it.
  const last = trail.findLastIndex((entry) => entry.revision === revision);
  if (last === -1) throw new TrailGapError(`cannot revert revision ${revision}: it is not in the audit trail`);
  let first = last;
  while (first > 0 && trail[first - 1]!.revision === revision) first -= 1;
  if (first === 0 || (trail[first]!.base === undefined && isSnapshot(trail[first]!))) {
    throw new TrailGapError(`cannot revert revision ${revision}: it is where the trail starts (a snapshot), there is nothing before it`);
  }
  const before = orThrow(rebuildState(trail.slice(0, first)));
  const after = orThrow(rebuildState(trail.slice(0, last + 1)));
  const file = stateFilePath(paracRoot);
  const plan = (current: Record<string, unknown>) => {
    const result = planRevert(before.data, after.data, current);
    if (result.conflicts.length > 0) throw new RevertConflictError(file, revision, result.conflicts);
    return result;
  };
  if (options.dryRun) {
    const state = await loadState(paracRoot, { timeout: options.timeout });
    if (state === null) throw new StateMissingError(file);
    const result = plan(state.data);
    return { reverted: revision, revision: null, keys: result.keys, data: result.data };
  }
  let keys: string[] = [];
  // Read by the store after `mutate`, so the description can name the keys the revert changed.
  const audit = { changeType: 'revert', description: `Reverted revision ${revision}`, reverted_revision: revision };
  const state = await updateState(
    paracRoot,
    (state) => {
      const result = plan(state.data);
      keys = result.keys;
      audit.description = `Reverted revision ${revision}: ${keys.join(', ')}`;
      state.data = result.data;
    },
    { timeout: options.timeout, audit },
  );
  return { reverted: revision, revision: keys.length > 0 ? state.revision : null, keys, data: state.data };
}
