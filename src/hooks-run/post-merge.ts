import { StateLockError, StateParseError } from '../errors.js';
import { formatCommitSummary, readCommitSummary } from '../git/head-commit.js';
import { readFileAtRevision } from '../git/revision-files.js';
import { hasUnstagedChanges, readWorkingTreeStatus } from '../git/status.js';
import { committedRevision, mergeRevision, type MergeRevisions } from '../tasks/merge-revision.js';
import { snapshotEdits } from '../tasks/snapshot.js';
import { applyStateEdits, changedTopLevelKeys } from '../tasks/state-edits.js';
import { resolveHookContext, type HookContext, type HookRunOptions } from './hook-context.js';
import { lockTimeoutForHook, type HookOutcome } from './outcome.js';
import type { UpdateOptions } from '../state/store.js';
import { localDate, stateFileName } from './pre-commit.js';

/**
 * post-merge: after `git merge` / `git pull` (merge mode) has updated the working tree.
 *
 *   1. context    find .parac/ and the hooks config
 *   2. facts      status, the new HEAD, and the state's revision before the merge (ORIG_HEAD)
 *                 and on the merged-in side (HEAD^2, or HEAD after a fast-forward)
 *   3. validate   the merged state file must parse; if not, warn (post-merge cannot abort a merge)
 *   4. apply      one lock hold: revision = max(pre-merge, merged-in) + 1, `repository` refreshed,
 *                 one `merge` audit entry
 *
 * The update is left in the working tree, not committed or staged (the merge commit already exists);
 * it goes into the next commit the user stages it for.
 *
 * git runs no post-merge after `git pull --rebase` (a rebase, not a merge) or after a merge that
 * stopped on conflicts (the commit that concludes it runs pre-commit instead). After either, run
 * `paracle hook post-merge` by hand to apply the revision rule.
 */

export interface PostMergeOptions extends HookRunOptions {
  /** git passes "1" for `merge --squash`: nothing was committed and there is no second parent. */
  squash?: boolean;
}

export async function runPostMerge(options: PostMergeOptions): Promise<HookOutcome> {
  const context = await resolveHookContext(options);
  if (context === null) return { kind: 'skipped', reason: 'no .parac/ state file here', warnings: [] };
  if (!context.config.postMerge) return { kind: 'skipped', reason: 'post_merge is off in hooks.yaml', warnings: [] };

  const facts = await gatherMergeFacts(context, options.squash ?? false);
  try {
    return context.dryRun ? await previewPostMerge(context, facts) : await applyPostMerge(context, facts);
  } catch (error) {
    if (error instanceof StateParseError) {
      return {
        kind: 'skipped',
        reason: 'invalid merged state',
        warnings: [`the merged ${stateFileName(context)} is not valid (${error.message}); fix it, then run \`paracle hook post-merge\``],
      };
    }
    if (error instanceof StateLockError) {
      throw lockTimeoutForHook(error, context.stateFile.repoPath ?? context.stateFile.file, 'run `paracle hook post-merge` later');
    }
    throw error;
  }
}

interface MergeFacts {
  squash: boolean;
  branch: string | null;
  lastCommit: string | null;
  hasUncommittedChanges: boolean;
  /** Revisions of the state in the commits involved (null: absent or unreadable there). */
  preMerge: number | null;
  mergedIn: number | null;
  head: number | null;
}

async function gatherMergeFacts(context: HookContext, squash: boolean): Promise<MergeFacts> {
  const cwd = context.topLevel;
  const path = context.stateFile.repoPath;
  const revisionAt = async (rev: string): Promise<number | null> => {
    if (path === null) return null;
    const text = await readFileAtRevision(cwd, 'hook', rev, path);
    return text === null ? null : committedRevision(text);
  };
  const [status, head, preMerge, head2, headRevision] = await Promise.all([
    readWorkingTreeStatus(cwd, 'hook'),
    readCommitSummary(cwd, 'hook', 'HEAD').catch(() => null),
    revisionAt('ORIG_HEAD'),
    squash ? Promise.resolve(null) : revisionAt('HEAD^2'),
    revisionAt('HEAD'),
  ]);
  return {
    squash,
    branch: status.branch,
    lastCommit: head ? formatCommitSummary(head) : null,
    // The file this hook is about to rewrite is itself an uncommitted change when git tracks it.
    hasUncommittedChanges: hasUnstagedChanges(status) || headRevision !== null,
    preMerge,
    // A real merge has the merged-in side as HEAD^2; after a fast-forward it is HEAD itself.
    mergedIn: head2 ?? (squash ? null : headRevision),
    head: headRevision,
  };
}

