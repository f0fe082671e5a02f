import { isDeepStrictEqual } from 'node:util';
import { parseStateText } from '../state/document.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import { withStateLock } from '../state/lock.js';
import { loadState, timeoutMs, updateState, type WrittenState } from '../state/store.js';
import { rewriteYaml } from '../state/yaml-rewrite.js';
import { describeAreaChanges } from '../tasks/changes-by-area.js';
import { applyStateEdits, changedTopLevelKeys, withRevision, type StateEdit } from '../tasks/state-edits.js';
import type { HookContext } from './hook-context.js';
import type { HookOutcome } from './outcome.js';
import { changelogUpdate, readTextIfExists, roadmapWarnings, stateFileName, type PreCommitPlan } from './pre-commit.js';
import { stageChanges, type FileChange, type IndexToStage } from './stage-files.js';
import { unifiedDiff } from './unified-diff.js';

/**
 * The writing half of pre-commit, loaded only when a commit touches a watched area. Everything
 * happens in one hold of the state lock: read, edit, write (one revision, one `auto_maintain`
 * audit entry, by the store), then — still holding it — the changelog and the staging, so what is
 * staged is exactly what was written.
 */
export async function applyPreCommit(context: HookContext, plan: PreCommitPlan, indexes: IndexToStage[]): Promise<HookOutcome> {
  const warnings: string[] = [];
  let before = '';
  let written: WrittenState | null = null;
  let changelogUpdated = false;

  await updateState(
    context.paracRoot,
    (state) => {
      before = state.source;
      warnings.push(...roadmapWarnings(plan, state.data));
      const { data, skipped } = applyStateEdits(state.data, plan.edits);
      for (const edit of skipped) warnings.push(`left ${edit.path.join('.')} unchanged: ${edit.path[0]} is not a mapping`);
      for (const key of changedTopLevelKeys(state.data, data)) state.setIn([key], data[key]);
    },
    {
      timeout: context.timeout,
      audit: plan.audit,
      // A hook process is short-lived and cold: parsing the whole file would be most of its run.
      sections: sectionsRead(plan.edits),
      afterWrite: async (w) => {
        written = w;
        changelogUpdated = await writeChangelogAndStage(context, plan, indexes, stateChange(context, plan.edits, before, w));
      },
    },
  );
  // The state already said all this (a second commit of the same files, the same day): the
  // changelog may still lack today's entry for these areas, so it gets its own short lock hold.
  if (written === null && plan.changelogLabels.length > 0) {
    await withStateLock(context.stateFile.file, { timeoutMs: timeoutMs(context.timeout) }, async () => {
      changelogUpdated = await writeChangelogAndStage(context, plan, indexes, null);
    });
  }
  const w = written as WrittenState | null;
  if (w === null && !changelogUpdated) return { kind: 'unchanged', warnings };
  return {
    kind: 'updated',
    fileName: stateFileName(context),
    revision: w ? { from: w.previousRevision, to: w.revision } : null,
    detail: describeAreaChanges(plan.areas),
    changelogUpdated,
    warnings,
  };
}

/** The top-level entries pre-commit reads: those its edits write, and the phase the roadmap check compares. */
function sectionsRead(edits: readonly StateEdit[]): string[] {
  return [...new Set(['snapshot_date', 'current_phase', ...edits.map((edit) => edit.path[0]!)])];
}

/** The state update as a change to stage; applied to a staged version, it also sets the new revision. */
function stateChange(context: HookContext, edits: readonly StateEdit[], before: string, written: WrittenState): FileChange | null {
  const repoPath = context.stateFile.repoPath;
  if (repoPath === null) return null;
  return {
    repoPath,
    before,
    applyTo: (text) => {
      const staged = parseStateText(text, `${repoPath} (staged version)`);
      const { data } = applyStateEdits(staged.data, edits);
      return rewriteYaml(text, staged.data, withRevision(data, written.revision));
    },
  };
}

async function writeChangelogAndStage(
  context: HookContext,
  plan: PreCommitPlan,
  indexes: IndexToStage[],
  state: FileChange | null,
): Promise<boolean> {
  const changes: FileChange[] = state ? [state] : [];
  let updated = false;
  if (plan.changelogLabels.length > 0) {
    const before = await readTextIfExists(context.changelog.file);
    const update = changelogUpdate(plan);
    const after = before === null ? null : update(before);
    if (before !== null && after !== null) {
      await writeFileAtomic(context.changelog.file, after);
      updated = true;
      if (context.changelog.repoPath !== null) changes.push({ repoPath: context.changelog.repoPath, before, applyTo: update });
    }
  }
  if (indexes.length > 0 && changes.length > 0) await stageChanges(indexes, changes);
  return updated;
}

/** --dry-run: the same plan, shown as a unified diff of each file it would change; nothing is written. */
export async function previewPreCommit(context: HookContext, plan: PreCommitPlan): Promise<HookOutcome> {
  const state = await loadState(context.paracRoot, { timeout: context.timeout });
  if (state === null) return { kind: 'unchanged', warnings: [] };
  const warnings = roadmapWarnings(plan, state.data);
  const { data } = applyStateEdits(state.data, plan.edits);
  const label = context.stateFile.repoPath ?? context.stateFile.file;
  let diff = '';
  if (!isDeepStrictEqual(data, state.original)) {
    const next = rewriteYaml(state.source, state.original, withRevision(data, state.revision + 1));
    diff += unifiedDiff(state.source, next, { from: `a/${label}`, to: `b/${label}` });
  }
  if (plan.changelogLabels.length > 0) {
    const before = await readTextIfExists(context.changelog.file);
    const after = before === null ? null : changelogUpdate(plan)(before);
    const changelogLabel = context.changelog.repoPath ?? context.changelog.file;
    if (before !== null && after !== null) diff += unifiedDiff(before, after, { from: `a/${changelogLabel}`, to: `b/${changelogLabel}` });
  }
  if (diff === '') return { kind: 'unchanged', warnings };
  return { kind: 'preview', diff, detail: describeAreaChanges(plan.areas), warnings };
}
