import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { hookGitDir } from '../src/git/repo-layout.js';
import { prepareIndexes, restoreIndexes, stageChanges, type FileChange } from '../src/hooks-run/stage-files.js';
import { tempDir } from './support/fixtures.js';
import { CHANGELOG_REL, LOG_REL, STATE_REL, makeTestRepo, testRepo, type TestRepo } from './support/git-repo.js';
import { describeWithRedis, RedisServer } from './support/redis-server.js';

/**
 * A hook that fails part way leaves nothing behind (issue 22, point 1): real faults in real
 * repositories, each step of pre-commit's own writes in turn, then the retry after the cause is
 * fixed, which must commit exactly HEAD's revision + 1 as a first try would.
 */

const GIT_TIMEOUT = { timeout: 240_000 };

/** Everything a failed hook must leave as it found it: the files byte for byte, the index, the status. */
interface Snapshot {
  state: string | null;
  changelog: string | null;
  log: string | null;
  index: string;
  status: string;
}

function bytesOf(file: string): string | null {
  if (!existsSync(file)) return null;
  if (statSync(file).isDirectory()) return '<folder>';
  return readFileSync(file).toString('base64');
}

async function snapshot(repo: TestRepo): Promise<Snapshot> {
  return {
    state: bytesOf(join(repo.dir, STATE_REL)),
    changelog: bytesOf(join(repo.dir, CHANGELOG_REL)),
    log: bytesOf(join(repo.dir, LOG_REL)),
    index: (await repo.git(['ls-files', '-s'])).stdout,
    status: (await repo.git(['status', '--porcelain', '--untracked-files=all'])).stdout,
  };
}

async function revisionAt(repo: TestRepo, spec: string): Promise<number> {
  const text = await repo.show(`${spec}:${STATE_REL}`);
  if (text === null) throw new Error(`${spec}:${STATE_REL}: missing`);
  return parseStateText(text, spec).revision;
}

function paracleLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('paracle:'));
}

/** Where `chattr +i` works (root on ext4 and the like); otherwise why not, for a skip. */
function chattrUnavailable(): string | null {
  const file = join(tempDir('paracle-chattr-'), 'probe');
  writeFileSync(file, '');
  const set = spawnSync('chattr', ['+i', file], { encoding: 'utf8' });
  spawnSync('chattr', ['-i', file]);
  if (set.error) return `chattr cannot run here (${set.error.message})`;
  return set.status === 0 ? null : `chattr +i fails here (${set.stderr.trim()}): needs root on a file system with immutable files`;
}

function chattr(flag: '+i' | '-i', file: string): void {
  const result = spawnSync('chattr', [flag, file], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`chattr ${flag} ${file}: ${result.stderr}`);
}

/** The committed template (its first commit another day, so the changelog gets today's block) plus a staged change in a watched area. */
async function repoWithStagedChange(): Promise<TestRepo> {
  const repo = await makeTestRepo({ committed: true });
  repo.write('packages/core/app.py', 'print("two")\n');
  await repo.git(['add', '--', 'packages/core/app.py']);
  return repo;
}

interface Fault {
  step: string;
  path: string;
  /** Null: the fault can be made here; else why not. */
  unavailable: () => string | null;
  make: (repo: TestRepo) => Promise<void>;
  fix: (repo: TestRepo) => Promise<void>;
}

const immutable = (rel: string): Pick<Fault, 'unavailable' | 'make' | 'fix'> => ({
  unavailable: chattrUnavailable,
  make: async (repo) => chattr('+i', join(repo.dir, rel)),
  fix: async (repo) => chattr('-i', join(repo.dir, rel)),
});

