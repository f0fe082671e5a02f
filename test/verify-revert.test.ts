import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { revertReference, walkRevisionHistory, type BranchCommit } from '../src/verify/revision-history.js';
import { tempDir } from './support/fixtures.js';
import { LOG_REL, STATE_REL, makeTestRepo, sharedScene, testRepo, type RunResult, type TestRepo } from './support/git-repo.js';

/** Many real git commands with hooks per test: generous on a shared, loaded machine. */
const GIT_TIMEOUT = { timeout: 240_000 };

/**
 * `paracle verify --base` tells a `git revert` of a commit that changed the state (git restores the
 * older file, revision included, and runs no hook) from a genuine rewind (an older copy taken in a
 * merge, a revision edited down), in real repositories with the hooks on.
 */

const NO_HOOKS = { PARACLE: '0' };
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

async function committedRepo(): Promise<TestRepo> {
  const repo = await makeTestRepo({ committed: true });
  made.push(repo.dir);
  return repo;
}

function revisionOf(text: string | null): number {
  if (text === null) throw new Error('missing state');
  return parseStateText(text, 'state').revision;
}

async function commitFile(repo: TestRepo, file: string, env: Record<string, string> = {}): Promise<void> {
  repo.write(file, `${file}\n`);
  await repo.git(['add', '--', file]);
  const result = await repo.user(['commit', '-q', '-m', `add ${file}`], { env });
  expect(result.exitCode, result.stderr).toBe(0);
}

async function verify(
  repo: TestRepo,
  base: string,
): Promise<RunResult & { problems: Array<{ file: string; line?: number; message: string }> }> {
  const text = await repo.paracle(['verify', '--base', base]);
  const json = await repo.paracle(['verify', '--base', base, '--json']);
  expect(json.exitCode).toBe(text.exitCode);
  return { ...text, problems: JSON.parse(json.stdout).problems };
}

/** main: the first commit, then two commits through the hooks (revisions 13 and 14). */
const sceneWithTwoSaves = sharedScene(async () => {
  const repo = await committedRepo();
  await commitFile(repo, 'packages/a.py');
  await commitFile(repo, 'docs/b.md');
  return repo;
});

async function repoWithTwoSaves(): Promise<{ repo: TestRepo; base: string }> {
  const repo = await sceneWithTwoSaves();
  return { repo, base: await repo.head() };
}

describe('a git revert of a commit that changed the state', GIT_TIMEOUT, () => {
  it('passes verify --base, but not once the working tree’s state goes below HEAD’s; also after a later commit from a clone that never wrote those revisions', async () => {
    const { repo, base } = await repoWithTwoSaves();
    const top = revisionOf(await repo.show(`HEAD:${STATE_REL}`));
    const revert = await repo.user(['revert', '--no-edit', 'HEAD']);
    expect(revert.exitCode, revert.stderr).toBe(0);
    const reverted = (await repo.head()).slice(0, 7);
    expect(revisionOf(await repo.show(`HEAD:${STATE_REL}`))).toBe(top - 1);

    const ok = await verify(repo, base);
    const logLines = repo.read(LOG_REL).split('\n').filter(Boolean).length;
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(
      `paracle: verify ok: ${STATE_REL} valid (revision ${top - 1}); changed since ${base} (revision ${top} there; below it by reverting ${reverted}); audit log ${logLines} lines valid (a local record, not tracked)\n`,
    );

    // Uncommitted, the working tree's state one below HEAD's: no revert explains that.
    const committed = repo.read(STATE_REL);
    expect(committed).toMatch(new RegExp(`^revision: ${top - 1}$`, 'm'));
    repo.write(STATE_REL, committed.replace(/^revision: \d+$/m, `revision: ${top - 2}`));
    const lowered = await verify(repo, base);
    expect(lowered.exitCode).toBe(1);
    expect(lowered.problems.map((p) => [p.file, p.message])).toEqual([
      [STATE_REL, expect.stringMatching(new RegExp(`^revision ${top - 2} is below ${top} at ${base}: `))],
    ]);
    repo.write(STATE_REL, committed);

    // Another clone (no audit log, so no high-water mark) commits on top: revision top again, other content.
    rmSync(join(repo.dir, LOG_REL));
    await commitFile(repo, 'packages/c.py');
    expect(revisionOf(await repo.show(`HEAD:${STATE_REL}`))).toBe(top);
    const after = await verify(repo, base);
    expect(after.exitCode, after.stderr).toBe(0);
  });

  it('behind a base that moved on, the revert is not enough: merge the base in (the driver lifts the revision)', async () => {
    const { repo } = await repoWithTwoSaves();
    await repo.git(['checkout', '-q', '-b', 'topic']);
    expect((await repo.user(['revert', '--no-edit', 'HEAD'])).exitCode).toBe(0);
    await repo.git(['checkout', '-q', 'main']);
    await commitFile(repo, 'packages/main-moved.py');
    const baseRevision = revisionOf(await repo.show(`main:${STATE_REL}`));
    await repo.git(['checkout', '-q', 'topic']);

    const behind = await verify(repo, 'main');
    expect(behind.exitCode).toBe(1);
    expect(behind.problems).toHaveLength(1);
    expect(behind.problems[0]!.message).toMatch(new RegExp(`is below ${baseRevision} at main: .*; merge main into this branch`));

    const merge = await repo.user(['merge', '--no-edit', 'main']);
    expect(merge.exitCode, merge.stderr).toBe(0);
    expect(revisionOf(await repo.show(`HEAD:${STATE_REL}`))).toBe(baseRevision + 1);
    expect((await verify(repo, 'main')).exitCode).toBe(0);
  });
});

