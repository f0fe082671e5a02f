import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStateText } from '../src/state/document.js';
import { LOG_REL, STATE_REL, makeTestRepo, type TestRepo } from './support/git-repo.js';

/** End to end: real `git merge` / `git pull`, the installed post-merge hook, the real fixture state. */

function revisionOf(text: string | null): number {
  if (text === null) throw new Error('missing state');
  return parseStateText(text, 'state').revision;
}

function lastEntry(repo: TestRepo): Record<string, any> | undefined {
  const file = join(repo.dir, LOG_REL);
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return lines.length ? JSON.parse(lines[lines.length - 1]!) : undefined;
}

async function commitFile(repo: TestRepo, file: string, content: string, extra: string[] = []): Promise<void> {
  repo.write(file, content);
  await repo.git(['add', '--', file]);
  const result = await repo.user(['commit', '-q', '-m', `add ${file}`, ...extra]);
  expect(result.exitCode, result.stderr).toBe(0);
}

/** main at the first commit; `side` branched from it with two commits in watched areas (two revisions). */
async function repoWithSide(): Promise<TestRepo> {
  const repo = await makeTestRepo({ committed: true });
  await repo.git(['checkout', '-q', '-b', 'side']);
  await commitFile(repo, 'packages/side.py', 'side\n');
  await commitFile(repo, 'docs/side.md', 'side\n');
  await repo.git(['checkout', '-q', 'main']);
  return repo;
}