const FAULTS: Fault[] = [
  // The rename over an immutable file fails: the first write of the run.
  { step: 'state write', path: STATE_REL, ...immutable(STATE_REL) },
  // The state is written, then the append to the log fails.
  { step: 'audit trail', path: LOG_REL, ...immutable(LOG_REL) },
  {
    // State and log are written, then the changelog cannot be read (a folder; as root, chmod 000 would not stop it).
    step: 'changelog',
    path: CHANGELOG_REL,
    unavailable: () => null,
    make: async (repo) => {
      const saved = join(repo.dir, '..', 'changelog.saved');
      cpSync(join(repo.dir, CHANGELOG_REL), saved);
      rmSync(join(repo.dir, CHANGELOG_REL));
      mkdirSync(join(repo.dir, CHANGELOG_REL));
      writeFileSync(join(repo.dir, CHANGELOG_REL, 'note.txt'), 'in the way\n');
    },
    fix: async (repo) => {
      rmSync(join(repo.dir, CHANGELOG_REL), { recursive: true });
      cpSync(join(repo.dir, '..', 'changelog.saved'), join(repo.dir, CHANGELOG_REL));
    },
  },
  {
    // State, log and changelog are written, then git refuses to stage a path outside the sparse checkout
    // (the files are there: put back by hand after the cone left .parac/ out, as a person needing them would).
    step: 'git add',
    path: STATE_REL,
    unavailable: () => null,
    make: async (repo) => {
      const kept = [STATE_REL, CHANGELOG_REL, LOG_REL].map((rel) => [rel, readFileSync(join(repo.dir, rel))] as const);
      // The copied repository's index has other stat data than its files: refresh it, or git keeps them as modified.
      await repo.git(['update-index', '-q', '--refresh']);
      await repo.git(['sparse-checkout', 'set', '--cone', 'packages', '.husky']);
      expect(existsSync(join(repo.dir, STATE_REL))).toBe(false);
      for (const [rel, bytes] of kept) {
        mkdirSync(join(repo.dir, rel, '..'), { recursive: true });
        writeFileSync(join(repo.dir, rel), bytes);
      }
    },
    fix: async (repo) => {
      await repo.git(['sparse-checkout', 'disable']);
    },
  },
];

describe('pre-commit: a step that fails leaves everything as it was', GIT_TIMEOUT, () => {
  for (const fault of FAULTS) {
    const why = fault.unavailable();
    if (why !== null) {
      it.skip(`${fault.step}: ${why}`, () => undefined);
      continue;
    }
    it(`${fault.step} fails: state, changelog, audit log, index and status are byte-identical; the retry commits HEAD's revision + 1`, async () => {
      const repo = await repoWithStagedChange();
      const head = await revisionAt(repo, 'HEAD');
      await fault.make(repo);
      try {
        const before = await snapshot(repo);
        const failed = await repo.user(['commit', '-q', '-m', 'two']);
        expect(failed.exitCode, failed.stderr).not.toBe(0);
        expect(await snapshot(repo)).toEqual(before);
        // One line, naming the hook, the step and the path, and saying nothing was changed.
        const lines = paracleLines(failed.stderr);
        expect(lines, failed.stderr).toHaveLength(1);
        expect(lines[0]).toContain(`pre-commit: ${fault.step} failed for ${fault.path}`);
        expect(lines[0]).toContain('nothing was changed');
        expect(await revisionAt(repo, 'HEAD')).toBe(head);
      } finally {
        await fault.fix(repo);
      }
      const retry = await repo.user(['commit', '-q', '-m', 'two']);
      expect(retry.exitCode, retry.stderr).toBe(0);
      expect(paracleLines(retry.stderr)).toEqual([expect.stringContaining(`rev ${head} → ${head + 1}`)]);
      expect(await revisionAt(repo, 'HEAD')).toBe(head + 1);
      expect(await repo.show(`HEAD:${CHANGELOG_REL}`)).toBe(repo.read(CHANGELOG_REL));
      expect((await repo.git(['status', '--porcelain', '--untracked-files=all'])).stdout).toBe('');
    });
  }
});

