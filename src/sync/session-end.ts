import { relative } from 'node:path';
import { ParacleError } from '../errors.js';
import { today, type ParacState } from '../state/model.js';
import type { CommandContext } from '../cli/command-context.js';
import type { SessionEndOptions } from '../cli/session.js';
import { existsSync } from 'node:fs';

/**
 * The session-end update: `--start` items go to `in_progress`, `--complete` items to `completed`
 * (and out of `in_progress`), `--progress` sets the phase progress, `snapshot_date` becomes today.
 * Applied by `updateState` in one lock hold, so concurrent session ends, hooks and syncs never lose
 * each other's items.
 */
export function applySessionEnd(state: ParacState, options: SessionEndOptions): SessionEndSummary {
  const before = state.currentPhase.progress ?? null;
  const started = options.start ?? [];
  const completed = options.complete ?? [];
  for (const item of started) state.addInProgress(item);
  for (const item of completed) state.addCompleted(item);
  if (options.progress !== undefined) state.updateProgress(options.progress);
  // A session with nothing else to report still ends: it is the day the state was last looked at.
  state.snapshotDate = today();
  return {
    completed,
    started,
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

export async function runSessionEnd(context: CommandContext, options: SessionEndOptions): Promise<void> {
  const shown = relative(process.cwd(), context.stateFile) || context.stateFile;
  if (!existsSync(context.stateFile)) throw missingState(context.stateFile);

  if (options.dryRun) {
    const { loadState } = await import('../store/store.js');
    const { previewSave } = await import('./preview-save.js');
    const { unifiedDiff } = await import('../hooks-run/unified-diff.js');
    const state = await loadState(context.root, { timeout: context.timeout });
    if (state === null) throw missingState(context.stateFile);
    const summary = applySessionEnd(state, options);
    const { readRevisionHighWater } = await import('../log/revision-high-water.js');
    const preview = previewSave(state, await readRevisionHighWater(context.root));
    const diff = unifiedDiff(preview.before, preview.after, { from: `a/${shown}`, to: `b/${shown}` });
    if (context.json) context.printJson({ success: true, dry_run: true, revision: preview.revision, ...summary, diff });
    else if (!context.quiet) process.stdout.write(diff === '' ? 'paracle: nothing to change\n' : diff);
    return;
  }

  const { updateState } = await import('../store/store.js');
  // One entry for the whole session; filled in by mutate (the store reads it after mutate has run).
  const audit: { changeType: string; description: string; [extra: string]: unknown } = {
    changeType: 'session_end',
    description: '',
  };
  let summary: SessionEndSummary | undefined;
  let previous = 0;
  const state = await updateState(
    context.root,
    (s) => {
      previous = s.revision;
      summary = applySessionEnd(s, options);
      Object.assign(audit, { description: `Session ended: ${describeSessionEnd(summary)}`, ...summary });
    },
    { timeout: context.timeout, audit },
  );
  const wrote = state.revision !== previous;
  if (context.json) {
    context.printJson({ success: true, changed: wrote, revision: state.revision, previous_revision: previous, ...summary });
  } else {
    context.say(
      wrote ? `paracle: ${shown} rev ${previous} → ${state.revision} (${describeSessionEnd(summary!)})` : 'paracle: nothing to change',
    );
  }
}

function missingState(file: string): ParacleError {
  return new ParacleError('STATE_MISSING', `${file}: no state file; run \`paracle init\` to create one`);
}
