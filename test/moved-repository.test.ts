import { cpSync, existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { STATE_REL } from './support/git-repo.js';
import { makePackedRepo, type PackedRepo, packedRepoAt, removeScratchFolders, scratchDir } from './support/packed-repo.js';

/**
 * A repository with the hooks installed from the packed tarball keeps working after `mv` and
 * `cp -a`, linked worktrees run the hooks, and an install made with absolute paths (as earlier
 * versions wrote them) is repaired by installing again. Real git, real commits.
 */

afterAll(removeScratchFolders);

function revision(repo: PackedRepo): number {
  return parseStateText(repo.read(STATE_REL), STATE_REL).revision;
}

/** Stages a new file under packages/ and commits it with the hooks on. */
async function commitPackage(repo: PackedRepo, name: string, options: { cwd?: string } = {}) {
  const cwd = options.cwd ?? repo.dir;
  packedRepoAt(cwd).write(`packages/${name}`, `${name}\n`);
  await repo.git(['add', '--', `packages/${name}`], { cwd });
  return repo.user(['commit', '-q', '-m', `add ${name}`], { cwd });
}

async function config(repo: PackedRepo, key: string): Promise<string> {
  return (await repo.git(['config', '--get', key])).stdout.trim();
}

describe('a repository moved or copied after install', () => {
  it('git config holds only paths relative to the worktree', async () => {
    const repo = await makePackedRepo();
    expect(await config(repo, 'core.hooksPath')).toBe('.husky/_');
    const driver = await config(repo, 'merge.paracle-state.driver');
    expect(driver.startsWith('paracle_bin=node_modules/paracle-hooks/dist/cli/bin.js;')).toBe(true);
    expect(driver).not.toContain(repo.dir);
  });

  it('mv: commits in the moved repository still run its hooks', async () => {
    const repo = await makePackedRepo();
    const before = revision(repo);
    const moved = join(scratchDir('paracle-moved-'), 'elsewhere');
    renameSync(repo.dir, moved);
    const there = packedRepoAt(moved);
    const commit = await commitPackage(there, 'after-move.py');
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect(commit.stderr).toContain(`rev ${before} → ${before + 1}`);
    expect(revision(there)).toBe(before + 1);
    expect(parseStateText((await there.show(`HEAD:${STATE_REL}`))!, STATE_REL).revision).toBe(before + 1);
  });

  it('cp -a: the copy runs its own hooks on its own state; the original is untouched', async () => {
    const repo = await makePackedRepo();
    const before = revision(repo);
    const originalState = repo.read(STATE_REL);
    const originalStatus = (await repo.git(['status', '--porcelain'])).stdout;
    const copyDir = join(scratchDir('paracle-copy-'), 'copy');
    cpSync(repo.dir, copyDir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    const copy = packedRepoAt(copyDir);
    const commit = await commitPackage(copy, 'in-copy.py');
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect(commit.stderr).toContain(`rev ${before} → ${before + 1}`);
    expect(revision(copy)).toBe(before + 1);
    expect(repo.read(STATE_REL)).toBe(originalState);
    expect((await repo.git(['status', '--porcelain'])).stdout).toBe(originalStatus);
  });

  it('paracle install repairs a hooks path and driver written as absolute paths before the repository moved', async () => {
    const repo = await makePackedRepo();
    // What earlier versions of install wrote: absolute paths into the repository's old place.
    const oldPlace = '/home/someone/projects/app';
    await repo.git(['config', 'core.hooksPath', `${oldPlace}/.husky/_`]);
    await repo.git([
      'config',
      'merge.paracle-state.driver',
      `node ${oldPlace}/node_modules/paracle-hooks/dist/cli/bin.js merge-driver %O %A %B %P`,
    ]);
    const before = revision(repo);
    // git finds no hooks there and says nothing: the commit goes through without the update.
    const silent = await commitPackage(repo, 'unnoticed.py');
    expect(silent.exitCode, silent.stderr).toBe(0);
    expect(revision(repo)).toBe(before);

    const install = await repo.paracle(['install']);
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain(
      `paracle: core.hooksPath pointed at ${oldPlace}/.husky/_, outside this repository (it was moved or copied); repaired below`,
    );
    expect(install.stdout).toContain('paracle: husky set up in .husky/ (core.hooksPath = .husky/_');
    expect(install.stdout).toContain('paracle: git config merge.paracle-state.driver: current_state.yaml now merges');
    expect(await config(repo, 'core.hooksPath')).toBe('.husky/_');
    expect(await config(repo, 'merge.paracle-state.driver')).not.toContain(oldPlace);

    const commit = await commitPackage(repo, 'repaired.py');
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect(revision(repo)).toBe(before + 1);
  });

  it('a copy still pointing at the original’s hooks (an absolute path) is repaired to its own', async () => {
    const repo = await makePackedRepo();
    await repo.git(['config', 'core.hooksPath', join(repo.dir, '.husky', '_')]);
    const copyDir = join(scratchDir('paracle-copy-'), 'copy');
    cpSync(repo.dir, copyDir, { recursive: true, verbatimSymlinks: true });
    const copy = packedRepoAt(copyDir);
    const install = await copy.paracle(['install']);
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain(`core.hooksPath pointed at ${repo.dir}/.husky/_, outside this repository`);
    expect(await config(copy, 'core.hooksPath')).toBe('.husky/_');
    const originalState = repo.read(STATE_REL);
    const commit = await commitPackage(copy, 'copy-own.py');
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect(repo.read(STATE_REL)).toBe(originalState);
    expect(revision(copy)).toBe(revision(repo) + 1);
  });
});

describe('linked worktrees with relative hook paths', () => {
  it('git worktree add gets husky’s runner from post-checkout; its commits run the main worktree’s toolkit on its own state', async () => {
    const repo = await makePackedRepo();
    const mainState = repo.read(STATE_REL);
    const before = revision(repo);
    const worktree = join(scratchDir('paracle-linked-'), 'feature');
    const add = await repo.user(['worktree', 'add', '-q', '-b', 'feature', worktree]);
    expect(add.exitCode, add.stderr).toBe(0);
    expect(existsSync(join(worktree, '.husky', '_', 'h'))).toBe(true);
    expect(existsSync(join(worktree, 'node_modules'))).toBe(false);
    const linked = packedRepoAt(worktree);
    expect((await linked.git(['status', '--porcelain'])).stdout).toBe('');

    const commit = await commitPackage(repo, 'in-worktree.py', { cwd: worktree });
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect(commit.stderr).toContain(`rev ${before} → ${before + 1}`);
    expect(revision(linked)).toBe(before + 1);
    expect(repo.read(STATE_REL)).toBe(mainState);
  });

  it('install gives existing linked worktrees the runner, and a second install changes nothing', async () => {
    const repo = await makePackedRepo();
    const worktree = join(scratchDir('paracle-linked-'), 'old');
    // Made without checkout hooks, as a worktree made before install would be.
    expect((await repo.user(['worktree', 'add', '-q', '-b', 'old', worktree], { env: { PARACLE: '0', HUSKY: '0' } })).exitCode).toBe(0);
    expect(existsSync(join(worktree, '.husky', '_'))).toBe(false);
    const linked = packedRepoAt(worktree);
    const before = revision(linked);
    const silent = await commitPackage(repo, 'no-runner.py', { cwd: worktree });
    expect(silent.exitCode, silent.stderr).toBe(0);
    expect(revision(linked)).toBe(before);

    const install = await repo.paracle(['install']);
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toBe(`paracle: linked worktree ${worktree}: husky's runner copied to .husky/_, so its commits run the hooks\n`);
    expect((await repo.paracle(['install'])).stdout).toBe('paracle: hooks already installed; nothing changed\n');
    const commit = await commitPackage(repo, 'with-runner.py', { cwd: worktree });
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect(revision(linked)).toBe(before + 1);
  });
});
