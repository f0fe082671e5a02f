import type { StateEdit } from '../state/state-edits.js';

/**
 * Task "snapshot": when the state was last brought up to date, and where the repository stood.
 * `lastCommit` is the commit the new one builds on (the new commit's hash cannot be known before
 * its tree, which contains this file, is written): HEAD, or for `git commit --amend` HEAD's parent.
 */

export interface RepositoryFacts {
  /** Branch name, or null when HEAD is detached. */
  branch: string | null;
  /** `<short hash> <subject>`, or null before the first commit. */
  lastCommit: string | null;
  hasUncommittedChanges: boolean;
}

/** What `repository.branch` says when HEAD is detached, as `git status` puts it. */
export const DETACHED_BRANCH = '(detached)';

export function snapshotEdits(today: string, repository: RepositoryFacts): StateEdit[] {
  return [
    { path: ['snapshot_date'], value: today },
    { path: ['repository', 'branch'], value: repository.branch ?? DETACHED_BRANCH },
    { path: ['repository', 'last_commit'], value: repository.lastCommit },
    { path: ['repository', 'has_uncommitted_changes'], value: repository.hasUncommittedChanges },
  ];
}
