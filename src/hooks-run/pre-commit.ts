import { readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, sep } from 'node:path';
import { HookRefusedError, StateLockError, StateParseError } from '../errors.js';
import { formatCommitSummary, readCommitSummary, type CommitSummary } from '../git/head-commit.js';
import { readBlob, readIndexEntries } from '../git/index-files.js';
import { readWorkingTreeStatus, stagedPaths, type WorkingTreeStatus } from '../git/status.js';
import { localDate } from '../state/model.js';
import { classifyStagedPaths, pathsInProject } from '../tasks/changes-by-area.js';
import { readRoadmap } from '../tasks/roadmap-alignment.js';
import { commitAttemptFile, readCommitAttemptToUndo } from './commit-attempt.js';
import { resolveHookContext, skippedWithoutState, type HookContext, type HookRunOptions } from './hook-context.js';
import { lockTimeoutForHook, type HookOutcome } from './outcome.js';
import { isStateScratchPath } from '../state/state-scratch-paths.js';
import { planPreCommit, type PreCommitFacts } from './pre-commit-plan.js';
import { prepareIndexes } from './stage-files.js';
import type { AmendFacts } from './amend.js';

/**
 * pre-commit: bring the state up to date with what is being committed, and stage that update into
 * the same commit. Read as a list of steps:
 *
 *   1. context   find .parac/ and the hooks config (nothing to do without a state file)
 *   2. status    one `git status`: staged paths, branch, HEAD, uncommitted changes
 *   3. guard     refuse a commit that stages the state core's lock or temp files
 *   4. classify  staged paths → areas; no watched area touched → done, silently (for an amend,
 *                the paths staged against HEAD's parent: the commit replaces HEAD)
 *   5. facts     HEAD's subject, the index entries of the files we may stage, the roadmap
 *   6. plan      the tasks turn facts into edits (pure)
 *   7. apply     lock → read → edit → write → changelog → stage → log, in one lock hold
 *                (or, with --dry-run, show the would-be change as a diff)
 */

