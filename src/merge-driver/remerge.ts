import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { ParacleError } from '../errors.js';
import { readCommitParents, readMergeBases } from '../git/commit-graph.js';
import { readGitConfig } from '../git/config.js';
import { readFileAtRevision } from '../git/revision-files.js';
import { findWorktreeTop } from '../git/worktree-files.js';
import { appendStateChanges } from '../log/audit-log.js';
import { readRevisionHighWater } from '../log/revision-high-water.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { parseStateText, rewriteYaml } from '../document/document.js';
import { withStateLock } from '../lock/lock.js';
import { stateFilePath } from '../state/paths.js';
import { withRevision } from '../state/revision.js';
import { timeoutMs } from '../store/store.js';
import { committedRevision } from '../tasks/merge-revision.js';
import { mergeStateTexts } from './merge-state-texts.js';

/**
 * `paracle remerge [<merge commit>]`: redo the state file's merge in a merge commit (default HEAD)
 * with the merge driver's rules, from the three committed versions (the merge base, the first
 * parent, the second) — the repair for a merge git made line by line because the driver was not
 * set up (markers, an invalid file, a revision not above both sides). The result goes into the
 * working tree, above the merge's own revision and this clone's high-water mark, with a `merge`
 * audit entry; the user commits it (`git commit --amend` folds it into the merge). The working
 * copy must equal HEAD's: nothing uncommitted is written over.
 */

export interface RemergeOptions {
  /** The `.parac/` directory. */
  root: string;
  /** The merge commit; default HEAD. */
  commit?: string;
  timeout?: number;
}

export type RemergeOutcome = {
  /** The state file, repository-relative. */
  file: string;
  commit: string;
  revision: { current: number; other: number; merged: number };
  /** merge.paracle-state.driver is set: the next merge uses the driver. */
  driverConfigured: boolean;
} & ({ kind: 'merged' } | { kind: 'conflict'; keys: string[]; blocks: number });

export async function remergeState(options: RemergeOptions): Promise<RemergeOutcome> {
  const root = realpathSync(options.root);
  const top = await findWorktreeTop(root);
  if (top === null) throw new ParacleError('REMERGE_NO_REPOSITORY', `${root} is not inside a git repository`);
  const file = stateFilePath(root);
  const path = relative(top, file).split(sep).join('/');
  const rev = options.commit ?? 'HEAD';
  const merge = await readCommitParents(top, 'clean', rev);
  if (merge === null) throw new ParacleError('REMERGE_UNKNOWN_COMMIT', `${rev}: no such commit`);
  if (merge.parents.length !== 2) {
    throw new ParacleError(
      'REMERGE_NOT_A_MERGE',
      `${rev} (${merge.commit.slice(0, 7)}) is not a merge of two commits; name the merge to redo: paracle remerge <commit>`,
    );
  }
  const [ours, theirs] = merge.parents as [string, string];
  const at = (commit: string | null) => (commit === null ? Promise.resolve(null) : readFileAtRevision(top, 'clean', commit, path));
  const [baseText, oursText, theirsText, headText, workingText, driver] = await Promise.all([
    mergeBaseText(top, path, ours, theirs),
    at(ours),
    at(theirs),
    at('HEAD'),
    readFile(file, 'utf8').catch(() => null),
    readGitConfig(top, 'clean', 'merge.paracle-state.driver'),
  ]);
  if (oursText === null || theirsText === null) {
    throw new ParacleError('REMERGE_NOTHING', `${path} is not in both parents of ${merge.commit.slice(0, 7)}: there is no merge to redo`);
  }
  if (workingText !== headText) {
    throw new ParacleError(
      'REMERGE_UNCOMMITTED',
      `${path} has changes that are not committed; commit or stash them first (remerge writes the redone merge over the file)`,
    );
  }

  let result: Awaited<ReturnType<typeof mergeStateTexts>>;
  try {
    result = await mergeStateTexts({ base: baseText ?? '', current: oursText, other: theirsText, path });
  } catch (error) {
    throw new ParacleError(
      'REMERGE_FAILED',
      `${path}: cannot merge the two sides of ${merge.commit.slice(0, 7)} key by key (${(error as Error).message.split('\n')[0]}); resolve it by hand`,
      { cause: error },
    );
  }
  const highWater = await readRevisionHighWater(root);
  const headRevision = headText === null ? null : committedRevision(headText);
  let text = result.text;
  let revision = result.revision.merged;
  const floor = Math.max(headRevision ?? -1, highWater) + 1;
  if (result.conflicts.length === 0 && revision < floor) {
    // Above the merge commit's own revision too, so the repair itself is a step up from it.
    const parsed = parseStateText(text, path);
    text = rewriteYaml(text, parsed.data, withRevision(parsed.data, floor));
    revision = floor;
  }

  await withStateLock(file, { timeoutMs: timeoutMs(options.timeout) }, async (lock) => {
    const now = await readFile(file, 'utf8').catch(() => null);
    if (now !== workingText) {
      throw new ParacleError('REMERGE_UNCOMMITTED', `${path} changed while the merge was redone; run paracle remerge again`);
    }
    await writeFileAtomic(file, text, { beforeRename: () => lock.assertHeld() });
    if (result.conflicts.length > 0) return;
    await appendStateChanges(root, [
      {
        change_type: 'merge',
        description: `Redid the merge of ${path} in ${merge.commit.slice(0, 7)} with the merge driver`,
        revision,
        merge_commit: merge.commit,
        ours_revision: result.revision.current,
        theirs_revision: result.revision.other,
      },
    ]);
  });

  const common = { file: path, commit: merge.commit, driverConfigured: driver !== null };
  const revisions = { ...result.revision, merged: revision };
  if (result.conflicts.length === 0) return { ...common, kind: 'merged', revision: revisions };
  return {
    ...common,
    kind: 'conflict',
    keys: result.conflicts.flatMap((block) => block.keys),
    blocks: result.conflicts.length,
    revision: revisions,
  };
}

