import { isDeepStrictEqual } from 'node:util';
import { GitCommandError, HookStepError, RollbackError, StateWriteError } from '../errors.js';
import { readRevisionHighWater } from '../log/revision-high-water.js';
import { parseStateText } from '../document/document.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { withStateLock } from '../lock/lock.js';
import { loadState, timeoutMs, updateState, type WrittenState } from '../store/store.js';
import { rewriteYaml } from '../document/yaml-rewrite.js';
import { describeAreaChanges } from '../tasks/changes-by-area.js';
import { readBytesIfExistsSync, readTextIfExists, readTextIfExistsSync } from '../fs/read-text.js';
import { withRevision } from '../state/revision.js';
import { applyEditsToState, applyStateEdits, skippedEditWarning, type StateEdit } from '../state/state-edits.js';
import { commitAttemptFile, recordCommitAttempt, type FileAttempt } from './commit-attempt.js';
import { fileAttempt } from './commit-attempt-undo.js';
import type { HookContext } from './hook-context.js';
import { auditLogSize } from '../log/audit-log.js';
import type { HookOutcome } from './outcome.js';
import { changelogUpdate, roadmapWarnings, stateFileName, type PreCommitPlan } from './pre-commit-plan.js';
import { restoreIndexes, stageChanges, type FileChange, type IndexToStage } from './stage-files.js';
import { unifiedDiff } from '../text/unified-diff.js';

/**
 * The writing half of pre-commit, loaded only when a commit touches a watched area. Everything
 * happens in one hold of the state lock: read, edit, write (one revision, one `auto_maintain`
 * audit entry, by the store), then — still holding it — the changelog and the staging, so what is
 * staged is exactly what was written.
 */
export async function applyPreCommit(
  context: HookContext,
  plan: PreCommitPlan,
  indexes: IndexToStage[],
  head: string | null,
): Promise<HookOutcome> {
  const warnings: string[] = [];
  let before = '';
  let written: WrittenState | null = null;
  let changelogUpdated = false;
  const trackedLog = trackedAuditLog(context, indexes);
  let logBefore: string | null = null;
  const record = commitAttemptFile(context);
  let stateBytes: Buffer | null = null;
  let logSizeBefore: number | null = null;

  try {
    await updateState(
      context.paracRoot,
      (state) => {
        before = state.source;
        if (record !== null) {
          stateBytes = readBytesIfExistsSync(context.stateFile.file);
          logSizeBefore = auditLogSize(context.paracRoot);
        }
        // Under the lock: what the store appends next is exactly this run's entries.
        if (trackedLog) logBefore = readTextIfExistsSync(context.auditLog.file) ?? '';
        warnings.push(...roadmapWarnings(plan, state.data));
        const { skipped } = applyEditsToState(state, plan.edits);
        for (const edit of skipped) warnings.push(skippedEditWarning(edit));
      },
      {
        timeout: context.timeout,
        audit: plan.audit,
        // A stopped commit leaves nothing behind: the retry must write HEAD's revision + 1 again.
        allOrNothing: true,
        onWarning: (warning) => warnings.push(warning),
        // A hook process is short-lived and cold: parsing the whole file would be most of its run.
        sections: sectionsRead(plan.edits),
        replacesRevision: plan.amend?.replacesRevision ?? undefined,
        afterWrite: async (w) => {
          written = w;
          const changes = [stateChange(context, plan.edits, before, w), logChange(context, logBefore)];
          const { changelog, undo } = await writeChangelogAndStage(
            context,
            plan,
            indexes,
            changes.filter((c): c is FileChange => c !== null),
          );
          changelogUpdated = changelog !== null;
          if (record !== null) {
            const files = [fileAttempt(context.stateFile, stateBytes, w.text), ...(changelog ? [changelog] : [])];
            const log = { before: logSizeBefore, after: auditLogSize(context.paracRoot) };
            const warning = recordCommitAttempt(record, { head, files, log });
            if (warning !== null) warnings.push(warning);
          }
          // A shared engine commits after this: if it refuses, the changelog and the index go back too.
          return undo;
        },
      },
    );
  } catch (error) {
    throw hookStepError(context, error);
  }
  // The state already said all this (a second commit of the same files, the same day): the
  // changelog may still lack today's entry for these areas, so it gets its own short lock hold.
  if (written === null && plan.changelogLabels.length > 0) {
    await withStateLock(context.stateFile.file, { timeoutMs: timeoutMs(context.timeout) }, async () => {
      const { changelog } = await writeChangelogAndStage(context, plan, indexes, []);
      changelogUpdated = changelog !== null;
      if (record !== null && changelog !== null) {
        const size = auditLogSize(context.paracRoot);
        const warning = recordCommitAttempt(record, { head, files: [changelog], log: { before: size, after: size } });
        if (warning !== null) warnings.push(warning);
      }
    });
  }
  const w = written as WrittenState | null;
  if (w === null && !changelogUpdated) return { kind: 'unchanged', warnings };
  return {
    kind: 'updated',
    fileName: stateFileName(context),
    revision: w ? { from: amendedFrom(plan, w) ?? w.previousRevision, to: w.revision } : null,
    detail: describeAreaChanges(plan.areas),
    changelogUpdated,
    warnings,
  };
}