describe('pre-commit by hand', GIT_TIMEOUT, () => {
  it('`paracle hook pre-commit` with a failing step: exit 1, one line naming the step and the path, nothing changed', async () => {
    const repo = await repoWithStagedChange();
    await FAULTS.find((f) => f.step === 'changelog')!.make(repo);
    const before = await snapshot(repo);
    const result = await repo.paracle(['hook', 'pre-commit']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^paracle: pre-commit: changelog failed for \.parac\/changelog\.md: EISDIR.*; nothing was changed/),
    ]);
    expect(await snapshot(repo)).toEqual(before);
  });
});

describe('hookGitDir: where a hook run keeps its commit-attempt record', () => {
  it('the folder of the index git names (main or linked worktree, plain, -a or <paths>); none for a user\u2019s own index or a run by hand', () => {
    expect(hookGitDir({ GIT_INDEX_FILE: '/r/.git/index' }, '/r')).toBe('/r/.git');
    expect(hookGitDir({ GIT_INDEX_FILE: '/r/.git/index.lock' }, '/r')).toBe('/r/.git');
    expect(hookGitDir({ GIT_INDEX_FILE: '.git/worktrees/w/next-index-42.lock' }, '/r')).toBe('/r/.git/worktrees/w');
    expect(hookGitDir({ GIT_INDEX_FILE: '/r/my-index' }, '/r')).toBeNull();
    expect(hookGitDir({}, '/r')).toBeNull();
  });
});

describe('restoreIndexes', GIT_TIMEOUT, () => {
  it('puts back each entry stageChanges set, whether staged from the file or applied to a staged version', async () => {
    const repo = await makeTestRepo({ committed: true });
    const state = repo.read(STATE_REL);
    // The changelog has a staged edit and an unstaged one: its update goes onto the staged version.
    repo.write(CHANGELOG_REL, `${repo.read(CHANGELOG_REL)}staged\n`);
    await repo.git(['add', '--', CHANGELOG_REL]);
    const changelog = `${repo.read(CHANGELOG_REL)}unstaged\n`;
    repo.write(CHANGELOG_REL, changelog);
    const before = await snapshot(repo);

    const indexes = await prepareIndexes(repo.dir, {}, [STATE_REL, CHANGELOG_REL], new Map([[STATE_REL, state]]));
    const changes: FileChange[] = [
      { repoPath: STATE_REL, before: state, applyTo: (text) => `${text}# written\n` },
      { repoPath: CHANGELOG_REL, before: changelog, applyTo: (text) => `${text}written\n` },
    ];
    repo.write(STATE_REL, `${state}# written\n`);
    repo.write(CHANGELOG_REL, `${changelog}written\n`);
    await stageChanges(indexes, changes);
    expect(await repo.show(`:${STATE_REL}`)).toBe(`${state}# written\n`);
    expect((await snapshot(repo)).index).not.toBe(before.index);

    repo.write(STATE_REL, state);
    repo.write(CHANGELOG_REL, changelog);
    await restoreIndexes(indexes, changes);
    expect(await snapshot(repo)).toEqual(before);
  });
});

describe('post-merge: a failing run leaves the merge exactly as git made it', GIT_TIMEOUT, () => {
  it('a post-merge that fails (an invalid hooks.yaml) leaves files, index and status as a merge without the hooks', async () => {
    const repo = await makeTestRepo({ committed: true });
    await repo.git(['checkout', '-q', '-b', 'side']);
    repo.write('packages/side.py', 'side\n');
    await repo.git(['add', '--', 'packages/side.py']);
    const committed = await repo.user(['commit', '-q', '-m', 'side']);
    expect(committed.exitCode, committed.stderr).toBe(0);
    await repo.git(['checkout', '-q', 'main']);
    repo.write('.parac/config/hooks.yaml', 'post_merge: maybe\n');
    // The same repository, merged without the hooks: what git alone leaves.
    const plain = testRepo(join(tempDir('paracle-plain-'), 'repo'));
    cpSync(repo.dir, plain.dir, { recursive: true, verbatimSymlinks: true });

    const merged = await repo.user(['merge', '-q', '--ff-only', 'side']);
    const without = await plain.user(['merge', '-q', '--ff-only', 'side'], { env: { PARACLE: '0' } });
    expect(without.exitCode, without.stderr).toBe(0);
    expect(paracleLines(merged.stderr), merged.stderr).toEqual([expect.stringContaining('hooks.yaml')]);
    expect(await snapshot(repo)).toEqual(await snapshot(plain));
    expect(await repo.head()).toBe(await plain.head());
  });
});

