import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { updateState } from '../src/store/store.js';
import { resolveConflicts } from './support/conflict-blocks.js';
import { LOG_REL, STATE_REL, makeTestRepo, type TestRepo } from './support/git-repo.js';

/**
 * Criss-cross history through a real `git merge` (git 2.39's ort strategy): two merge bases that
 * disagree on a key. git first merges the two bases into a virtual base, running the driver for
 * that too (with the bases as ours and theirs and a marker size 2 longer), then merges the two
 * sides against it with the driver.
 */

const GIT_TIMEOUT = { timeout: 240_000 };
const NO_HOOKS = { PARACLE: '0' };

type Data = Record<string, any>;

async function commitAll(repo: TestRepo, message: string): Promise<void> {
  await repo.git(['add', '-A']);
  const result = await repo.user(['commit', '-q', '-m', message], { env: NO_HOOKS });
  expect(result.exitCode, result.stderr).toBe(0);
}

/** `git merge` that conflicts on the state, resolved by keeping `side` in every block, committed. */
async function mergeResolving(repo: TestRepo, branch: string, side: 'ours' | 'theirs'): Promise<void> {
  const merge = await repo.user(['merge', '--no-edit', branch], { env: NO_HOOKS });
  expect(merge.exitCode, merge.stdout + merge.stderr).toBe(1);
  repo.write(STATE_REL, resolveConflicts(repo.read(STATE_REL), side));
  await commitAll(repo, `merge ${branch}`);
}

function state(text: string | null): Data {
  if (text === null) throw new Error('no state');
  return parseStateText(text, 'state').data as Data;
}