/** Pure: the merged state's new data (`repository` refreshed) and the revision the rule asks for. */
function planMergeUpdate(
  context: HookContext,
  facts: MergeFacts,
  data: Record<string, unknown>,
  workingTreeRevision: number,
): { data: Record<string, unknown>; revisions: MergeRevisions; required: number; warnings: string[] } {
  const revisions = { preMerge: facts.preMerge, mergedIn: facts.mergedIn, workingTree: workingTreeRevision };
  const warnings: string[] = [];
  let next = data;
  if (context.config.tasks.snapshot) {
    const edits = snapshotEdits(localDate(), {
      branch: facts.branch,
      lastCommit: facts.lastCommit,
      hasUncommittedChanges: facts.hasUncommittedChanges,
    }).filter((e) => e.path[0] === 'repository');
    const result = applyStateEdits(data, edits);
    next = result.data;
    for (const edit of result.skipped) warnings.push(`left ${edit.path.join('.')} unchanged: ${edit.path[0]} is not a mapping`);
  }
  return { data: next, revisions, required: mergeRevision(revisions), warnings };
}

async function previewPostMerge(context: HookContext, facts: MergeFacts): Promise<HookOutcome> {
  const [{ loadState }, { rewriteYaml }, { withRevision }, { unifiedDiff }] = await Promise.all([
    import('../state/store.js'),
    import('../state/yaml-rewrite.js'),
    import('../tasks/state-edits.js'),
    import('./unified-diff.js'),
  ]);
  const state = await loadState(context.paracRoot, { timeout: context.timeout });
  if (state === null) return { kind: 'unchanged', warnings: [] };
  const plan = planMergeUpdate(context, facts, state.data, state.revision);
  const next = rewriteYaml(state.source, state.original, withRevision(plan.data, plan.required));
  const label = context.stateFile.repoPath ?? context.stateFile.file;
  const diff = unifiedDiff(state.source, next, { from: `a/${label}`, to: `b/${label}` });
  return { kind: 'preview', diff, detail: facts.squash ? 'merge --squash' : 'merge', warnings: plan.warnings };
}

async function applyPostMerge(context: HookContext, facts: MergeFacts): Promise<HookOutcome> {
  const { updateState } = await import('../state/store.js');
  const warnings: string[] = [];
  let revisions: MergeRevisions | null = null;
  // The rule's revision, computed before the lock from the committed sides (the working-tree
  // revision is only known inside it; the store adds 1 to that in any case).
  const required = mergeRevision({ preMerge: facts.preMerge, mergedIn: facts.mergedIn, workingTree: 0 });
  // The store writes max(the merged file's revision + 1, required): above both sides that met.
  const options: UpdateOptions = {
    timeout: context.timeout,
    minRevision: required,
    audit: {
      changeType: 'merge',
      description: facts.squash ? 'post-merge (squash): merged state revalidated' : 'post-merge: merged state revalidated',
      hook: 'post-merge',
      squash: facts.squash,
      pre_merge_revision: facts.preMerge,
      merged_in_revision: facts.mergedIn,
    },
  };
  const state = await updateState(
    context.paracRoot,
    (s) => {
      const plan = planMergeUpdate(context, facts, s.data, s.revision);
      revisions = plan.revisions;
      warnings.push(...plan.warnings);
      for (const key of changedTopLevelKeys(s.data, plan.data)) s.setIn([key], plan.data[key]);
      // The merge itself is a new revision even when nothing else changed; the store numbers it.
      s.setIn(['revision'], plan.required);
    },
    options,
  );
  const from = (revisions as MergeRevisions | null)?.workingTree ?? state.revision;
  return {
    kind: 'updated',
    fileName: stateFileName(context),
    revision: { from, to: state.revision },
    detail: facts.squash ? 'merge --squash' : 'merge',
    changelogUpdated: false,
    warnings,
  };
}
