import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { localDate } from '../src/state/model.js';
import { countWaiters, queueDirFor } from '../src/lock/lock-queue.js';
import { holdStateLock, startChild, stress } from './support/children.js';
import { tempDir } from './support/fixtures.js';
import { CHANGELOG_REL, LOG_REL, STATE_REL, makeTestRepo, type TestRepo } from './support/git-repo.js';

/** End to end: real `git commit`, the hooks `paracle install` wrote, the real fixture state. */

type Data = Record<string, any>;

function parse(text: string | null, label = 'state'): Data & { revision: number } {
  if (text === null) throw new Error(`${label}: missing`);
  const parsed = parseStateText(text, label);
  return { ...parsed.data, revision: parsed.revision };
}

async function committedState(repo: TestRepo, rev = 'HEAD') {
  return parse(await repo.show(`${rev}:${STATE_REL}`), `${rev}:${STATE_REL}`);
}

function auditEntries(repo: TestRepo): Array<Record<string, any>> {
  const file = join(repo.dir, LOG_REL);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

async function statusOf(repo: TestRepo, path: string): Promise<string> {
  const { stdout } = await repo.git(['status', '--porcelain=v1', '-z', '--', path]);
  return stdout;
}

/** A repository whose first commit (workspace + packages/core/app.py) went through the hooks. */
function committedRepo(): Promise<TestRepo> {
  return makeTestRepo({ committed: true });
}

describe('pre-commit, end to end', () => {
  it('initial commit (no HEAD): the state update is in the commit, one revision, one audit entry, one line', async () => {
    const repo = await makeTestRepo();
    repo.write('packages/core/app.py', 'print("one")\n');
    repo.write('docs/guide.md', '# Guide\n');
    await repo.git(['add', '-A']);
    const result = await repo.user(['commit', '-q', '-m', 'initial']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toBe('paracle: current_state.yaml rev 11 → 12 (packages: 1, docs: 1, roadmap: 1), changelog.md updated\n');

    const state = await committedState(repo);
    expect(state.revision).toBe(12);
    expect(state.snapshot_date).toBe(localDate());
    expect(state.recent_changes).toEqual([
      { area: 'packages', count: 1, files: ['packages/core/app.py'] },
      { area: 'docs', count: 1, files: ['docs/guide.md'] },
      { area: 'roadmap', count: 1, files: ['.parac/roadmap/roadmap.yaml'] },
    ]);
    expect(state.repository).toMatchObject({ branch: 'main', last_commit: null, has_uncommitted_changes: false });
    // Exactly what was written is what was committed, and nothing is left to stage.
    expect(await repo.show(`HEAD:${STATE_REL}`)).toBe(repo.read(STATE_REL));
    expect(await statusOf(repo, STATE_REL)).toBe('');
    expect(await statusOf(repo, CHANGELOG_REL)).toBe('');
    const entries = auditEntries(repo);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      change_type: 'auto_maintain',
      revision: 12,
      description: 'pre-commit: packages: 1, docs: 1, roadmap: 1',
    });
  });

  it('a commit that touches no watched area writes nothing, logs nothing and prints nothing', async () => {
    const repo = await committedRepo();
    const before = repo.read(STATE_REL);
    const logBefore = auditEntries(repo).length;
    repo.write('README.md', 'hello\n');
    await repo.git(['add', 'README.md']);
    const result = await repo.user(['commit', '-q', '-m', 'readme']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(repo.read(STATE_REL)).toBe(before);
    expect(auditEntries(repo)).toHaveLength(logBefore);
    expect((await repo.git(['show', '--name-only', '--format=', 'HEAD'])).stdout).toBe('README.md\n');
  });

  it('a second commit: last_commit names the commit it builds on; recent_changes is replaced', async () => {
    const repo = await committedRepo();
    const parent = (await repo.git(['log', '-1', '--format=%h %s'])).stdout.trim();
    repo.write('tests/test_app.py', 'def test(): pass\n');
    await repo.git(['add', '-A']);
    const result = await repo.user(['commit', '-q', '-m', 'tests']);
    expect(result.exitCode, result.stderr).toBe(0);
    const state = await committedState(repo);
    expect(state.repository.last_commit).toBe(parent);
    expect(state.recent_changes).toEqual([{ area: 'tests', count: 1, files: ['tests/test_app.py'] }]);
    expect(state.revision).toBe((await committedState(repo, 'HEAD~1')).revision + 1);
  });

  it('git commit -a (git commits index.lock): update in the commit, nothing left staged or modified', async () => {
    const repo = await committedRepo();
    repo.write('packages/core/app.py', 'print("two")\n');
    const result = await repo.user(['commit', '-q', '-a', '-m', 'all']);
    expect(result.exitCode, result.stderr).toBe(0);
    const state = await committedState(repo);
    expect(state.recent_changes).toEqual([{ area: 'packages', count: 1, files: ['packages/core/app.py'] }]);
    expect(await repo.show(`HEAD:${STATE_REL}`)).toBe(repo.read(STATE_REL));
    expect(await statusOf(repo, STATE_REL)).toBe('');
    expect(await statusOf(repo, 'packages')).toBe('');
  });

  it('git commit <paths> (temporary index): update in the commit, status clean afterwards, other staged work kept staged', async () => {
    const repo = await committedRepo();
    repo.write('packages/core/app.py', 'print("two")\n');
    repo.write('docs/later.md', 'not in this commit\n');
    await repo.git(['add', 'docs/later.md']);
    const result = await repo.user(['commit', '-q', '-m', 'only app', '--', 'packages/core/app.py']);
    expect(result.exitCode, result.stderr).toBe(0);

    const committed = (await repo.git(['show', '--name-only', '--format=', 'HEAD'])).stdout.split('\n').filter(Boolean).sort();
    // The changelog goes in too when the hook updated it (the first commit of a day opens a new block).
    const changelogUpdated = result.stderr.includes('changelog.md updated');
    expect(committed).toEqual([...(changelogUpdated ? [CHANGELOG_REL] : []), STATE_REL, 'packages/core/app.py']);
    expect((await committedState(repo)).recent_changes).toEqual([{ area: 'packages', count: 1, files: ['packages/core/app.py'] }]);
    // The real index got the same update: the state file is neither staged nor modified now.
    expect(await statusOf(repo, STATE_REL)).toBe('');
    expect(await repo.show(`:${STATE_REL}`)).toBe(repo.read(STATE_REL));
    expect(await statusOf(repo, 'docs/later.md')).toBe('A  docs/later.md\0');
  });

  it('--amend of the first commit: it keeps its revision, its recent_changes describe all it holds; history does not grow', async () => {
    const repo = await committedRepo();
    const count = async () => (await repo.git(['rev-list', '--count', 'HEAD'])).stdout.trim();
    const before = await count();
    const revision = (await committedState(repo)).revision;
    repo.write('examples/demo.py', 'demo\n');
    await repo.git(['add', 'examples/demo.py']);
    const result = await repo.user(['commit', '-q', '--amend', '--no-edit']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await count()).toBe(before);
    const state = await committedState(repo);
    expect(state.revision).toBe(revision);
    expect(state.recent_changes).toEqual([
      { area: 'packages', count: 1, files: ['packages/core/app.py'] },
      { area: 'examples', count: 1, files: ['examples/demo.py'] },
      { area: 'roadmap', count: 1, files: ['.parac/roadmap/roadmap.yaml'] },
    ]);
    expect(await statusOf(repo, STATE_REL)).toBe('');
  });

  it('--amend of a hooked commit: one revision above its parent, recent_changes of the whole commit, the trail replays', async () => {
    const repo = await committedRepo();
    repo.write('packages/a.py', 'a\n');
    await repo.git(['add', 'packages/a.py']);
    expect((await repo.user(['commit', '-q', '-m', 'a'])).exitCode).toBe(0);
    const parent = (await committedState(repo, 'HEAD^')).revision;
    expect((await committedState(repo)).revision).toBe(parent + 1);

    repo.write('docs/b.md', '# b\n');
    await repo.git(['add', 'docs/b.md']);
    const amend = await repo.user(['commit', '-q', '--amend', '--no-edit']);
    expect(amend.exitCode, amend.stderr).toBe(0);
    expect(amend.stderr).toMatch(new RegExp(`^paracle: current_state\\.yaml rev ${parent} → ${parent + 1} \\(packages: 1, docs: 1\\)`));
    const state = await committedState(repo);
    expect(state.revision).toBe(parent + 1);
    expect(state.recent_changes).toEqual([
      { area: 'packages', count: 1, files: ['packages/a.py'] },
      { area: 'docs', count: 1, files: ['docs/b.md'] },
    ]);
    expect((await repo.git(['status', '--porcelain'])).stdout).toBe('');

    // The audit trail: the amend's entry takes the replaced commit's number again, and says it amends.
    const last = auditEntries(repo).at(-1)!;
    expect(last).toMatchObject({
      revision: parent + 1,
      base: parent + 1,
      amend: true,
      description: 'pre-commit (git commit --amend): packages: 1, docs: 1',
    });
    const replay = await repo.paracle(['replay', '--check']);
    expect(replay.exitCode, replay.stderr + replay.stdout).toBe(0);
    const shown = await repo.paracle(['show', '--revision', String(parent + 1), '--json']);
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout).data.recent_changes).toEqual(state.recent_changes);
    // Undoing that revision undoes the amended commit's whole change: both of its entries.
    // (Only the replaced commit's entry changed repository.last_commit.)
    const undo = await repo.paracle(['revert', String(parent + 1), '--dry-run', '--json']);
    expect(undo.exitCode, undo.stderr).toBe(0);
    expect(JSON.parse(undo.stdout).keys).toEqual(expect.arrayContaining(['recent_changes', 'repository.last_commit']));

    // Amending again with nothing new watched changes nothing; the next commit is one above.
    expect((await repo.user(['commit', '-q', '--amend', '-m', 'a and b'])).exitCode).toBe(0);
    expect((await committedState(repo)).revision).toBe(parent + 1);
    repo.write('packages/c.py', 'c\n');
    await repo.git(['add', 'packages/c.py']);
    expect((await repo.user(['commit', '-q', '-m', 'c'])).exitCode).toBe(0);
    expect((await committedState(repo)).revision).toBe(parent + 2);
    expect((await repo.paracle(['replay', '--check'])).exitCode).toBe(0);
  });

  it('--amend after another save in this clone: the number that save took is not written again', async () => {
    const repo = await committedRepo();
    repo.write('packages/a.py', 'a\n');
    await repo.git(['add', 'packages/a.py']);
    expect((await repo.user(['commit', '-q', '-m', 'a'])).exitCode).toBe(0);
    const head = (await committedState(repo)).revision;
    const session = await repo.paracle(['session', 'end', '--progress', '30']);
    expect(session.exitCode, session.stderr).toBe(0);
    // The session's save is thrown away: the file is HEAD's again, but its number was used.
    await repo.git(['checkout', '--', STATE_REL]);
    const logged = auditEntries(repo).length;
    repo.write('docs/b.md', '# b\n');
    await repo.git(['add', 'docs/b.md']);
    expect((await repo.user(['commit', '-q', '--amend', '--no-edit'])).exitCode).toBe(0);
    expect(
      auditEntries(repo)
        .slice(logged - 1)
        .map((entry) => entry.revision),
    ).toEqual([head + 1, head + 2, head + 2]);
    expect((await committedState(repo)).revision).toBe(head + 2);
    expect(parse(repo.read(STATE_REL)).revision).toBe(head + 2);
    expect((await repo.git(['status', '--porcelain'])).stdout).toBe('');
    expect((await repo.paracle(['replay', '--check'])).exitCode).toBe(0);
  });

  it('--amend -a and --amend <paths> (git commits another index): the same, from the index being committed', async () => {
    const repo = await committedRepo();
    repo.write('packages/a.py', 'a\n');
    await repo.git(['add', 'packages/a.py']);
    expect((await repo.user(['commit', '-q', '-m', 'a'])).exitCode).toBe(0);
    const parent = (await committedState(repo, 'HEAD^')).revision;

    repo.write('packages/a.py', 'a, amended\n');
    const all = await repo.user(['commit', '-q', '-a', '--amend', '--no-edit']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect((await committedState(repo)).revision).toBe(parent + 1);
    expect((await committedState(repo)).recent_changes).toEqual([{ area: 'packages', count: 1, files: ['packages/a.py'] }]);

    repo.write('docs/b.md', '# b\n');
    await repo.git(['add', 'docs/b.md']);
    repo.write('docs/b.md', '# b, as committed\n');
    // Staged, but not among the paths committed: not in this commit, so not in its recent_changes.
    repo.write('examples/x.py', 'x\n');
    await repo.git(['add', 'examples/x.py']);
    const paths = await repo.user(['commit', '-q', '--amend', '--no-edit', '--', 'docs/b.md']);
    expect(paths.exitCode, paths.stderr).toBe(0);
    const state = await committedState(repo);
    expect(state.revision).toBe(parent + 1);
    expect(state.recent_changes).toEqual([
      { area: 'packages', count: 1, files: ['packages/a.py'] },
      { area: 'docs', count: 1, files: ['docs/b.md'] },
    ]);
    expect((await repo.git(['status', '--porcelain'])).stdout).toBe('A  examples/x.py\n');
    expect((await repo.paracle(['replay', '--check'])).exitCode).toBe(0);
  });

  it('--amend of a commit made without the hooks: raised once, above its parent, for the whole commit', async () => {
    const repo = await committedRepo();
    repo.write('packages/a.py', 'a\n');
    await repo.git(['add', 'packages/a.py']);
    expect((await repo.user(['commit', '-q', '-m', 'a'], { env: { PARACLE: '0' } })).exitCode).toBe(0);
    const parent = (await committedState(repo, 'HEAD^')).revision;
    repo.write('docs/b.md', '# b\n');
    await repo.git(['add', 'docs/b.md']);
    expect((await repo.user(['commit', '-q', '--amend', '--no-edit'])).exitCode).toBe(0);
    const state = await committedState(repo);
    expect(state.revision).toBe(parent + 1);
    expect(state.recent_changes.map((c: { area: string }) => c.area)).toEqual(['packages', 'docs']);
  });

  it('detached HEAD: the commit is made and the branch is recorded as detached', async () => {
    const repo = await committedRepo();
    await repo.git(['checkout', '-q', '--detach']);
    repo.write('packages/core/detached.py', 'x\n');
    await repo.git(['add', '-A']);
    const result = await repo.user(['commit', '-q', '-m', 'detached']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await committedState(repo)).repository.branch).toBe('(detached)');
  });

  it('partial staging: the file is committed exactly as staged, its unstaged hunk stays in the working tree', async () => {
    const repo = await committedRepo();
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    repo.write('packages/core/big.py', `${lines.join('\n')}\n`);
    await repo.git(['add', '-A']);
    expect((await repo.user(['commit', '-q', '-m', 'big'])).exitCode).toBe(0);

    const staged = [...lines];
    staged[1] = 'line 2 STAGED';
    const full = [...staged];
    full[27] = 'line 28 UNSTAGED';
    repo.write('packages/core/big.py', `${staged.join('\n')}\n`);
    await repo.git(['add', 'packages/core/big.py']);
    repo.write('packages/core/big.py', `${full.join('\n')}\n`);

    const result = await repo.user(['commit', '-q', '-m', 'one hunk']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await repo.show('HEAD:packages/core/big.py')).toBe(`${staged.join('\n')}\n`);
    expect(repo.read('packages/core/big.py')).toBe(`${full.join('\n')}\n`);
    expect(await statusOf(repo, 'packages/core/big.py')).toBe(' M packages/core/big.py\0');
    expect((await committedState(repo)).recent_changes).toEqual([{ area: 'packages', count: 1, files: ['packages/core/big.py'] }]);
    expect(await statusOf(repo, STATE_REL)).toBe('');
  });

  it('file names with spaces, quotes, a newline and non-ASCII arrive in the state exactly', async () => {
    const repo = await committedRepo();
    const names = [
      'packages/with space.py',
      'packages/quote"d\'s.py',
      'packages/new\nline.py',
      'packages/ünïcødé ✓.py',
      'docs/tab\there.md',
    ];
    for (const name of names) repo.write(name, `${name}\n`);
    await repo.git(['add', '-A']);
    const result = await repo.user(['commit', '-q', '-m', 'odd names']);
    expect(result.exitCode, result.stderr).toBe(0);
    const changes = (await committedState(repo)).recent_changes as Array<{ area: string; count: number; files: string[] }>;
    expect(changes.map((c) => [c.area, c.count])).toEqual([
      ['packages', 4],
      ['docs', 1],
    ]);
    expect([...changes[0]!.files].sort()).toEqual(names.slice(0, 4).sort());
    expect(changes[1]!.files).toEqual(['docs/tab\there.md']);
    expect(await statusOf(repo, STATE_REL)).toBe('');
  });

  it('at most five files per area are listed; the count is the real count', async () => {
    const repo = await committedRepo();
    for (let i = 0; i < 8; i += 1) repo.write(`packages/many/f${i}.py`, `${i}\n`);
    await repo.git(['add', '-A']);
    expect((await repo.user(['commit', '-q', '-m', 'many'])).exitCode).toBe(0);
    const [change] = (await committedState(repo)).recent_changes;
    expect(change.count).toBe(8);
    expect(change.files).toEqual([
      'packages/many/f0.py',
      'packages/many/f1.py',
      'packages/many/f2.py',
      'packages/many/f3.py',
      'packages/many/f4.py',
    ]);
  });

  it('unstaged edits to the state file are not swept in: the update goes to the staged version, the edits stay unstaged', async () => {
    const repo = await committedRepo();
    const committedBefore = await repo.show(`HEAD:${STATE_REL}`);
    const edited = repo.read(STATE_REL).replace('  status: in_progress\n', '  status: UNSTAGED-EDIT\n');
    expect(edited).not.toBe(repo.read(STATE_REL));
    repo.write(STATE_REL, edited);
    repo.write('packages/core/app.py', 'print("three")\n');
    await repo.git(['add', 'packages/core/app.py']);

    const result = await repo.user(['commit', '-q', '-m', 'app only']);
    expect(result.exitCode, result.stderr).toBe(0);
    const committedText = (await repo.show(`HEAD:${STATE_REL}`))!;
    expect(committedText).not.toContain('UNSTAGED-EDIT');
    const committed = parse(committedText);
    const working = parse(repo.read(STATE_REL));
    expect(committed.recent_changes).toEqual([{ area: 'packages', count: 1, files: ['packages/core/app.py'] }]);
    // Working tree: the user's edit, plus the same update; the commit and the file share the revision.
    expect(repo.read(STATE_REL)).toContain('UNSTAGED-EDIT');
    expect(working.recent_changes).toEqual(committed.recent_changes);
    expect(working.revision).toBe(committed.revision);
    expect(committed.revision).toBe(parse(committedBefore).revision + 1);
    expect(await statusOf(repo, STATE_REL)).toBe(` M ${STATE_REL}\0`);
    // The only difference left between the commit and the working tree is the user's edit.
    const { stdout } = await repo.git(['diff', '-U0', '--', STATE_REL]);
    expect(stdout.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual(['-  status: in_progress', '+  status: UNSTAGED-EDIT']);
  });

  it('a partially staged state file: the staged edit and the update are committed, the unstaged edit is not', async () => {
    const repo = await committedRepo();
    const original = repo.read(STATE_REL);
    const stagedEdit = original.replace('  status: in_progress\n', '  status: STAGED-EDIT\n');
    repo.write(STATE_REL, stagedEdit);
    await repo.git(['add', STATE_REL]);
    repo.write(STATE_REL, stagedEdit.replace('priority: critical', 'priority: UNSTAGED-EDIT'));
    repo.write('docs/a.md', 'a\n');
    await repo.git(['add', 'docs/a.md']);
    const result = await repo.user(['commit', '-q', '-m', 'docs']);
    expect(result.exitCode, result.stderr).toBe(0);
    const committed = (await repo.show(`HEAD:${STATE_REL}`))!;
    expect(committed).toContain('STAGED-EDIT');
    expect(committed).not.toContain('priority: UNSTAGED-EDIT');
    expect(parse(committed).recent_changes).toEqual([{ area: 'docs', count: 1, files: ['docs/a.md'] }]);
    expect(repo.read(STATE_REL)).toContain('priority: UNSTAGED-EDIT');
  });

  it('a commit in a linked worktree runs the hooks against that worktree’s own .parac/', async () => {
    const repo = await committedRepo();
    const wt = join(tempDir('paracle-worktree-'), 'linked');
    await repo.git(['worktree', 'add', '-q', '-b', 'feature', wt]);
    expect(existsSync(join(wt, 'node_modules'))).toBe(false);
    const mainBefore = repo.read(STATE_REL);
    const revision = parse(mainBefore).revision;
    const file = join(wt, 'packages', 'wt.py');
    await import('node:fs').then((fs) => {
      fs.mkdirSync(join(wt, 'packages'), { recursive: true });
      fs.writeFileSync(file, 'wt\n');
    });
    await repo.git(['add', 'packages/wt.py'], { cwd: wt });
    const result = await repo.user(['commit', '-q', '-m', 'in worktree'], { cwd: wt });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`rev ${revision} → ${revision + 1}`);
    const state = await committedState(repo, 'feature');
    expect(state.repository.branch).toBe('feature');
    expect(state.recent_changes).toEqual([{ area: 'packages', count: 1, files: ['packages/wt.py'] }]);
    expect(readFileSync(join(wt, STATE_REL), 'utf8')).toBe(await repo.show(`feature:${STATE_REL}`));
    expect(repo.read(STATE_REL)).toBe(mainBefore);
  });

  it('a lock held elsewhere past PARACLE_TIMEOUT fails the commit naming the holder and --no-verify; HEAD does not move', async () => {
    const repo = await committedRepo();
    const head = await repo.head();
    const indexBefore = (await repo.git(['ls-files', '--stage'])).stdout;
    const holder = await holdStateLock(repo.stateFile, 'editor-plugin --sync');
    try {
      repo.write('packages/core/app.py', 'print("blocked")\n');
      await repo.git(['add', 'packages/core/app.py']);
      const result = await repo.user(['commit', '-q', '-m', 'blocked'], { env: { PARACLE_TIMEOUT: '0.5' } });
      expect(result.exitCode).not.toBe(0);
      const lines = result.stderr.split('\n').filter((l) => l.startsWith('paracle:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`pid ${holder.pid}`);
      expect(lines[0]).toContain('editor-plugin --sync');
      expect(lines[0]).toMatch(/for \d+s/);
      expect(lines[0]).toContain('git commit --no-verify');
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(await repo.head()).toBe(head);
    } finally {
      holder.kill('SIGKILL');
    }
    // Once the holder is gone, the same commit goes through.
    expect((await repo.git(['ls-files', '--stage'])).stdout).not.toBe(indexBefore);
    const retry = await repo.user(['commit', '-q', '-m', 'retry']);
    expect(retry.exitCode, retry.stderr).toBe(0);
  });

  it('a save that lands while the hook waits for the lock (after its git status) stays out of the commit', async () => {
    const repo = await committedRepo();
    const holder = await holdStateLock(repo.stateFile, 'editor-plugin --sync');
    try {
      repo.write('packages/core/app.py', 'print("waited")\n');
      await repo.git(['add', 'packages/core/app.py']);
      const commit = repo.user(['commit', '-q', '-m', 'waited for the lock']);
      // The hook queues for the lock only after its git status: the save below is one it cannot have seen.
      const queue = queueDirFor(repo.stateFile);
      for (let waited = 0; countWaiters(queue) === 0; waited += 10) {
        if (waited > 20_000) throw new Error('the hook never queued for the lock');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      repo.write(STATE_REL, repo.read(STATE_REL).replace('  status: in_progress\n', '  status: SAVED-WHILE-WAITING\n'));
      holder.kill('SIGKILL');
      const result = await commit;
      expect(result.exitCode, result.stderr).toBe(0);
    } finally {
      holder.kill('SIGKILL');
    }
    const committedText = (await repo.show(`HEAD:${STATE_REL}`))!;
    expect(committedText).not.toContain('SAVED-WHILE-WAITING');
    expect(parse(committedText).recent_changes).toEqual([{ area: 'packages', count: 1, files: ['packages/core/app.py'] }]);
    expect(repo.read(STATE_REL)).toContain('SAVED-WHILE-WAITING');
    expect(await statusOf(repo, STATE_REL)).toBe(` M ${STATE_REL}\0`);
  });

  it('refuses a commit that stages a lock or temp file of the state core', async () => {
    const repo = await committedRepo();
    repo.write('.parac/memory/context/current_state.yaml.lock', '');
    repo.write('packages/core/app.py', 'print("x")\n');
    await repo.git(['add', '-f', '.parac/memory/context/current_state.yaml.lock', 'packages/core/app.py']);
    const head = await repo.head();
    const result = await repo.user(['commit', '-q', '-m', 'oops']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('refusing to commit the state lock or temp file ".parac/memory/context/current_state.yaml.lock"');
    expect(await repo.head()).toBe(head);
    // And the installed ignore rules keep a plain `git add -A` from picking such files up.
    await repo.git(['reset', '-q', '--', '.parac/memory/context/current_state.yaml.lock']);
    repo.write('.parac/memory/context/.current_state.yaml.123.abcd1234.1.ff.tmp', 'x');
    await repo.git(['add', '-A']);
    const staged = (await repo.git(['diff', '--cached', '--name-only'])).stdout;
    expect(staged).not.toContain('.lock');
    expect(staged).not.toContain('.tmp');
  });

  it('HUSKY=0 and PARACLE=0 turn the hooks off', async () => {
    const repo = await committedRepo();
    for (const env of [{ HUSKY: '0' }, { PARACLE: '0' }]) {
      const before = repo.read(STATE_REL);
      repo.write('packages/core/app.py', `print(${JSON.stringify(env)})\n`);
      await repo.git(['add', '-A']);
      const result = await repo.user(['commit', '-q', '-m', 'off'], { env });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      expect(repo.read(STATE_REL)).toBe(before);
    }
  });

  it('changelog: one dated block per day, each area once', async () => {
    // The template's first commit was made on another day (see git-repo.ts): its block stays as it is.
    const repo = await committedRepo();
    const changelog = () => repo.read(CHANGELOG_REL);
    const headings = () =>
      changelog()
        .split('\n')
        .filter((line) => line.startsWith('### Changed ('));
    const earlierDays = headings();
    const commit = async (file: string, message: string) => {
      repo.write(file, `${message}\n`);
      await repo.git(['add', '-A']);
      const result = await repo.user(['commit', '-q', '-m', message]);
      expect(result.exitCode, result.stderr).toBe(0);
    };
    const todaysBlock = () => {
      const heading = `### Changed (${localDate()})`;
      expect(headings().filter((line) => line === heading)).toHaveLength(1);
      return changelog().split(`${heading}\n`)[1]!.split('\n### ')[0]!;
    };

    await commit('packages/core/app.py', 'again');
    const first = todaysBlock();
    expect(first.match(/^- Package updates$/gm)).toHaveLength(1);
    await commit('packages/core/app.py', 'and again');
    expect(todaysBlock()).toBe(first);
    await commit('docs/new.md', 'docs');
    const block = todaysBlock();
    expect(block.match(/^- Package updates$/gm)).toHaveLength(1);
    expect(block.match(/^- Documentation updates$/gm)).toHaveLength(1);
    // One block per day: no heading twice, and every earlier day's block is still there.
    expect(new Set(headings()).size).toBe(headings().length);
    expect(headings()).toEqual(expect.arrayContaining(earlierDays));
    expect(await repo.show(`HEAD:${CHANGELOG_REL}`)).toBe(changelog());
  });

  it('roadmap alignment: a differing current_phase is a warning, never a failure', async () => {
    const repo = await committedRepo();
    repo.write(
      '.parac/roadmap/roadmap.yaml',
      repo.read('.parac/roadmap/roadmap.yaml').replace('current_phase: phase_10', 'current_phase: phase_11'),
    );
    await repo.git(['add', '-A']);
    const result = await repo.user(['commit', '-q', '-m', 'roadmap']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('paracle: warning: roadmap.yaml says current_phase is phase_11 but current_state.yaml is at phase_10');
    expect(result.stderr).toContain('rev ');
  });

  it('.parac/config/hooks.yaml: custom areas and tasks turned off', async () => {
    const repo = await committedRepo();
    repo.write('.parac/config/hooks.yaml', 'tasks:\n  changelog: false\n  snapshot: false\nareas:\n  backend: [src/server/, "**/*.sql"]\n');
    await repo.git(['add', '-A']);
    expect((await repo.user(['commit', '-q', '-m', 'config'])).exitCode).toBe(0);
    const changelogBefore = repo.read(CHANGELOG_REL);
    const before = await committedState(repo);
    repo.write('src/server/main.ts', 'x\n');
    repo.write('db/schema.sql', 'x\n');
    repo.write('packages/core/app.py', 'not watched any more\n');
    await repo.git(['add', '-A']);
    const result = await repo.user(['commit', '-q', '-m', 'backend']);
    expect(result.exitCode, result.stderr).toBe(0);
    const state = await committedState(repo);
    expect(state.recent_changes).toEqual([{ area: 'backend', count: 2, files: ['db/schema.sql', 'src/server/main.ts'] }]);
    expect(state.snapshot_date).toBe(before.snapshot_date);
    expect(state.repository).toEqual(before.repository);
    expect(repo.read(CHANGELOG_REL)).toBe(changelogBefore);
  });

  it('an invalid hooks.yaml fails the commit with one line naming the key', async () => {
    const repo = await committedRepo();
    repo.write('.parac/config/hooks.yaml', 'tasks:\n  changelgo: false\n');
    repo.write('packages/core/app.py', 'x\n');
    await repo.git(['add', '-A']);
    const result = await repo.user(['commit', '-q', '-m', 'typo']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('unknown key "tasks.changelgo"');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('commits while another process keeps updating the state: no lost update, each commit holds exactly its own write', async () => {
    const repo = await committedRepo();
    const commitCount = stress(3, 12);
    // A writer that saves without pause until told to stop (`saved <i> <revision>` after each save).
    // Both sides may wait for the lock longer than the default 10 s on a busy shared runner.
    const slowMachine = { PARACLE_TIMEOUT: '120' };
    const writer = startChild('state-update-until-stopped.mjs', [repo.paracRoot, 'cli'], { env: slowMachine });
    const savedLines = () => writer.lines.filter((line) => line.startsWith('saved '));
    /** Waits until the writer has saved again after everything seen so far. */
    const nextSave = async () => {
      const seen = savedLines().length;
      await writer.waitForLine((line) => line.startsWith('saved ') && Number(line.split(' ')[1]) >= seen);
    };
    const commits: Array<{ oid: string; revision: number; revisionBefore: number }> = [];
    let stoppedLine = '';
    try {
      for (let i = 0; i < commitCount; i += 1) {
        // The writer's saves must fall between the commits', not all before or after them.
        await nextSave();
        repo.write(`packages/concurrent/${i}.py`, `${i}\n`);
        await repo.git(['add', '-A', 'packages']);
        const revisionBefore = parse(repo.read(STATE_REL)).revision;
        const result = await repo.user(['commit', '-q', '-m', `concurrent ${i}`], { env: slowMachine });
        expect(result.exitCode, result.stderr).toBe(0);
        const oid = await repo.head();
        commits.push({ oid, revision: (await committedState(repo, oid)).revision, revisionBefore });
      }
      await nextSave();
      writer.send('stop');
      stoppedLine = await writer.waitForLine(/^stopped /);
      await writer.succeed();
    } finally {
      await writer.kill();
    }

    const saves = savedLines().map((line) => {
      const [, index, revision] = line.split(' ');
      return { item: `cli-${index}`, revision: Number(revision) };
    });
    expect(saves).toHaveLength(Number(stoppedLine.split(' ')[1]));
    // No lost update: every item the writer saved is in the file, once.
    const finalState = parse(repo.read(STATE_REL));
    const completed = ((finalState.current_phase.completed ?? []) as string[]).filter((item) => item.startsWith('cli-'));
    expect([...completed].sort()).toEqual(saves.map((s) => s.item).sort());
    const entries = auditEntries(repo);
    expect(finalState.revision).toBe(Math.max(...entries.map((e) => e.revision)));

    const commitRevisions = commits.map((c) => c.revision);
    const writerRevisions = saves.map((s) => s.revision);
    expect(new Set([...commitRevisions, ...writerRevisions]).size).toBe(commitRevisions.length + writerRevisions.length);
    // The writer's revisions fall before, between and after the commits'.
    const bounds = [Number.NEGATIVE_INFINITY, ...commitRevisions, Number.POSITIVE_INFINITY];
    const savesPerGap = bounds.slice(1).map((upper, i) => writerRevisions.filter((r) => r > bounds[i]! && r < upper).length);
    expect(
      savesPerGap.every((n) => n > 0),
      `writer saves per gap between commits: ${savesPerGap.join(', ')}`,
    ).toBe(true);
    expect(savesPerGap).toHaveLength(commitCount + 1);

    const completedAt = async (rev: string) => ((await committedState(repo, rev)).current_phase.completed ?? []) as string[];
    const baseCompleted = await completedAt(`${commits[0]!.oid}~1`);
    for (const commit of commits) {
      // The committed file is the hook's own write (an auto_maintain revision above every save before
      // it), made on the staged version: the writer's saves are unstaged edits and stay out of it.
      const entry = entries.find((e) => e.revision === commit.revision);
      expect(entry?.change_type, `commit ${commit.oid}`).toBe('auto_maintain');
      expect(entry?.process_id).not.toBe(writer.pid);
      expect(await completedAt(commit.oid), `commit ${commit.oid}`).toEqual(baseCompleted);
    }
    // Saves that landed while a `git commit` was running (after its start, before its hook wrote).
    const duringCommits = commits.reduce((sum, c) => sum + writerRevisions.filter((r) => r > c.revisionBefore && r < c.revision).length, 0);
    expect(duringCommits, 'no writer save landed while a commit was running').toBeGreaterThan(0);
    console.log(
      `pre-commit vs a running writer: ${commitCount} commits, ${saves.length} writer saves (per gap: ${savesPerGap.join(', ')}), ${duringCommits} landed while a commit ran`,
    );
  });

  it('a state file git does not track (ignored) is updated but never added to a commit', async () => {
    const repo = await makeTestRepo();
    repo.write('.gitignore', `${repo.read('.gitignore')}.parac/memory/\n`);
    repo.write('packages/core/app.py', 'x\n');
    await repo.git(['add', '-A']);
    const result = await repo.user(['commit', '-q', '-m', 'initial']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('rev 11 → 12');
    expect(await repo.show(`HEAD:${STATE_REL}`)).toBeNull();
    expect(parse(repo.read(STATE_REL)).revision).toBe(12);
  });

  it('a state file that does not parse stops the commit with one line (file:line, how to get through) and is left as it was', async () => {
    const repo = await committedRepo();
    const broken = repo.read(STATE_REL).replace('blockers: []', '<<<<<<< HEAD\nblockers: []\n=======\nblockers: [x]\n>>>>>>> side');
    repo.write(STATE_REL, broken);
    repo.write('packages/core/app.py', 'x\n');
    await repo.git(['add', 'packages/core/app.py']);
    const head = await repo.head();
    const result = await repo.user(['commit', '-q', '-m', 'broken state']);
    expect(result.exitCode).not.toBe(0);
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('paracle:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /current_state\.yaml:\d+:\d+: .*conflict.*; fix the file, or commit without the hooks: git commit --no-verify$/,
    );
    expect(await repo.head()).toBe(head);
    expect(repo.read(STATE_REL)).toBe(broken);
  });
});
