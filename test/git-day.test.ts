import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGit } from '../src/git/run-git.js';
import { parseStateText } from '../src/document/document.js';
import { FIXTURES, tempDir } from './support/fixtures.js';
import { LOG_REL, STATE_REL, runNode, type RunResult } from './support/git-repo.js';
import { copyPackedProject } from './support/packed-project.js';

/**
 * A day of git in two clones of one bare remote, as new users get paracle-hooks: the `npm pack`
 * tarball installed in the project (node_modules), `paracle install` run once in the first clone
 * and by `npm install`'s prepare in the second. After every command: exit 0, and `git status
 * --porcelain` shows nothing, or exactly the user's own edits.
 */

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const IDENTITY = [
  ['user.name', 'Day Tester'],
  ['user.email', 'day@paracle.invalid'],
  ['commit.gpgsign', 'false'],
  ['gc.auto', '0'],
  ['core.autocrlf', 'false'],
  ['advice.detachedHead', 'false'],
  ['pull.rebase', 'false'],
] as const;

/** No editor ever opens: messages are given or kept. */
const EDITOR = { GIT_EDITOR: 'true' };

interface Clone {
  dir: string;
  name: string;
  /** A git command as the user types it (hooks run); asserts exit 0 and the status afterwards (null: not checked). */
  git(args: string[], expectStatus?: string | null, env?: Record<string, string>): Promise<RunResult>;
  /** `npx paracle …`: the packed toolkit's CLI, run from the clone. */
  paracle(args: string[]): Promise<RunResult>;
  write(rel: string, content: string): void;
  read(rel: string): string;
  show(spec: string): Promise<string>;
  status(): Promise<string>;
}

function clone(dir: string, name: string): Clone {
  const status = async () =>
    (await runGit(['status', '--porcelain', '--untracked-files=all'], { cwd: dir, env: 'clean', fixedFlags: false })).stdout;
  return {
    dir,
    name,
    status,
    git: async (args, expectStatus = '', env = {}) => {
      const result = await runGit(args, {
        cwd: dir,
        env: 'clean',
        fixedFlags: false,
        extraEnv: { ...EDITOR, ...env },
        okExitCodes: Array.from({ length: 256 }, (_, i) => i),
      });
      const what = `${name}: git ${args.join(' ')}`;
      expect(result.exitCode, `${what}\n${result.stdout}${result.stderr}`).toBe(0);
      expect(result.stderr, what).not.toMatch(/paracle: warning|paracle: .*refus|error:/);
      if (expectStatus !== null) expect(await status(), `${what}: git status afterwards`).toBe(expectStatus);
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    },
    paracle: (args) => runNode([join(dir, 'node_modules', 'paracle-hooks', 'dist', 'cli', 'bin.js'), ...args], dir),
    write: (rel, content) => {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    },
    read: (rel) => readFileSync(join(dir, rel), 'utf8'),
    show: async (spec) => (await runGit(['show', spec], { cwd: dir, env: 'clean' })).stdout,
  };
}

async function configure(dir: string): Promise<void> {
  for (const [key, value] of IDENTITY) await runGit(['config', key, value], { cwd: dir, env: 'clean' });
}

function stateOf(text: string): Record<string, any> {
  return parseStateText(text, 'state').data as Record<string, any>;
}

async function revisionAt(repo: Clone, rev: string): Promise<number> {
  return stateOf(await repo.show(`${rev}:${STATE_REL}`)).revision;
}

async function summary(repo: Clone, rev: string): Promise<string> {
  return (await runGit(['log', '-1', '--format=%h %s', rev], { cwd: repo.dir, env: 'clean' })).stdout.trim();
}

/** Each hooked commit names the commit it builds on, and records no uncommitted changes of paracle's own. */
async function expectSnapshot(repo: Clone, rev: string, hasUncommittedChanges = false): Promise<void> {
  const state = stateOf(await repo.show(`${rev}:${STATE_REL}`));
  expect(state.repository.last_commit, `${repo.name} ${rev}`).toBe(await summary(repo, `${rev}^`));
  expect(state.repository.has_uncommitted_changes, `${repo.name} ${rev}`).toBe(hasUncommittedChanges);
}

async function commit(repo: Clone, file: string, message: string, expectStatus = ''): Promise<void> {
  repo.write(file, `${message}\n`);
  await repo.git(['add', '--', file], `${expectStatus}A  ${file}\n`);
  await repo.git(['commit', '-q', '-m', message], expectStatus);
}

