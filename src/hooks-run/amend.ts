import { readCommitParents } from '../git/commit-graph.js';
import { readPathsStagedSince } from '../git/index-files.js';
import { readFileAtRevision } from '../git/revision-files.js';
import { committedRevision } from '../tasks/merge-revision.js';
import type { HookContext } from './hook-context.js';

/**
 * `git commit --amend` replaces HEAD with a new commit on HEAD's parents. For pre-commit that means:
 * the commit's changes are everything staged against those parents (not only what was added since
 * HEAD), and the revision HEAD raised the state to is free again: the commit that took it is going
 * away, so the new one takes it once more and stays one revision above its parent.
 */

export interface AmendFacts {
  /** The paths the amended commit changes against its first parent (all of them for a root commit), as git names them. */
  paths: string[];
  /** The revision HEAD raised the state to, which the new commit may take again; null when HEAD did not raise it. */
  replacesRevision: number | null;
  /** The state's revision in HEAD's first parent (null: no parent, or no state there): where the summary counts from. */
  parentRevision: number | null;
}

export async function readAmendFacts(context: Pick<HookContext, 'topLevel' | 'stateFile'>): Promise<AmendFacts> {
  const top = context.topLevel;
  const head = await readCommitParents(top, 'hook', 'HEAD');
  const parents = head?.parents ?? [];
  const statePath = context.stateFile.repoPath;
  const [paths, headState, ...parentStates] = await Promise.all([
    readPathsStagedSince({ cwd: top, env: 'hook' }, parents[0] ?? null),
    statePath === null ? null : readFileAtRevision(top, 'hook', 'HEAD', statePath),
    ...parents.map((parent) => (statePath === null ? null : readFileAtRevision(top, 'hook', parent, statePath))),
  ]);
  return {
    paths,
    replacesRevision: revisionRaisedBy(headState, parentStates),
    parentRevision: parentStates[0] == null ? null : committedRevision(parentStates[0]),
  };
}

/** Pure: the revision a commit's state holds when it differs from, and is above, every parent's; else null. */
export function revisionRaisedBy(own: string | null, parents: ReadonlyArray<string | null>): number | null {
  if (own === null) return null;
  const revision = committedRevision(own);
  if (revision === null) return null;
  for (const parent of parents) {
    if (parent === null) continue;
    const theirs = committedRevision(parent);
    if (parent === own || theirs === null || theirs >= revision) return null;
  }
  return revision;
}