/**
 * The state in the merge base of two commits, as git's recursive strategy sees it: with two or
 * more merge bases (criss-cross history), the bases merged into one virtual base, each against its
 * merge base with the first, as the driver does when git asks it for that merge. Null when no base has the file.
 */
async function mergeBaseText(top: string, path: string, a: string, b: string, depth = 0): Promise<string | null> {
  const bases = await readMergeBases(top, 'clean', a, b);
  const at = (commit: string) => readFileAtRevision(top, 'clean', commit, path);
  if (bases.length === 0) return null;
  let text = await at(bases[0]!);
  // A bound on criss-crosses of criss-crosses: past a few levels, the first base stands for all.
  if (depth > 4) return text;
  for (const next of bases.slice(1)) {
    const [other, base] = await Promise.all([at(next), mergeBaseText(top, path, bases[0]!, next, depth + 1)]);
    if (text === null || other === null) {
      text ??= other;
      continue;
    }
    text = (await mergeStateTexts({ base: base ?? '', current: text, other, path, virtualBase: true })).text;
  }
  return text;
}

export function describeRemerge(outcome: RemergeOutcome): string[] {
  const short = outcome.commit.slice(0, 7);
  const lines =
    outcome.kind === 'merged'
      ? [
          `paracle: redid the merge of ${outcome.file} in ${short} with the merge driver (revision ${outcome.revision.current} and ${outcome.revision.other} → ${outcome.revision.merged}); ` +
            'commit it: `git commit --amend --no-edit` folds it into the merge, or make a new commit',
        ]
      : [
          `paracle: ${outcome.file}: both sides of ${short} changed ${outcome.keys.join(', ')} differently; everything else is merged. ` +
            'Keep one side between the conflict markers, then commit the file',
        ];
  if (!outcome.driverConfigured) {
    lines.push(
      'paracle: note: the merge driver is not set up in this clone; `npx paracle-hooks install` sets it up so the next merge uses it',
    );
  }
  return lines;
}