describe('a day of git in two clones, hooks installed from the packed tarball', () => {
  it('every command exits 0 and leaves git status as git alone would', { timeout: 600_000 }, async () => {
    const root = tempDir('paracle-git-day-');
    made.push(root);
    const remote = join(root, 'remote.git');
    await runGit(['init', '-q', '--bare', '-b', 'main', remote], { cwd: root, env: 'clean' });

    // Alice: a project with the tarball installed, the real paracle state, then `paracle install`.
    const aliceDir = copyPackedProject('paracle-git-day-alice-');
    made.push(dirname(aliceDir));
    await runGit(['init', '-q', '-b', 'main'], { cwd: aliceDir, env: 'clean' });
    await configure(aliceDir);
    const alice = clone(aliceDir, 'alice');
    alice.write('.gitignore', 'node_modules/\n');
    alice.write('README.md', '# demo\n');
    for (const [from, to] of [
      ['current_state.yaml', STATE_REL],
      ['changelog.md', '.parac/changelog.md'],
      ['roadmap.yaml', '.parac/roadmap/roadmap.yaml'],
    ] as const) {
      mkdirSync(dirname(join(aliceDir, to)), { recursive: true });
      copyFileSync(join(FIXTURES, from), join(aliceDir, to));
    }
    const install = await alice.paracle(['install']);
    expect(install.exitCode, install.stderr).toBe(0);
    await runGit(['remote', 'add', 'origin', remote], { cwd: aliceDir, env: 'clean' });

    // First commit, a second one, push.
    alice.write('packages/app.py', 'print("app")\n');
    await alice.git(['add', '-A'], null);
    await alice.git(['commit', '-q', '-m', 'first commit']);
    const first = stateOf(await alice.show(`HEAD:${STATE_REL}`));
    expect(first.repository).toMatchObject({ branch: 'main', last_commit: null, has_uncommitted_changes: false });
    // The audit log stays a local record: written, ignored, never in a commit.
    expect(existsSync(join(aliceDir, LOG_REL))).toBe(true);
    expect((await runGit(['ls-files', '--', LOG_REL], { cwd: aliceDir, env: 'clean' })).stdout).toBe('');
    await commit(alice, 'docs/guide.md', 'a guide');
    await expectSnapshot(alice, 'HEAD');
    await alice.git(['push', '-q', '-u', 'origin', 'main']);

    // Bob clones; `npm install` gives him node_modules (the same tarball) and its prepare runs `paracle install`.
    const bobDir = join(root, 'bob');
    await runGit(['clone', '-q', remote, bobDir], { cwd: root, env: 'clean' });
    await configure(bobDir);
    const bob = clone(bobDir, 'bob');
    const bobInstall = copyPackedProject('paracle-git-day-bob-');
    made.push(dirname(bobInstall));
    cpSync(join(bobInstall, 'node_modules'), join(bobDir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    const prepare = await bob.paracle(['install']);
    expect(prepare.exitCode, prepare.stderr).toBe(0);
    expect(await bob.status()).toBe('');

    // Two fast-forward pulls in a row (the second used to fail on the first one's leftovers).
    await commit(alice, 'packages/one.py', 'one');
    await alice.git(['push', '-q']);
    await bob.git(['pull', '-q']);
    await commit(alice, 'docs/two.md', 'two');
    await alice.git(['push', '-q']);
    await bob.git(['pull', '-q']);
    expect(bob.read(STATE_REL)).toBe(alice.read(STATE_REL));

    // Diverge, then `git pull --rebase`: Bob's commit is replayed through the merge driver.
    await commit(alice, 'packages/alice.py', 'alice diverges');
    await alice.git(['push', '-q']);
    await commit(bob, 'packages/bob.py', 'bob diverges');
    await bob.git(['pull', '-q', '--rebase']);
    expect(await revisionAt(bob, 'HEAD')).toBeGreaterThan(await revisionAt(bob, 'HEAD^'));
    await bob.git(['push', '-q']);

    // `git rebase -i` with an `edit` stop: amend there (pre-commit runs), then --continue.
    await commit(bob, 'packages/c1.py', 'c1');
    await commit(bob, 'docs/c2.md', 'c2');
    await bob.git(['rebase', '-q', '-i', 'HEAD~2'], '', { GIT_SEQUENCE_EDITOR: "sed -i -e '1s/^pick/edit/'" });
    bob.write('packages/c1.py', 'c1, amended\n');
    await bob.git(['add', 'packages/c1.py'], 'M  packages/c1.py\n');
    await bob.git(['commit', '-q', '--amend', '--no-edit']);
    // --amend: the commit it builds on is the amended commit's parent, not the commit it replaces.
    await expectSnapshot(bob, 'HEAD');
    await bob.git(['rebase', '--continue']);
    expect(await revisionAt(bob, 'HEAD')).toBeGreaterThan(await revisionAt(bob, 'HEAD^'));
    await bob.git(['push', '-q']);

    // `git pull --autostash` around the user's own edit; then a stash around a hooked commit.
    alice.write('README.md', '# demo\n\nAlice was here.\n');
    const edit = ' M README.md\n';
    await alice.git(['pull', '-q', '--autostash'], edit);
    await alice.git(['stash', '-q'], '');
    await commit(alice, 'packages/stashed.py', 'between stash and pop');
    await alice.git(['stash', 'pop', '-q'], edit);
    await alice.git(['commit', '-q', '-a', '-m', 'readme']);
    await expectSnapshot(alice, 'HEAD~1');

    // A branch merged through the driver.
    await alice.git(['checkout', '-q', '-b', 'feature']);
    await commit(alice, 'packages/feature.py', 'feature work');
    await alice.git(['checkout', '-q', 'main']);
    await commit(alice, 'docs/main.md', 'main work');
    const merge = await alice.git(['merge', '--no-edit', 'feature']);
    expect(merge.stderr).toContain(`paracle: merged ${STATE_REL}`);
    const merged = stateOf(await alice.show(`HEAD:${STATE_REL}`));
    expect(merged.revision).toBeGreaterThan(Math.max(await revisionAt(alice, 'HEAD^1'), await revisionAt(alice, 'HEAD^2')));
    // One commit's recent_changes, never a union: the merged-in branch's.
    expect(merged.recent_changes).toEqual(stateOf(await alice.show(`feature:${STATE_REL}`)).recent_changes);

    // cherry-pick.
    await alice.git(['checkout', '-q', 'feature']);
    await commit(alice, 'packages/picked.py', 'to be picked');
    await alice.git(['checkout', '-q', 'main']);
    await alice.git(['cherry-pick', 'feature']);
    expect(stateOf(await alice.show(`HEAD:${STATE_REL}`)).recent_changes).toEqual([
      { area: 'packages', count: 1, files: ['packages/picked.py'] },
    ]);
    await alice.git(['push', '-q']);

    // revert (no hook, no driver: the state goes back a revision), then verify it against the pushed main.
    const before = await revisionAt(alice, 'HEAD');
    await alice.git(['revert', '--no-edit', 'HEAD']);
    expect(await revisionAt(alice, 'HEAD')).toBeLessThan(before);
    const verify = await alice.paracle(['verify', '--base', 'origin/main']);
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/below it by reverting [0-9a-f]{7}/);

    // `paracle session end` after the revert: above every revision this clone wrote.
    const end = await alice.paracle(['session', 'end', '--complete', 'the day of git']);
    expect(end.exitCode, end.stderr).toBe(0);
    expect(await alice.status()).toBe(` M ${STATE_REL}\n`);
    expect(stateOf(alice.read(STATE_REL)).revision).toBe(before + 1);
    await alice.git(['commit', '-q', '-a', '-m', 'session end']);
    const verifyEnd = await alice.paracle(['verify', '--base', 'origin/main']);
    expect(verifyEnd.exitCode, verifyEnd.stderr).toBe(0);
    await alice.git(['push', '-q']);

    // Bob catches up (a merge of his pushed history is already in main: a fast-forward) and verifies.
    await bob.git(['pull', '-q']);
    expect(bob.read(STATE_REL)).toBe(alice.read(STATE_REL));
    const bobVerify = await bob.paracle(['verify', '--base', 'ORIG_HEAD']);
    expect(bobVerify.exitCode, bobVerify.stderr).toBe(0);

    // Nothing of paracle's own was ever committed, in either clone.
    for (const repo of [alice, bob]) {
      const tracked = (await runGit(['ls-files', '--', '.parac'], { cwd: repo.dir, env: 'clean' })).stdout.split('\n').filter(Boolean);
      expect(tracked.sort()).toEqual(['.parac/changelog.md', STATE_REL, '.parac/roadmap/roadmap.yaml'].sort());
    }
  });
});