/** An amend that took the replaced commit's revision again counts from the parent's, as the commit does. */
function amendedFrom(plan: PreCommitPlan, written: WrittenState): number | null {
  return plan.amend !== null && written.revision === plan.amend.replacesRevision ? plan.amend.parentRevision : null;
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

/**
 * The audit log is a local record by default (ignored, untracked: nothing to stage). A project that
 * tracks it gets this run's own entries committed with the state they describe, so the log is not
 * left modified; entries the user has not staged stay unstaged.
 */
function trackedAuditLog(context: HookContext, indexes: readonly IndexToStage[]): boolean {
  const path = context.auditLog.repoPath;
  return path !== null && indexes.some((index) => index.entries?.has(path) === true);
}

function logChange(context: HookContext, before: string | null): FileChange | null {
  const repoPath = context.auditLog.repoPath;
  if (repoPath === null || before === null) return null;
  const after = readTextIfExistsSync(context.auditLog.file) ?? '';
  // Anything but a pure append (a prune, another tool rewriting it) is not this run's to commit.
  if (after.length === before.length || !after.startsWith(before)) return null;
  const appended = after.slice(before.length);
  return {
    repoPath,
    before,
    applyTo: (staged) => `${staged}${staged === '' || staged.endsWith('\n') || appended.startsWith('\n') ? '' : '\n'}${appended}`,
  };
}

/**
 * The changelog, then the staging, each undone if a later one fails: the changelog's bytes and the
 * index entries go back as they were, and the store (allOrNothing) puts back the state and the log.
 * Returns what it did to the changelog (null: nothing), for the commit attempt's record, and how to
 * undo both, for a step after it that fails (a shared engine refusing the commit).
 */
async function writeChangelogAndStage(
  context: HookContext,
  plan: PreCommitPlan,
  indexes: IndexToStage[],
  written: readonly FileChange[],
): Promise<{ changelog: FileAttempt | null; undo: () => Promise<void> }> {
  const changes: FileChange[] = [...written];
  let updated: FileAttempt | null = null;
  let changelogBytes: Buffer | null = null;
  let step: 'changelog' | 'git add' = 'changelog';
  try {
    if (plan.changelogLabels.length > 0) {
      changelogBytes = readBytesIfExistsSync(context.changelog.file);
      const before = changelogBytes === null ? null : changelogBytes.toString('utf8');
      const update = changelogUpdate(plan);
      const after = before === null ? null : update(before);
      if (before !== null && after !== null) {
        await writeFileAtomic(context.changelog.file, after);
        updated = fileAttempt(context.changelog, changelogBytes, after);
        if (context.changelog.repoPath !== null) changes.push({ repoPath: context.changelog.repoPath, before, applyTo: update });
      }
    }
    step = 'git add';
    if (indexes.length > 0 && changes.length > 0) await stageChanges(indexes, changes);
  } catch (error) {
    const where = step === 'changelog' ? pathForMessage(context.changelog) : changes.map((c) => c.repoPath).join(', ');
    try {
      await undo();
    } catch (undoError) {
      throw new RollbackError(
        where,
        `${step} failed (${firstLine(error)}); then putting the changelog and index back failed: ${firstLine(undoError)}`,
        {
          cause: error,
        },
      );
    }
    throw new HookStepError('pre-commit', step, where, reasonOf(error), { cause: error });
  }
  return { changelog: updated, undo };

  async function undo(): Promise<void> {
    if (updated && changelogBytes !== null) await writeFileAtomic(context.changelog.file, changelogBytes);
    if (indexes.length > 0 && changes.length > 0) await restoreIndexes(indexes, changes);
  }
}

/** A failure of the store's own steps, named for the person whose commit it stopped. */
function hookStepError(context: HookContext, error: unknown): unknown {
  if (!(error instanceof StateWriteError)) return error;
  const step = error.file === context.stateFile.file ? 'state write' : error.file === context.auditLog.file ? 'audit trail' : null;
  if (step === null) return error;
  const reason = error.message.startsWith(`${error.file}: `) ? error.message.slice(error.file.length + 2) : error.message;
  const target = step === 'state write' ? context.stateFile : context.auditLog;
  return new HookStepError('pre-commit', step, pathForMessage(target), reason, { cause: error });
}

function pathForMessage(target: { file: string; repoPath: string | null }): string {
  return target.repoPath ?? target.file;
}

/** git's own words for a failed git command (its message spans lines: sparse checkout), else the first line. */
function reasonOf(error: unknown): string {
  if (!(error instanceof GitCommandError)) return firstLine(error);
  const said = error.stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('hint:'))
    .join(' ');
  return said === '' ? firstLine(error) : said;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
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
    const highWater = await readRevisionHighWater(context.paracRoot);
    const next = rewriteYaml(state.source, state.original, withRevision(data, Math.max(state.revision, highWater) + 1));
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