describe('a genuine rewind is still rejected, naming the commit', GIT_TIMEOUT, () => {
  it('a merge that took the older copy (`merge -s ours`)', async () => {
    const repo = await committedRepo();
    await repo.git(['checkout', '-q', '-b', 'old']);
    await commitFile(repo, 'notes/old.txt');
    await repo.git(['checkout', '-q', 'main']);
    await commitFile(repo, 'packages/a.py');
    await commitFile(repo, 'docs/b.md');
    const mainRevision = revisionOf(await repo.show(`main:${STATE_REL}`));
    await repo.git(['checkout', '-q', 'old']);
    expect((await repo.user(['merge', '-s', 'ours', '--no-edit', 'main'], { env: NO_HOOKS })).exitCode).toBe(0);
    const merge = (await repo.head()).slice(0, 7);
    const oldRevision = revisionOf(await repo.show(`HEAD:${STATE_REL}`));

    const result = await verify(repo, 'main');
    expect(result.exitCode).toBe(1);
    expect(result.problems).toEqual([
      {
        file: STATE_REL,
        line: 3,
        message: expect.stringMatching(
          new RegExp(
            `^revision ${oldRevision} is below ${mainRevision} at main: the merge ${merge} has revision ${oldRevision}, not above ${mainRevision} in its parent [0-9a-f]{7}, .*; \`paracle remerge ${merge}\` redoes the state's merge key by key \\(then commit it\\), or set revision to ${mainRevision + 1} or more$`,
          ),
        ),
      },
    ]);
  });

  it('a revision edited down in a commit', async () => {
    const { repo, base } = await repoWithTwoSaves();
    const top = revisionOf(repo.read(STATE_REL));
    repo.write(STATE_REL, repo.read(STATE_REL).replace(/^revision: \d+$/m, 'revision: 10'));
    await repo.git(['add', STATE_REL]);
    expect((await repo.user(['commit', '-q', '-m', 'lower it'])).exitCode).toBe(0);
    const edited = (await repo.head()).slice(0, 7);
    const result = await verify(repo, base);
    expect(result.exitCode).toBe(1);
    expect(result.problems.map((p) => p.message)).toEqual([
      `revision 10 is below ${top} at ${base}: commit ${edited} takes revision from ${top} down to 10 (edited by hand, or an older copy checked out) and is not a \`git revert\`; set revision to ${top + 1} or more`,
    ]);
  });

  it('a commit that says it reverts but does not restore the state before the reverted commit', async () => {
    const { repo, base } = await repoWithTwoSaves();
    // An older copy than the reverted commit's parent, with git's revert message written by hand.
    await repo.git(['checkout', 'HEAD~2', '--', STATE_REL]);
    const result = await repo.user(['commit', '-q', '-m', `Revert "add docs/b.md"\n\nThis reverts commit ${base}.`], { env: NO_HOOKS });
    expect(result.exitCode, result.stderr).toBe(0);
    const rejected = await verify(repo, base);
    expect(rejected.exitCode).toBe(1);
    expect(rejected.problems[0]!.message).toContain('and is not a `git revert`');
  });
});

