import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { STATE_REL } from './support/git-repo.js';
import { makePackedRepo, type PackedRepo, packedRepoAt, removeScratchFolders, runCommand, scratchDir } from './support/packed-repo.js';

/**
 * Issue 22: a linked worktree has no node_modules, so post-checkout says once how to run the CLI
 * there; a sparse checkout whose cone leaves out `.husky/` or `.parac/` is named at install and by
 * the hooks, instead of commits going unrecorded without a word. Real git, hooks from the tarball.
 */

afterAll(removeScratchFolders);

function revision(repo: PackedRepo): number {
  return parseStateText(repo.read(STATE_REL), STATE_REL).revision;
}

async function commitPackage(repo: PackedRepo, name: string) {
  repo.write(`packages/${name}`, `${name}\n`);
  await repo.git(['add', '--', `packages/${name}`]);
  return repo.user(['commit', '-q', '-m', `add ${name}`]);
}

const RUN_HERE = /^paracle: this worktree has no node_modules; run paracle here as: node '([^']+)' <command>$/m;

describe('a linked worktree', () => {
  it('git worktree add prints once how to run the CLI there, and that command works on the worktree’s own state', async () => {
    const repo = await makePackedRepo();
    const worktree = join(scratchDir('paracle-linked-'), 'feature');
    const add = await repo.user(['worktree', 'add', '-q', '-b', 'feature', worktree]);
    expect(add.exitCode, add.stderr).toBe(0);
    expect(add.stderr.match(new RegExp(RUN_HERE.source, 'gm'))).toHaveLength(1);
    const bin = RUN_HERE.exec(add.stderr)![1]!;
    expect(bin).toBe(join(repo.packageDir, 'dist', 'cli', 'bin.js'));

    const linked = packedRepoAt(worktree);
    const status = await runCommand('node', [bin, 'status'], { cwd: worktree });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toContain(`revision      ${revision(linked)}`);

    // Later checkouts in the worktree say nothing more.
    const switchBack = await linked.user(['checkout', '-q', '-b', 'other']);
    expect(switchBack.exitCode, switchBack.stderr).toBe(0);
    expect(switchBack.stderr).toBe('');
    // The main worktree has node_modules: a checkout there prints nothing either.
    const main = await repo.user(['checkout', '-q', '-b', 'main-2']);
    expect(main.stderr).toBe('');
  });
});

describe('a sparse checkout (cone mode)', () => {
  it('leaving out .husky/ and .parac/: install names both with the command that brings them back; the hook then names .parac/ on every commit', async () => {
    const repo = await makePackedRepo();
    const sparse = await repo.user(['sparse-checkout', 'set', '--cone', 'packages']);
    expect(sparse.exitCode, sparse.stderr).toBe(0);
    expect(existsSync(join(repo.dir, '.husky'))).toBe(false);
    expect(existsSync(join(repo.dir, '.parac'))).toBe(false);

    const install = await repo.paracle(['install']);
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stderr).toBe(
      'paracle: warning: the sparse checkout leaves out .husky/ and .parac/: commits in this worktree are not recorded in current_state.yaml; include them: git sparse-checkout add .husky .parac\n',
    );
    expect(install.stdout).not.toContain('no .parac/ folder found yet');
    expect((await repo.git(['status', '--porcelain'])).stdout).toBe('');

    const commit = await commitPackage(repo, 'sparse.py');
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect(commit.stderr).toBe(
      'paracle: warning: the sparse checkout leaves out .parac/: this commit is not recorded in current_state.yaml; include it: git sparse-checkout add .parac\n',
    );
    expect((await repo.git(['status', '--porcelain'])).stdout).toBe('');

    // Following the advice: the next commit is recorded again.
    const before = parseStateText((await repo.show(`HEAD:${STATE_REL}`))!, STATE_REL).revision;
    expect((await repo.user(['sparse-checkout', 'add', '.husky', '.parac'])).exitCode).toBe(0);
    const tracked = await commitPackage(repo, 'full.py');
    expect(tracked.exitCode, tracked.stderr).toBe(0);
    expect(tracked.stderr).toContain(`rev ${before} → ${before + 1}`);
    expect((await repo.git(['status', '--porcelain'])).stdout).toBe('');
  });

  it('a cone that keeps .husky/ and .parac/ gets no warning, and an ordinary repository without .parac/ stays silent', async () => {
    const repo = await makePackedRepo();
    expect((await repo.user(['sparse-checkout', 'set', '--cone', 'packages', '.husky', '.parac'])).exitCode).toBe(0);
    const install = await repo.paracle(['install']);
    expect(install.stderr).toBe('');
    const commit = await commitPackage(repo, 'kept.py');
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect(commit.stderr).not.toContain('warning');
    expect(commit.stderr).toContain('rev ');

    const plain = await makePackedRepo();
    await plain.git(['rm', '-r', '-q', '--', '.parac']);
    expect((await plain.user(['commit', '-q', '-m', 'no state'])).stderr).toBe('');
  });
});