describe('post-merge, end to end', () => {
  it('merge commit: revision = max(pre-merge, merged-in) + 1, repository refreshed, one merge entry, left unstaged', async () => {
    const repo = await repoWithSide();
    await commitFile(repo, 'notes.txt', 'main only, no watched area\n');
    const pre = revisionOf(await repo.show(`HEAD:${STATE_REL}`));
    const mergedIn = revisionOf(await repo.show(`side:${STATE_REL}`));
    expect(mergedIn).toBeGreaterThan(pre);

    const result = await repo.user(['merge', '--no-ff', '--no-edit', 'side']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`paracle: current_state.yaml rev ${mergedIn} → ${mergedIn + 1} (merge)`);

    const working = parseStateText(repo.read(STATE_REL), 'state');
    expect(working.revision).toBe(Math.max(pre, mergedIn) + 1);
    const head = (await repo.git(['log', '-1', '--format=%h %s'])).stdout.trim();
    expect(head).toContain("Merge branch 'side'");
    expect(working.data.repository).toMatchObject({ branch: 'main', last_commit: head, has_uncommitted_changes: true });
    expect(lastEntry(repo)).toMatchObject({
      change_type: 'merge',
      revision: mergedIn + 1,
      pre_merge_revision: pre,
      merged_in_revision: mergedIn,
      squash: false,
    });
    // The merge commit is not touched; the update waits in the working tree for the next commit.
    expect(revisionOf(await repo.show(`HEAD:${STATE_REL}`))).toBe(mergedIn);
    expect((await repo.git(['status', '--porcelain', '--', STATE_REL])).stdout).toBe(` M ${STATE_REL}\n`);
  });

  it('fast-forward (what `git pull` does when behind): the merged-in side is the new HEAD', async () => {
    const repo = await repoWithSide();
    const pre = revisionOf(await repo.show(`HEAD:${STATE_REL}`));
    const mergedIn = revisionOf(await repo.show(`side:${STATE_REL}`));
    const result = await repo.user(['merge', '--ff-only', 'side']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(revisionOf(repo.read(STATE_REL))).toBe(Math.max(pre, mergedIn) + 1);
    expect(lastEntry(repo)).toMatchObject({ change_type: 'merge', pre_merge_revision: pre, merged_in_revision: mergedIn });
  });

  it('git pull from another clone runs the same hook', async () => {
    const upstream = await repoWithSide();
    const clone = await makeTestRepo({ committed: true });
    await clone.git(['remote', 'add', 'origin', upstream.dir]);
    const mergedIn = revisionOf(await upstream.show(`side:${STATE_REL}`));
    const pre = revisionOf(await clone.show(`HEAD:${STATE_REL}`));
    const result = await clone.user(['pull', '--no-rebase', '--no-edit', 'origin', 'side']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(revisionOf(clone.read(STATE_REL))).toBe(Math.max(pre, mergedIn) + 1);
    expect(lastEntry(clone)).toMatchObject({ change_type: 'merge' });
  });

  it('squash merge: git passes the squash flag; nothing is committed, the rule still applies', async () => {
    const repo = await repoWithSide();
    const pre = revisionOf(await repo.show(`HEAD:${STATE_REL}`));
    const squashed = revisionOf(await repo.show(`side:${STATE_REL}`));
    const result = await repo.user(['merge', '--squash', 'side']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('(merge --squash)');
    expect(revisionOf(repo.read(STATE_REL))).toBe(Math.max(pre, squashed) + 1);
    expect(lastEntry(repo)).toMatchObject({ change_type: 'merge', squash: true, pre_merge_revision: pre, merged_in_revision: null });
  });

  it('our side ahead: a merge that does not touch the state still makes a new revision above ours', async () => {
    const repo = await makeTestRepo({ committed: true });
    await repo.git(['checkout', '-q', '-b', 'side']);
    await commitFile(repo, 'notes/side.txt', 'no watched area\n');
    await repo.git(['checkout', '-q', 'main']);
    await commitFile(repo, 'packages/a.py', 'a\n');
    await commitFile(repo, 'packages/b.py', 'b\n');
    const ours = revisionOf(await repo.show(`HEAD:${STATE_REL}`));
    const theirs = revisionOf(await repo.show(`side:${STATE_REL}`));
    expect(ours).toBeGreaterThan(theirs);
    expect((await repo.user(['merge', '--no-ff', '--no-edit', 'side'])).exitCode).toBe(0);
    expect(revisionOf(repo.read(STATE_REL))).toBe(ours + 1);
    expect(lastEntry(repo)).toMatchObject({ pre_merge_revision: ours, merged_in_revision: theirs, revision: ours + 1 });
  });

  it('a merged file whose own revision is below a side’s (`merge -s ours`) still gets max(sides) + 1', async () => {
    const repo = await repoWithSide();
    await commitFile(repo, 'notes.txt', 'main only, no watched area\n');
    const pre = revisionOf(await repo.show(`HEAD:${STATE_REL}`));
    const mergedIn = revisionOf(await repo.show(`side:${STATE_REL}`));
    expect(mergedIn).toBeGreaterThan(pre);
    // `-s ours` keeps main's tree: the merged file carries main's lower revision.
    const result = await repo.user(['merge', '-s', 'ours', '--no-edit', 'side']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(revisionOf(await repo.show(`HEAD:${STATE_REL}`))).toBe(pre);
    expect(revisionOf(repo.read(STATE_REL))).toBe(mergedIn + 1);
    expect(result.stderr).not.toMatch(/below the/);
    expect(lastEntry(repo)).toMatchObject({
      change_type: 'merge',
      revision: mergedIn + 1,
      pre_merge_revision: pre,
      merged_in_revision: mergedIn,
    });
  });

  it('an invalid merged state file gets a clear warning; the merge stands and nothing is written', async () => {
    const repo = await makeTestRepo({ committed: true });
    await repo.git(['checkout', '-q', '-b', 'side']);
    const broken = repo.read(STATE_REL).replace('blockers: []', 'blockers: [unclosed');
    repo.write(STATE_REL, broken);
    await repo.git(['add', STATE_REL]);
    expect((await repo.user(['commit', '-q', '--no-verify', '-m', 'break the state'])).exitCode).toBe(0);
    await repo.git(['checkout', '-q', 'main']);
    await commitFile(repo, 'notes.txt', 'x\n');
    const entriesBefore = readFileSync(join(repo.dir, LOG_REL), 'utf8');

    const result = await repo.user(['merge', '--no-ff', '--no-edit', 'side']);
    expect(result.exitCode).toBe(0);
    const warnings = result.stderr.split('\n').filter((l) => l.startsWith('paracle:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^paracle: warning: the merged current_state.yaml is not valid \(.*current_state.yaml:\d+:\d+: .*\); fix it, then run `paracle hook post-merge`$/,
    );
    expect(repo.read(STATE_REL)).toBe(broken);
    expect(readFileSync(join(repo.dir, LOG_REL), 'utf8')).toBe(entriesBefore);
    expect((await repo.git(['log', '-1', '--format=%s'])).stdout).toContain("Merge branch 'side'");
  });

  it('after a conflicted merge (git runs no post-merge), `paracle hook post-merge` by hand applies the rule', async () => {
    const repo = await makeTestRepo({ committed: true });
    await repo.git(['checkout', '-q', '-b', 'side']);
    await commitFile(repo, 'packages/shared.py', 'side version\n');
    await repo.git(['checkout', '-q', 'main']);
    await commitFile(repo, 'packages/shared.py', 'main version\n');
    const pre = revisionOf(await repo.show(`HEAD:${STATE_REL}`));
    const mergedIn = revisionOf(await repo.show(`side:${STATE_REL}`));
    const entriesBefore = readFileSync(join(repo.dir, LOG_REL), 'utf8');
    const merge = await repo.user(['merge', '--no-ff', '--no-edit', 'side']);
    expect(merge.exitCode).not.toBe(0);
    // git stopped on the conflict and ran no post-merge: no summary line, no merge entry.
    expect(merge.stderr + merge.stdout).toContain('CONFLICT');
    expect(merge.stderr).not.toContain('(merge)');
    expect(readFileSync(join(repo.dir, LOG_REL), 'utf8')).toBe(entriesBefore);
    // Resolve, conclude the merge without the hooks, then run post-merge by hand.
    repo.write('packages/shared.py', 'resolved\n');
    await repo.git(['add', '-A', 'packages', STATE_REL]);
    expect((await repo.user(['commit', '-q', '--no-verify', '--no-edit'])).exitCode).toBe(0);
    const byHand = await repo.paracle(['hook', 'post-merge']);
    expect(byHand.exitCode, byHand.stderr).toBe(0);
    expect(revisionOf(repo.read(STATE_REL))).toBe(Math.max(pre, mergedIn, revisionOf(await repo.show(`HEAD:${STATE_REL}`))) + 1);
    expect(lastEntry(repo)).toMatchObject({ change_type: 'merge', pre_merge_revision: pre, merged_in_revision: mergedIn });
  });
});