describe('a shallow CI checkout (`--depth 1`, the base fetched alone)', GIT_TIMEOUT, () => {
  /** What CI checks out: the branch's tip alone, then the base alone, from a bare copy of `repo`. */
  async function shallowClone(repo: TestRepo, branch: string, base: string): Promise<TestRepo> {
    const bare = join(tempDir('paracle-bare-'), 'origin.git');
    await repo.git(['clone', '-q', '--bare', repo.dir, bare]);
    const dir = join(tempDir('paracle-shallow-'), 'clone');
    await repo.git(['clone', '-q', '--depth', '1', '--branch', branch, `file://${bare}`, dir]);
    const clone = testRepo(dir);
    const fetched = await clone.user(['fetch', '-q', '--depth', '1', 'origin', base]);
    expect(fetched.exitCode, fetched.stderr).toBe(0);
    expect((await clone.git(['rev-parse', '--is-shallow-repository'])).stdout.trim()).toBe('true');
    return clone;
  }

  it('a revert whose history is missing is not called a rewind: verify says what to fetch, and passes once it is fetched', async () => {
    const { repo, base } = await repoWithTwoSaves();
    await repo.git(['checkout', '-q', '-b', 'topic']);
    expect((await repo.user(['revert', '--no-edit', 'HEAD'])).exitCode).toBe(0);
    await commitFile(repo, 'notes/after-revert.txt');
    const baseRevision = revisionOf(await repo.show(`${base}:${STATE_REL}`));
    const clone = await shallowClone(repo, 'topic', base);

    const shallow = await verify(clone, base);
    expect(shallow.exitCode).toBe(1);
    expect(shallow.problems).toHaveLength(1);
    const message = shallow.problems[0]!.message;
    expect(message).toMatch(
      new RegExp(
        `^revision ${baseRevision - 1} is below ${baseRevision} at ${base}, and this shallow clone lacks the commits between them`,
      ),
    );
    expect(message).toContain('git fetch --deepen');
    expect(message).toContain('fetch-depth: 0');
    expect(message).not.toMatch(/rewound|rewind \(/);
    const github = await clone.paracle(['verify', '--base', base, '--format', 'github']);
    expect(github.stdout).toMatch(
      /^::error file=\.parac\/memory\/context\/current_state\.yaml,line=\d+,col=1,title=paracle verify::revision .* shallow clone/,
    );

    // Deepened enough to reach the base, the revert is recognised.
    const deepened = await clone.user(['fetch', '-q', '--deepen', '3', 'origin', 'topic']);
    expect(deepened.exitCode, deepened.stderr).toBe(0);
    const full = await verify(clone, base);
    expect(full.exitCode, full.stderr).toBe(0);
    expect(full.stdout).toContain('below it by reverting');
  });

  it('a genuine rewind in a shallow clone is reported as undecided, and named once the history is there', async () => {
    const { repo, base } = await repoWithTwoSaves();
    await repo.git(['checkout', '-q', '-b', 'topic']);
    repo.write(STATE_REL, repo.read(STATE_REL).replace(/^revision: \d+$/m, 'revision: 3'));
    await repo.git(['add', STATE_REL]);
    expect((await repo.user(['commit', '-q', '-m', 'rewind'], { env: NO_HOOKS })).exitCode).toBe(0);
    await commitFile(repo, 'notes/after-rewind.txt', NO_HOOKS);
    const clone = await shallowClone(repo, 'topic', base);

    const shallow = await verify(clone, base);
    expect(shallow.exitCode).toBe(1);
    expect(shallow.problems[0]!.message).toMatch(/this shallow clone lacks the commits between them/);

    expect((await clone.user(['fetch', '-q', '--unshallow', 'origin'])).exitCode).toBe(0);
    const full = await verify(clone, base);
    expect(full.exitCode).toBe(1);
    expect(full.problems[0]!.message).toMatch(/takes revision from \d+ down to 3 .* is not a `git revert`/);
  });
});

describe('a project that tracks its audit log', GIT_TIMEOUT, () => {
  it('a revert takes the reverted commit’s log lines out with it: accepted; an edited line is still caught', async () => {
    const repo = await committedRepo();
    await repo.git(['add', '-f', '--', LOG_REL]);
    expect((await repo.user(['commit', '-q', '-m', 'track the log'], { env: NO_HOOKS })).exitCode).toBe(0);
    await commitFile(repo, 'packages/a.py');
    const base = await repo.head();
    expect((await repo.user(['revert', '--no-edit', 'HEAD'])).exitCode).toBe(0);
    expect((await repo.git(['status', '--porcelain'])).stdout).toBe('');
    const ok = await verify(repo, base);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/below it by reverting [0-9a-f]{7}\); audit log \d+ lines?, append-only \(0 new\)/);

    const lines = repo.read(LOG_REL).split('\n');
    lines[0] = lines[0]!.replace('"description":"', '"description":"edited ');
    writeFileSync(join(repo.dir, LOG_REL), lines.join('\n'));
    const edited = await verify(repo, base);
    expect(edited.exitCode).toBe(1);
    expect(edited.problems).toEqual([
      { file: LOG_REL, line: 1, message: expect.stringMatching(/^line 1 of the audit log at .* was edited/) },
    ]);
  });

  it('an amended commit verifies against its parent: one revision above it, the log holding both of its entries', async () => {
    const repo = await committedRepo();
    await repo.git(['add', '-f', '--', LOG_REL]);
    expect((await repo.user(['commit', '-q', '-m', 'track the log'], { env: NO_HOOKS })).exitCode).toBe(0);
    const base = await repo.head();
    await commitFile(repo, 'packages/a.py');
    repo.write('docs/b.md', 'b\n');
    await repo.git(['add', 'docs/b.md']);
    const amend = await repo.user(['commit', '-q', '--amend', '--no-edit']);
    expect(amend.exitCode, amend.stderr).toBe(0);
    expect((await repo.git(['status', '--porcelain'])).stdout).toBe('');
    expect(revisionOf(await repo.show(`HEAD:${STATE_REL}`))).toBe(revisionOf(await repo.show(`${base}:${STATE_REL}`)) + 1);
    const ok = await verify(repo, base);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/audit log \d+ lines, append-only \(2 new\)/);
  });
});