function logLines(repo: TestRepo): string[] {
  const file = join(repo.dir, LOG_REL);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/**
 * base → A1 (progress 40%) and B1 (progress 60%); A2 merges B1 into A1 and B2 merges A1 into B1,
 * both keeping `progress` as `a2`/`b2` say; then A3 adds a blocker, B3 a next action.
 * The merge bases of A3 and B3 are A1 and B1, which disagree on current_phase.progress.
 */
async function crissCross(resolution: { a2: 'ours' | 'theirs'; b2: 'ours' | 'theirs' }): Promise<TestRepo> {
  const repo = await makeTestRepo();
  await commitAll(repo, 'base');
  await repo.git(['checkout', '-q', '-b', 'a']);
  await updateState(repo.paracRoot, (s) => s.updateProgress(40));
  await commitAll(repo, 'A1: 40%');
  await repo.git(['checkout', '-q', '-b', 'b', 'main']);
  await updateState(repo.paracRoot, (s) => s.updateProgress(60));
  await commitAll(repo, 'B1: 60%');
  await repo.git(['checkout', '-q', 'a']);
  await mergeResolving(repo, 'b', resolution.a2);
  await repo.git(['checkout', '-q', 'b']);
  await mergeResolving(repo, 'a^1', resolution.b2);
  await updateState(repo.paracRoot, (s) => s.setIn(['next_actions'], [...(s.nextActions as string[]), 'from b']));
  await commitAll(repo, 'B3: a next action');
  await repo.git(['checkout', '-q', 'a']);
  await updateState(repo.paracRoot, (s) => void s.addBlocker('from a', 'low'));
  await commitAll(repo, 'A3: a blocker');
  const bases = (await repo.git(['merge-base', '--all', 'a', 'b'])).stdout.split('\n').filter(Boolean);
  expect(bases).toHaveLength(2);
  const [x, y] = await Promise.all(bases.map(async (base) => state(await repo.show(`${base}:${STATE_REL}`))));
  expect([x!.current_phase.progress, y!.current_phase.progress].sort()).toEqual(['40%', '60%']);
  return repo;
}

describe('two merge bases that disagree on a key', GIT_TIMEOUT, () => {
  it('the sides merge key by key against the bases merged into one; post-merge is quiet; one audit entry', async () => {
    // Both criss-cross merges kept 40%: the sides agree, so there is nothing to decide.
    const repo = await crissCross({ a2: 'ours', b2: 'theirs' });
    const [ours, theirs] = [state(await repo.show(`a:${STATE_REL}`)), state(await repo.show(`b:${STATE_REL}`))];
    expect([ours.current_phase.progress, theirs.current_phase.progress]).toEqual(['40%', '40%']);
    const log = logLines(repo);

    const merge = await repo.user(['merge', '--no-edit', 'b']);
    expect(merge.exitCode, merge.stdout + merge.stderr).toBe(0);
    const revision = Math.max(ours.revision, theirs.revision) + 1;
    // One line from the driver (the virtual base's merge says nothing); no warning from post-merge.
    expect(merge.stderr.split('\n').filter((line) => line.startsWith('paracle:'))).toEqual([
      `paracle: merged ${STATE_REL} (revision ${ours.revision} and ${theirs.revision} → ${revision})`,
    ]);
    const merged = state(await repo.show(`HEAD:${STATE_REL}`));
    expect(merged.current_phase.progress).toBe('40%');
    expect(merged.blockers.map((b: Data) => b.description)).toEqual(['from a']);
    expect(merged.next_actions.at(-1)).toBe('from b');
    expect(merged.revision).toBe(revision);
    expect((await repo.git(['status', '--porcelain', '--untracked-files=all'])).stdout).toBe('');
    // The audit log notes the revision the merge wrote, once; not the virtual base's.
    const added = logLines(repo).slice(log.length);
    expect(added.map((line) => JSON.parse(line))).toEqual([expect.objectContaining({ change_type: 'merge', revision })]);

    const postMerge = await repo.paracle(['hook', 'post-merge']);
    expect(postMerge.exitCode, postMerge.stderr).toBe(0);
    expect(postMerge.stderr).not.toContain('without paracle');
    expect(postMerge.stderr).not.toContain('warning');
  });

  it('sides that resolved the bases’ disagreement differently: a conflict on that key only, the rest merged', async () => {
    const repo = await crissCross({ a2: 'ours', b2: 'ours' });
    const [ours, theirs] = [state(await repo.show(`a:${STATE_REL}`)), state(await repo.show(`b:${STATE_REL}`))];
    expect([ours.current_phase.progress, theirs.current_phase.progress]).toEqual(['40%', '60%']);

    const merge = await repo.user(['merge', '--no-edit', 'b'], { env: NO_HOOKS });
    expect(merge.exitCode).toBe(1);
    expect(merge.stderr).toContain('both sides changed current_phase.progress differently; everything else is merged');
    const text = repo.read(STATE_REL);
    expect(text).toContain('<<<<<<< ours (current_phase.progress)\n  progress: 40%\n=======\n  progress: 60%\n>>>>>>> theirs');
    expect(text.match(/^<{7}/gm)).toHaveLength(1);
    // post-merge, run by hand on the conflicted merge, knows the driver wrote these markers.
    const postMerge = await repo.paracle(['hook', 'post-merge']);
    expect(postMerge.stderr).not.toContain('without paracle');
    expect(postMerge.stderr).toContain(
      `${STATE_REL}:${text.split('\n').indexOf('<<<<<<< ours (current_phase.progress)') + 1}: git conflict markers in the merged state: ` +
        'both branches changed current_phase.progress differently (the merge driver merged everything else)',
    );
    const resolved = state(resolveConflicts(text, 'theirs'));
    expect(resolved.current_phase.progress).toBe('60%');
    expect(resolved.blockers.map((b: Data) => b.description)).toEqual(['from a']);
    expect(resolved.next_actions.at(-1)).toBe('from b');
    expect(resolved.revision).toBe(Math.max(ours.revision, theirs.revision) + 1);
  });

  it('`paracle remerge` of such a merge made without the driver merges against the same virtual base: the conflict is found', async () => {
    const repo = await crissCross({ a2: 'ours', b2: 'ours' });
    await repo.git(['config', '--remove-section', 'merge.paracle-state']);
    const merge = await repo.user(['merge', '--no-edit', 'b'], { env: NO_HOOKS });
    expect(merge.exitCode).toBe(1);
    // Committed as someone would who kept their own side of the file.
    await repo.git(['checkout', '--ours', '--', STATE_REL]);
    await commitAll(repo, 'merge b');

    // Against either merge base alone, one side would look unchanged at progress and the other win silently.
    const remerge = await repo.paracle(['remerge']);
    expect(remerge.exitCode, remerge.stderr).toBe(4);
    expect(remerge.stderr).toContain('changed current_phase.progress differently');
    const text = repo.read(STATE_REL);
    expect(text.match(/^<{7}/gm)).toHaveLength(1);
    const resolved = state(resolveConflicts(text, 'ours'));
    expect(resolved.current_phase.progress).toBe('40%');
    expect(resolved.blockers.map((b: Data) => b.description)).toEqual(['from a']);
    expect(resolved.next_actions.at(-1)).toBe('from b');
  });
});
