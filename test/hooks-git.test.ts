import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitCommandError } from '../src/errors.js';
import { readCommitSummary } from '../src/git/head-commit.js';
import { blobObjectId } from '../src/git/blob-id.js';
import { readIndexEntries } from '../src/git/index-files.js';
import { readRepoLayout } from '../src/git/repo-layout.js';
import { readFileAtRevision } from '../src/git/revision-files.js';
import { gitEnvironment, runGit } from '../src/git/run-git.js';
import { readWorkingTreeStatus, stagedPaths } from '../src/git/status.js';
import { tempDir } from './support/fixtures.js';
import { testRepo } from './support/git-repo.js';

/** The one door for git, against the real git binary in temp repositories. */

async function plainRepo() {
  const dir = tempDir('paracle-git-');
  const repo = testRepo(dir);
  await repo.git(['init', '-q', '-b', 'main']);
  for (const [k, v] of [
    ['user.name', 'T'],
    ['user.email', 't@t.invalid'],
    ['commit.gpgsign', 'false'],
  ]) {
    await repo.git(['config', k!, v!]);
  }
  return repo;
}

describe('the git door', () => {
  it('clean drops the hook variables, hook keeps them, indexFile overrides', () => {
    const base = { GIT_INDEX_FILE: '/x/index.lock', GIT_DIR: '/x', GIT_WORK_TREE: '/w', KEEP: '1' };
    const clean = gitEnvironment({ env: 'clean' }, base);
    expect([clean.GIT_INDEX_FILE, clean.GIT_DIR, clean.GIT_WORK_TREE, clean.KEEP]).toEqual([undefined, undefined, undefined, '1']);
    expect(gitEnvironment({ env: 'hook' }, base)).toMatchObject({ GIT_INDEX_FILE: '/x/index.lock', GIT_DIR: '/x' });
    expect(gitEnvironment({ env: 'clean', indexFile: '/y' }, base).GIT_INDEX_FILE).toBe('/y');
    expect(gitEnvironment({ env: 'hook', extraEnv: { KEEP: undefined, NEW: 'n' } }, base)).toMatchObject({ NEW: 'n' });
    expect(gitEnvironment({ env: 'hook', extraEnv: { KEEP: undefined } }, base).KEEP).toBeUndefined();
  });

  it('a stray GIT_DIR from a surrounding hook cannot redirect a clean call', async () => {
    const repo = await plainRepo();
    const elsewhere = await plainRepo();
    const gitDir = async (env: 'clean' | 'hook') =>
      (await runGit(['rev-parse', '--absolute-git-dir'], { cwd: repo.dir, env })).stdout.trim();
    process.env.GIT_DIR = join(elsewhere.dir, '.git');
    try {
      expect(await gitDir('clean')).toBe(join(repo.dir, '.git'));
      expect(await gitDir('hook')).toBe(join(elsewhere.dir, '.git'));
    } finally {
      delete process.env.GIT_DIR;
    }
  });

  it('failures are GitCommandError with the command, exit code, git’s message and a cause when spawning failed', async () => {
    const repo = await plainRepo();
    const error = await runGit(['rev-parse', '--verify', 'no-such-ref'], { cwd: repo.dir, env: 'clean' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitCommandError);
    expect(error).toMatchObject({ code: 'GIT_FAILED', exitCode: 128, args: ['rev-parse', '--verify', 'no-such-ref'] });
    expect((error as Error).message).toMatch(/^git rev-parse failed \(exit 128\): fatal: /);
    const missing = await runGit(['status'], { cwd: repo.dir, env: 'clean', extraEnv: { PATH: '/nonexistent' } }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(GitCommandError);
    expect((missing as Error).message).toContain('could not run git status');
    expect(((missing as Error).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect((await runGit(['rev-parse', '--verify', '-q', 'nope'], { cwd: repo.dir, env: 'clean', okExitCodes: [1] })).exitCode).toBe(1);
  });

  it('paths are literal: a file named like a glob is just that file', async () => {
    const repo = await plainRepo();
    writeFileSync(join(repo.dir, '*.py'), 'star');
    writeFileSync(join(repo.dir, 'a.py'), 'a');
    await runGit(['add', '--', '*.py'], { cwd: repo.dir, env: 'clean' });
    expect(stagedPaths(await readWorkingTreeStatus(repo.dir, 'clean'))).toEqual(['*.py']);
  });

  it('status: branch, HEAD, renames by new name, odd names exactly', async () => {
    const repo = await plainRepo();
    const initial = await readWorkingTreeStatus(repo.dir, 'clean');
    expect(initial).toMatchObject({ headOid: null, branch: 'main' });
    mkdirSync(join(repo.dir, 'p'));
    writeFileSync(join(repo.dir, 'p', 'old name.txt'), 'same content for rename detection\n'.repeat(20));
    await repo.git(['add', '-A']);
    await repo.git(['commit', '-q', '-m', 'one']);
    await repo.git(['mv', 'p/old name.txt', 'p/nëw\nname.txt']);
    writeFileSync(join(repo.dir, 'p', 'tab\there.txt'), 'x');
    const status = await readWorkingTreeStatus(repo.dir, 'clean');
    expect(status.headOid).toMatch(/^[0-9a-f]{40}$/);
    expect(stagedPaths(status)).toEqual(['p/nëw\nname.txt']);
    expect(status.entries.find((e) => e.kind === 'renamed')?.originalPath).toBe('p/old name.txt');
    expect(status.entries.find((e) => e.kind === 'untracked')?.path).toBe('p/tab\there.txt');
    await repo.git(['checkout', '-q', '--detach']);
    expect((await readWorkingTreeStatus(repo.dir, 'clean')).branch).toBeNull();
  });

  it('index entries, blob ids computed here equal git’s, files at revisions', async () => {
    const repo = await plainRepo();
    const text = 'ünïcødé ✓\nline\n';
    writeFileSync(join(repo.dir, 'f.txt'), text);
    await repo.git(['add', 'f.txt']);
    const entries = await readIndexEntries({ cwd: repo.dir, env: 'clean' }, ['f.txt', 'missing.txt']);
    expect([...entries.keys()]).toEqual(['f.txt']);
    const oid = entries.get('f.txt')!.oid;
    expect(blobObjectId(text, oid)).toBe(oid);
    expect(blobObjectId(text, oid)).toBe((await repo.git(['hash-object', '--stdin'], { input: text })).stdout.trim());
    // Another index, named explicitly.
    copyFileSync(join(repo.dir, '.git', 'index'), join(repo.dir, '.git', 'other-index'));
    await repo.git(['rm', '-q', '--cached', 'f.txt']);
    expect((await readIndexEntries({ cwd: repo.dir, env: 'clean' }, ['f.txt'])).size).toBe(0);
    expect(
      (await readIndexEntries({ cwd: repo.dir, env: 'clean', indexFile: join(repo.dir, '.git', 'other-index') }, ['f.txt'])).size,
    ).toBe(1);

    await repo.git(['add', 'f.txt']);
    await repo.git(['commit', '-q', '-m', 'subject line']);
    expect(await readFileAtRevision(repo.dir, 'clean', 'HEAD', 'f.txt')).toBe(text);
    expect(await readFileAtRevision(repo.dir, 'clean', 'HEAD', 'nope.txt')).toBeNull();
    expect(await readFileAtRevision(repo.dir, 'clean', 'HEAD^2', 'f.txt')).toBeNull();
    const summary = await readCommitSummary(repo.dir, 'clean');
    expect(summary?.subject).toBe('subject line');
    expect((await repo.git(['rev-parse', 'HEAD'])).stdout.startsWith(summary!.shortHash)).toBe(true);
  });

  it('layout: a linked worktree knows its main worktree', async () => {
    const repo = await plainRepo();
    await repo.git(['commit', '-q', '--allow-empty', '-m', 'one']);
    const wt = join(tempDir('paracle-worktree-'), 'linked');
    await repo.git(['worktree', 'add', '-q', wt]);
    const main = await readRepoLayout(repo.dir, 'clean');
    const linked = await readRepoLayout(wt, 'clean');
    expect(main).toMatchObject({ topLevel: repo.dir, mainWorktree: repo.dir, isLinkedWorktree: false });
    expect(linked).toMatchObject({ topLevel: wt, mainWorktree: repo.dir, isLinkedWorktree: true, commonDir: join(repo.dir, '.git') });
  });
});