describe('pre-commit: another command failing after paracle\u2019s step', GIT_TIMEOUT, () => {
  const forms: Array<{ name: string; commit: (paths: string[]) => string[] }> = [
    { name: 'git commit', commit: () => ['commit', '-q', '-m', 'two'] },
    { name: 'git commit -a', commit: () => ['commit', '-q', '-a', '-m', 'two'] },
    { name: 'git commit <paths>', commit: (paths) => ['commit', '-q', '-m', 'two', '--', ...paths] },
  ];
  for (const form of forms) {
    it(`${form.name}: a lint-staged-style command exits 1 after paracle; the retry (one more file) commits HEAD\u2019s revision + 1 with a clean tree`, async () => {
      const repo = await repoWithStagedChange();
      const head = await revisionAt(repo, 'HEAD');
      const logBefore = readFileSync(join(repo.dir, LOG_REL), 'utf8');
      const hook = join(repo.dir, '.husky', 'pre-commit');
      const original = readFileSync(hook, 'utf8');
      // Kept out of `commit -a`: the hook file is not what the test commits.
      appendFileSync(hook, '\necho "lint: 1 problem" >&2\nexit 1\n');
      await repo.git(['update-index', '--assume-unchanged', '--', '.husky/pre-commit']);

      const failed = await repo.user(form.commit(['packages/core/app.py']));
      expect(failed.exitCode).not.toBe(0);
      expect(failed.stderr).toContain('lint: 1 problem');
      expect(paracleLines(failed.stderr)).toEqual([expect.stringContaining(`rev ${head} → ${head + 1}`)]);
      expect(await revisionAt(repo, 'HEAD')).toBe(head);

      // The lint problem fixed, and one more file in the commit: the state's data differs from the stopped run's.
      writeFileSync(hook, original);
      repo.write('docs/fix.md', 'fixed\n');
      await repo.git(['add', '--', 'docs/fix.md']);
      const retry = await repo.user(form.commit(['packages/core/app.py', 'docs/fix.md']));
      expect(retry.exitCode, retry.stderr).toBe(0);
      expect(paracleLines(retry.stderr)).toEqual([expect.stringContaining(`rev ${head} → ${head + 1}`)]);
      expect(await revisionAt(repo, 'HEAD')).toBe(head + 1);
      expect(await repo.show(`HEAD:${STATE_REL}`)).toBe(repo.read(STATE_REL));
      expect(await repo.show(`HEAD:${CHANGELOG_REL}`)).toBe(repo.read(CHANGELOG_REL));
      expect((await repo.git(['status', '--porcelain', '--untracked-files=all'])).stdout).toBe('');
      // The stopped run's audit entry is gone: the log holds the retry's entry only.
      const added = readFileSync(join(repo.dir, LOG_REL), 'utf8').slice(logBefore.length).split('\n').filter(Boolean);
      expect(added.map((line) => JSON.parse(line).revision)).toEqual([head + 1]);
    });
  }

  it('a state written by something else after the stopped commit is never undone: the retry builds on it', async () => {
    const repo = await repoWithStagedChange();
    const head = await revisionAt(repo, 'HEAD');
    const hook = join(repo.dir, '.husky', 'pre-commit');
    const original = readFileSync(hook, 'utf8');
    appendFileSync(hook, '\nexit 1\n');
    await repo.git(['update-index', '--assume-unchanged', '--', '.husky/pre-commit']);
    expect((await repo.user(['commit', '-q', '-m', 'two'])).exitCode).not.toBe(0);

    // A session recorded between the stopped commit and the retry: its revision stays, the retry writes above it.
    const session = await repo.paracle(['session', 'end', '--progress', '42']);
    expect(session.exitCode, session.stderr).toBe(0);
    writeFileSync(hook, original);
    const retry = await repo.user(['commit', '-q', '-a', '-m', 'two']);
    expect(retry.exitCode, retry.stderr).toBe(0);
    // The stopped run's revision (head + 1) and the session's (head + 2) stay; the retry has nothing new to add.
    expect(await revisionAt(repo, 'HEAD')).toBe(head + 2);
    expect(await repo.show(`HEAD:${STATE_REL}`)).toContain('42%');
    expect((await repo.git(['status', '--porcelain', '--untracked-files=all'])).stdout).toBe('');
  });

  it('a commit git aborts for an empty message (after pre-commit ran): the next commit writes HEAD\u2019s revision + 1', async () => {
    const repo = await repoWithStagedChange();
    const head = await revisionAt(repo, 'HEAD');
    const aborted = await repo.user(['commit', '-q', '-m', '']);
    expect(aborted.exitCode).not.toBe(0);
    expect(aborted.stderr).toContain('empty commit message');

    // One more file: the retry's state differs from the aborted run's, so it must write, and write HEAD's + 1.
    repo.write('docs/fix.md', 'fixed\n');
    await repo.git(['add', '--', 'docs/fix.md']);
    const retry = await repo.user(['commit', '-q', '-m', 'two']);
    expect(retry.exitCode, retry.stderr).toBe(0);
    expect(paracleLines(retry.stderr)).toEqual([expect.stringContaining(`rev ${head} → ${head + 1}`)]);
    expect(await revisionAt(repo, 'HEAD')).toBe(head + 1);
    expect((await repo.git(['status', '--porcelain', '--untracked-files=all'])).stdout).toBe('');
  });
});

