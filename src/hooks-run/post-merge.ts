import { readFile } from 'node:fs/promises';
import { readBlobIds, readBlobText, readCommitParents } from '../git/commit-graph.js';
import { readGitConfig } from '../git/config.js';
import { MERGE_DRIVER } from '../hooks-install/merge-driver-setup.js';
import { checkMergedState, type MergedStateFacts } from './merged-state-check.js';
import { resolveHookContext, skippedWithoutState, type HookContext, type HookRunOptions } from './hook-context.js';
import type { HookOutcome } from './outcome.js';

/**
 * post-merge: after `git merge` or `git pull` (merge mode, fast-forward or not) has updated the
 * working tree. It checks and writes nothing: a post-merge hook cannot put a change into the commit
 * (the merge commit already exists, a fast-forward makes none), so any write would leave the tree
 * modified and the next `git pull` refused. The revision needs no write either: a merge of two
 * changed states went through the merge driver, which already wrote a revision above both sides;
 * a fast-forward or a merge where one side did not touch the state takes a committed version as is.
 *
 *   1. context  find .parac/ and the hooks config
 *   2. facts    the merged state (working tree), and for a merge commit the state in it and in its
 *               parents, and whether the merge driver is set up in this clone
 *   3. check    markers, validity, a revision not above a parent's (a merge made without the
 *               driver): each a warning naming the one command that repairs it
 */

export interface PostMergeOptions extends HookRunOptions {
  /** git passes "1" for `merge --squash`: nothing was committed and there is no second parent. */
  squash?: boolean;
}

export async function runPostMerge(options: PostMergeOptions): Promise<HookOutcome> {
  const context = await resolveHookContext(options);
  if (context === null) return skippedWithoutState(options, 'the merged state is not checked here');
  if (!context.config.postMerge) return { kind: 'skipped', reason: 'post_merge is off in hooks.yaml', warnings: [] };
  const facts = await gatherMergedStateFacts(context, options.squash ?? false);
  return { kind: 'unchanged', warnings: await checkMergedState(facts) };
}

async function gatherMergedStateFacts(context: HookContext, squash: boolean): Promise<MergedStateFacts> {
  const cwd = context.topLevel;
  const path = context.stateFile.repoPath;
  const [workingText, head, driver] = await Promise.all([
    readFile(context.stateFile.file, 'utf8').catch(() => null),
    squash ? Promise.resolve(null) : readCommitParents(cwd, 'hook', 'HEAD'),
    readGitConfig(cwd, 'hook', `merge.${MERGE_DRIVER}.driver`),
  ]);
  const facts: MergedStateFacts = {
    file: path ?? context.stateFile.file,
    workingText,
    squash,
    mergeCommit: null,
    driverConfigured: driver !== null,
  };
  // Only a merge commit has sides to compare the result with (a fast-forward took a committed version).
  if (path === null || head === null || head.parents.length < 2) return facts;
  const ids = await readBlobIds(cwd, 'hook', [head.commit, ...head.parents], path);
  const texts = new Map<string, string>();
  for (const oid of new Set(ids.values())) if (oid !== null) texts.set(oid, await readBlobText(cwd, 'hook', oid));
  const textAt = (commit: string) => {
    const oid = ids.get(commit) ?? null;
    return oid === null ? null : (texts.get(oid) ?? null);
  };
  facts.mergeCommit = {
    commit: head.commit,
    text: textAt(head.commit),
    parents: head.parents.map((commit) => ({ commit, text: textAt(commit) })),
  };
  return facts;
}
