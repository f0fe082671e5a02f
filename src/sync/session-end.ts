import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { StateMissingError } from '../errors.js';
import { localDate, type ParacState } from '../state/model.js';
import { applyEditsToState, phaseItemEdits, type StateEdit } from '../state/state-edits.js';

/** What a working session finished, started and how far the phase got. */
export interface SessionEndOptions {
  progress?: number;
  complete?: string[];
  start?: string[];
  dryRun?: boolean;
}

/**
 * The session-end update as edits: `--start` items go to `in_progress` (and out of `pending`),
 * `--complete` items to `completed` (and out of `in_progress` and `pending`), as the Python
 * original does; `--progress` sets the phase progress; `snapshot_date` becomes today. Pure: applied
 * by `updateState` in one lock hold, so concurrent session ends, hooks and syncs never lose each
 * other's items.
 */
export function sessionEndEdits(data: Record<string, unknown>, options: SessionEndOptions, date: string): StateEdit[] {
  const edits = phaseItemEdits(data, { start: options.start, complete: options.complete });
  if (options.progress !== undefined) {
    if (!Number.isInteger(options.progress) || options.progress < 0 || options.progress > 100) {
      throw new RangeError(`progress must be an integer from 0 to 100, got ${String(options.progress)}`);
    }
    edits.push({ path: ['current_phase', 'progress'], value: `${options.progress}%` });
  }
  // A session with nothing else to report still ends: it is the day the state was last looked at.
  edits.push({ path: ['snapshot_date'], value: date });
  return edits;
}

/** Applies the session end to a loaded state; returns what it reports. */
export function applySessionEnd(state: ParacState, options: SessionEndOptions): SessionEndSummary {
  const before = state.currentPhase.progress ?? null;
  const { skipped } = applyEditsToState(state, sessionEndEdits(state.data, options, localDate()));
  // current_phase is a plain value here: nothing can be recorded under it, and nothing is dropped silently.
  if (skipped.length > 0) throw new TypeError(`${skipped[0]!.path.join('.')}: current_phase is not a mapping in the state file`);
  return {
    completed: options.complete ?? [],
    started: options.start ?? [],
    progress: options.progress === undefined ? null : { old: before, new: `${options.progress}%` },
  };
}

export interface SessionEndSummary {
  completed: string[];
  started: string[];
  progress: { old: string | null; new: string } | null;
}

export function describeSessionEnd(summary: SessionEndSummary): string {
  const parts = [
    summary.completed.length > 0 ? `completed ${summary.completed.join(', ')}` : '',
    summary.started.length > 0 ? `started ${summary.started.join(', ')}` : '',
    summary.progress ? `progress ${summary.progress.old ?? 'unset'} → ${summary.progress.new}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : 'nothing but the date';
}

/** What `endSession` did (or, with `dryRun`, would do); the CLI renders it. */
export type SessionEndReport =
  | ({ dryRun: true; revision: number; diff: string } & SessionEndSummary)
  | ({ dryRun: false; changed: boolean; revision: number; previousRevision: number; warnings: string[] } & SessionEndSummary);

export async function endSession(
  target: { root: string; stateFile: string; timeout: number | undefined },
  options: SessionEndOptions,
): Promise<SessionEndReport> {
  if (!existsSync(target.stateFile)) throw new StateMissingError(target.stateFile);

  if (options.dryRun) {
    const { loadState } = await import('../store/store.js');
    const { previewSave } = await import('./preview-save.js');
    const { unifiedDiff } = await import('../text/unified-diff.js');
    const { readRevisionHighWater } = await import('../log/revision-high-water.js');
    const state = await loadState(target.root, { timeout: target.timeout });
    if (state === null) throw new StateMissingError(target.stateFile);
    const summary = applySessionEnd(state, options);
    const preview = previewSave(state, await readRevisionHighWater(target.root));
    const shown = relative(process.cwd(), target.stateFile) || target.stateFile;
    const diff = unifiedDiff(preview.before, preview.after, { from: `a/${shown}`, to: `b/${shown}` });
    return { dryRun: true, revision: preview.revision, diff, ...summary };
  }

  const { updateState } = await import('../store/store.js');
  // One entry for the whole session; filled in by mutate (the store reads it after mutate has run).
  const audit: { changeType: string; description: string; [extra: string]: unknown } = {
    changeType: 'session_end',
    description: '',
  };
  let summary: SessionEndSummary = { completed: [], started: [], progress: null };
  let previous = 0;
  const warnings: string[] = [];
  const state = await updateState(
    target.root,
    (s) => {
      previous = s.revision;
      summary = applySessionEnd(s, options);
      Object.assign(audit, { description: `Session ended: ${describeSessionEnd(summary)}`, ...summary });
    },
    { timeout: target.timeout, audit, onWarning: (warning) => warnings.push(warning) },
  );
  return {
    dryRun: false,
    changed: state.revision !== previous,
    revision: state.revision,
    previousRevision: previous,
    warnings,
    ...summary,
  };
}