export async function runPreCommit(options: HookRunOptions): Promise<HookOutcome> {
  const context = await resolveHookContext(options);
  if (context === null) return skippedWithoutState(options, 'this commit is not recorded in current_state.yaml');
  if (!context.config.preCommit) return { kind: 'skipped', reason: 'pre_commit is off in hooks.yaml', warnings: [] };

  const textsBeforeStatus = readTextsBeforeStatus(context);
  const pendingStatus = readWorkingTreeStatus(context.topLevel, 'hook');
  const pendingHead = askHeadSummary(context);
  const status = await pendingStatus;
  // A run whose commit was stopped after it (lint-staged failing next) is undone first; then all again.
  if (!context.dryRun && (await undoStoppedCommit(context, status.headOid))) return runPreCommit(options);
  refuseStagedScratchFiles(status);
  await refuseStagedConflictMarkers(context, status);
  let areas = classifyStagedPaths(pathsInProject(stagedPaths(status), projectFromTop(context)), context.config.areas);
  if (areas.length === 0) return { kind: 'unchanged', warnings: [] };
  // An amend that adds nothing watched leaves HEAD's state describing the commit; one that does is asked about here.
  const amend = status.headOid !== null ? await readAmend(context) : null;
  if (amend !== null) {
    // The commit replaces HEAD: its changes are all it holds against HEAD's parent.
    areas = classifyStagedPaths(pathsInProject(amend.paths, projectFromTop(context)), context.config.areas);
    if (areas.length === 0) return { kind: 'unchanged', warnings: [] };
  }

  const facts = await gatherFacts(context, status, textsBeforeStatus, pendingHead, amend);
  const plan = planPreCommit(context, facts, areas);
  // Loaded only now: a commit that touches no watched area never pays for the YAML and lock code.
  if (context.dryRun) return (await import('./pre-commit-apply.js')).previewPreCommit(context, plan);
  try {
    return await (await import('./pre-commit-apply.js')).applyPreCommit(context, plan, facts.indexes, facts.status.headOid);
  } catch (error) {
    if (error instanceof StateLockError) {
      throw lockTimeoutForHook(error, context.stateFile.repoPath ?? context.stateFile.file, 'git commit --no-verify');
    }
    if (error instanceof StateParseError) {
      // The hook must not write over a file it cannot read; say how to get the commit through.
      const position = error.line !== undefined ? { line: error.line, column: error.column ?? 1 } : undefined;
      throw new StateParseError(
        error.file,
        `${error.reason}; fix the file, or commit without the hooks: git commit --no-verify`,
        position,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** See commit-attempt.ts; true when it undid a stopped commit's writes. */
async function undoStoppedCommit(context: HookContext, head: string | null): Promise<boolean> {
  const record = commitAttemptFile(context);
  const attempt = record === null ? null : readCommitAttemptToUndo(record, head);
  if (record === null || attempt === null) return false;
  const { undoCommitAttempt } = await import('./commit-attempt-undo.js');
  return undoCommitAttempt(context, record, attempt);
}

/**
 * The folder holding .parac/ relative to the repository top, `/`-separated ('' at the top, and when
 * .parac/ is outside the repository: then paths are matched from the top, as git names them).
 */
function projectFromTop(context: HookContext): string {
  const project = relative(realpathSync(context.topLevel), realpathSync(dirname(context.paracRoot)));
  return project.startsWith('..') || isAbsolute(project) ? '' : project.split(sep).join('/');
}

function refuseStagedScratchFiles(status: WorkingTreeStatus): void {
  const bad = status.entries.filter(
    (e) => e.staged !== '.' && e.staged !== 'D' && e.kind !== 'untracked' && e.kind !== 'ignored' && isStateScratchPath(e.path),
  );
  if (bad.length === 0) return;
  const names = bad.map((e) => JSON.stringify(e.path)).join(', ');
  throw new HookRefusedError(
    `refusing to commit the state lock or temp file ${names}; unstage it (git rm -r --cached -- <path>) and run \`paracle install\` to ignore such files`,
  );
}

/**
 * A merge made where the state's merge driver is not set up (a fresh clone that never ran
 * `paracle install`) leaves git's line merge with conflict markers; never let that be committed,
 * even when no watched area is staged.
 */
async function refuseStagedConflictMarkers(context: HookContext, status: WorkingTreeStatus): Promise<void> {
  const repoPath = context.stateFile.repoPath;
  if (repoPath === null) return;
  const staged = status.entries.some(
    (e) => e.path === repoPath && e.staged !== '.' && e.staged !== 'D' && e.kind !== 'untracked' && e.kind !== 'ignored',
  );
  if (!staged) return;
  const target = { cwd: context.topLevel, env: 'hook' as const };
  const entry = (await readIndexEntries(target, [repoPath])).get(repoPath);
  if (entry === undefined) return;
  const { conflictMarkerProblem } = await import('../verify/conflict-marker-advice.js');
  const problem = conflictMarkerProblem(repoPath, await readBlob(target, entry.oid), 'state');
  if (problem) throw new HookRefusedError(`${problem.file}:${problem.line}:${problem.column}: ${problem.message}`);
}

/**
 * The files pre-commit may stage, read just before `git status` runs. Where the status then shows
 * no working-tree change, the committed index holds exactly this text; if the file still holds it
 * under the lock, it can be staged as is without hashing it (see stage-files.ts). Any writer in
 * between leaves a different text: every save of the state bumps its revision.
 */
function readTextsBeforeStatus(context: HookContext): Map<string, string> {
  const texts = new Map<string, string>();
  for (const { file, repoPath } of [context.stateFile, context.changelog]) {
    if (repoPath === null) continue;
    try {
      texts.set(repoPath, readFileSync(file, 'utf8'));
    } catch {
      // Missing or unreadable: staging compares with the index instead.
    }
  }
  return texts;
}

/** Of `texts`, those of files `git status` shows no working-tree change for. */
function textsMatchingIndex(texts: ReadonlyMap<string, string>, status: WorkingTreeStatus): Map<string, string> {
  const changed = new Set(status.entries.filter((e) => e.kind !== 'ignored' && e.unstaged !== '.').map((e) => e.path));
  return new Map([...texts].filter(([path]) => !changed.has(path)));
}

/**
 * HEAD's subject for the snapshot, asked for alongside `git status` rather than after it: a commit
 * touching a watched area then waits for git once instead of twice, and one touching none pays a
 * spawn it does not use (a few ms each way on this machine, within its noise). Before the first
 * commit there is no HEAD and git fails; that answer is never awaited (status says so), so its
 * rejection is marked handled here.
 */
function askHeadSummary(context: HookContext): Promise<CommitSummary | null> {
  if (!context.config.tasks.snapshot) return Promise.resolve(null);
  const pending = readCommitSummary(context.topLevel, 'hook');
  pending.catch(() => undefined);
  return pending;
}

async function gatherFacts(
  context: HookContext,
  status: WorkingTreeStatus,
  textsBeforeStatus: ReadonlyMap<string, string>,
  pendingHead: Promise<CommitSummary | null>,
  amend: AmendFacts | null,
): Promise<PreCommitFacts> {
  // The audit log is staged only where the project tracks it; its index entry tells.
  const stagePaths = [context.stateFile.repoPath, context.changelog.repoPath, context.auditLog.repoPath].filter(
    (p): p is string => p !== null,
  );
  const [head, indexes, roadmap] = await Promise.all([
    status.headOid !== null ? commitBuiltOn(context, pendingHead, amend !== null) : Promise.resolve(null),
    context.dryRun || stagePaths.length === 0
      ? Promise.resolve([])
      : prepareIndexes(context.topLevel, context.env, stagePaths, textsMatchingIndex(textsBeforeStatus, status)),
    context.config.tasks.roadmapAlignment ? readRoadmap(context.roadmapFile, ['current_phase']) : Promise.resolve(null),
  ]);
  return {
    today: localDate(),
    status,
    lastCommit: head ? formatCommitSummary(head) : null,
    indexes,
    roadmap,
    amend: amend === null ? null : { replacesRevision: amend.replacesRevision, parentRevision: amend.parentRevision },
  };
}

/**
 * The commit the one being made builds on: HEAD, or for `git commit --amend` HEAD's parent (none
 * when amending the first commit). Asked only for commits that touch a watched area.
 */
async function commitBuiltOn(
  context: HookContext,
  pendingHead: Promise<CommitSummary | null>,
  amend: boolean,
): Promise<CommitSummary | null> {
  if (!context.config.tasks.snapshot) return null;
  if (!amend) return pendingHead;
  return readCommitSummary(context.topLevel, 'hook', 'HEAD^').catch(() => null);
}

/** null unless the `git commit` running this hook is `git commit --amend`. */
async function readAmend(context: HookContext): Promise<AmendFacts | null> {
  const { isAmendCommit } = await import('./commit-invocation.js');
  if (!isAmendCommit()) return null;
  return (await import('./amend.js')).readAmendFacts(context);
}