const server = new RedisServer();
describeWithRedis(
  'with a shared engine (Redis)',
  server,
  () => {
    it('a step failing before the shared commit: nothing reaches Redis, every file as before, the retry writes HEAD + 1 through it', async () => {
      const env = { PARACLE_REDIS_URL: server.url, PARACLE_REDIS_PREFIX: `failure-${process.pid}` };
      const repo = await repoWithStagedChange();
      const seeded = await repo.paracle(['engine', 'seed'], { env });
      expect(seeded.exitCode, seeded.stderr).toBe(0);
      const head = await revisionAt(repo, 'HEAD');
      const shared = async () => JSON.parse((await repo.paracle(['engine', 'status', '--json'], { env })).stdout).head as number;
      const sharedBefore = await shared();
      const changelogFault = FAULTS.find((f) => f.step === 'changelog')!;
      await changelogFault.make(repo);
      const before = await snapshot(repo);
      const failed = await repo.user(['commit', '-q', '-m', 'two'], { env });
      expect(failed.exitCode).not.toBe(0);
      const lines = paracleLines(failed.stderr);
      expect(lines, failed.stderr).toHaveLength(1);
      expect(lines[0]).toContain('pre-commit: changelog failed for .parac/changelog.md');
      expect(lines[0]).toContain('nothing was changed');
      expect(await snapshot(repo)).toEqual(before);
      expect(await shared()).toBe(sharedBefore);

      await changelogFault.fix(repo);
      const retry = await repo.user(['commit', '-q', '-m', 'two'], { env });
      expect(retry.exitCode, retry.stderr).toBe(0);
      expect(await revisionAt(repo, 'HEAD')).toBe(head + 1);
      expect(await shared()).toBe(head + 1);
      expect((await repo.git(['status', '--porcelain', '--untracked-files=all'])).stdout).toBe('');
    });
  },
  GIT_TIMEOUT,
);