describe('the walk over the branch, pure', () => {
  const blobs = new Map<string, string | null>();
  const revisions = new Map<string, number | null>([
    ['s5', 5],
    ['s6', 6],
    ['s7', 7],
  ]);
  const commit = (id: string, parents: string[], message = id): BranchCommit => ({ commit: id, parents, message });

  it('a revert is recognised by git’s message and by the exact state it restores', () => {
    expect(revertReference('Revert "x"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.\n')).toEqual({
      reverted: '0123456789abcdef0123456789abcdef01234567',
      restored: '0123456789abcdef0123456789abcdef01234567^',
    });
    expect(revertReference('This reverts commit aaaaaaa, reversing\nchanges made to bbbbbbb.')).toEqual({
      reverted: 'aaaaaaa',
      restored: 'bbbbbbb',
    });
    expect(revertReference('Reverted by hand')).toBeNull();

    // Commits named as git names them (hex); the reverted commit c, its parent, a revert r, a hand copy x, a merge m.
    const [c, r, x, m, p2] = ['c0c0c0c', 'a1a1a1a', 'b2b2b2b', 'd3d3d3d', 'e4e4e4e'];
    blobs.clear();
    for (const [rev, blob] of [
      [c, 's7'],
      [`${c}^`, 's6'],
      [r, 's6'],
      [x, 's5'],
      [m, 's6'],
      [p2, 's7'],
    ] as const)
      blobs.set(rev, blob);
    expect(walkRevisionHistory({ commits: [commit(r, [c], `This reverts commit ${c}.`)], blobs, revisions })).toEqual({
      problems: [],
      reverts: [r],
    });
    const byHand = walkRevisionHistory({ commits: [commit(x, [c], `This reverts commit ${c}.`)], blobs, revisions });
    expect(byHand.reverts).toEqual([]);
    expect(byHand.problems).toMatchObject([{ commit: x, kind: 'lowered' }]);
    const noMessage = walkRevisionHistory({ commits: [commit(r, [c], 'put the old state back')], blobs, revisions });
    expect(noMessage.problems).toMatchObject([{ commit: r, kind: 'lowered' }]);
    const olderCopy = walkRevisionHistory({ commits: [commit(m, [`${c}^`, p2])], blobs, revisions });
    expect(olderCopy.problems).toMatchObject([{ commit: m, kind: 'merge' }]);
  });
});
