import { copyFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGit } from '../src/git/run-git.js';
import { parseStateText } from '../src/document/document.js';
import { CHANGELOG_REL, STATE_REL } from './support/git-repo.js';
import { FIXTURES } from './support/fixtures.js';
import { configureIdentity, makePackedRepo, packedRepoAt, removeLater, removeScratchFolders, scratchDir } from './support/packed-repo.js';
import { copyPackedProject } from './support/packed-project.js';

/**
 * The project is not the repository: `.parac/` (with package.json) in a subfolder of a monorepo,
 * and a paracle project that is a git submodule of another repository. Real git, the toolkit
 * installed from the packed tarball.
 */

afterAll(removeScratchFolders);

type Data = Record<string, any>;

describe('watched areas in a monorepo', () => {
  it('match from the folder holding .parac/: app/packages/x.js is in packages, the root’s packages/y.js is not the project’s', async () => {
    const project = copyPackedProject('paracle-monorepo-');
    const top = dirname(project);
    removeLater(top);
    await runGit(['init', '-q', '-b', 'main'], { cwd: top, env: 'clean' });
    await configureIdentity(top);
    writeFileSync(join(top, '.gitignore'), 'node_modules/\n');
    for (const [from, to] of [
      ['current_state.yaml', STATE_REL],
      ['changelog.md', CHANGELOG_REL],
    ] as const) {
      mkdirSync(dirname(join(project, to)), { recursive: true });
      copyFileSync(join(FIXTURES, from), join(project, to));
    }
    const repo = packedRepoAt(top);
    const app = packedRepoAt(project);
    const install = await app.paracle(['install']);
    expect(install.exitCode, install.stderr).toBe(0);
    await repo.git(['add', '-A']);
    expect((await repo.user(['commit', '-q', '-m', 'initial'], { env: { PARACLE: '0' } })).exitCode).toBe(0);
    const state = `project/${STATE_REL}`;
    const revision = () => parseStateText(repo.read(state), state).revision;
    const before = revision();

    // Only the repository root's packages/: not this project's area, nothing to record.
    repo.write('packages/y.js', 'y\n');
    await repo.git(['add', '--', 'packages/y.js']);
    const outside = await repo.user(['commit', '-q', '-m', 'root package']);
    expect(outside.exitCode, outside.stderr).toBe(0);
    expect(outside.stderr).toBe('');
    expect(revision()).toBe(before);

    repo.write('project/packages/x.js', 'x\n');
    repo.write('project/docs/guide.md', 'guide\n');
    repo.write('packages/z.js', 'z\n');
    await repo.git(['add', '-A', '--', 'project/packages', 'project/docs', 'packages']);
    const inside = await repo.user(['commit', '-q', '-m', 'app package and docs']);
    expect(inside.exitCode, inside.stderr).toBe(0);
    expect(inside.stderr).toContain(`rev ${before} → ${before + 1} (packages: 1, docs: 1)`);
    const committed = parseStateText((await repo.show(`HEAD:${state}`))!, state).data as Data;
    // Paths as the areas name them: from the project folder.
    expect(committed.recent_changes).toEqual([
      { area: 'packages', count: 1, files: ['packages/x.js'] },
      { area: 'docs', count: 1, files: ['docs/guide.md'] },
    ]);
  });
});

describe('a paracle project that is a git submodule', () => {
  it('install sets up the hooks in the submodule (and writes nothing into git’s own folders); its commits run them', async () => {
    // makePackedRepo commits everything the install made; the audit log is a local, ignored record.
    const inner = await makePackedRepo();
    expect((await inner.git(['status', '--porcelain'])).stdout).toBe('');
    const top = join(scratchDir('paracle-super-'), 'super');
    mkdirSync(top);
    await runGit(['init', '-q', '-b', 'main'], { cwd: top, env: 'clean' });
    await configureIdentity(top);
    const superRepo = packedRepoAt(top);
    const add = await superRepo.user(['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', inner.dir, 'app']);
    expect(add.exitCode, add.stderr).toBe(0);
    expect((await superRepo.user(['commit', '-q', '-m', 'add the submodule'])).exitCode).toBe(0);

    const sub = join(top, 'app');
    await configureIdentity(sub);
    // The submodule's checkout has package.json but no node_modules (ignored): npm install would make it.
    cpSync(join(inner.dir, 'node_modules'), join(sub, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    const app = packedRepoAt(sub);
    const install = await app.paracle(['install']);
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain('paracle: husky set up in .husky/ (core.hooksPath = .husky/_');
    expect(install.stdout).not.toContain('linked worktree');
    expect((await app.git(['config', '--get', 'core.hooksPath'])).stdout.trim()).toBe('.husky/_');
    expect(existsSync(join(top, '.git', 'modules', 'app', '.husky'))).toBe(false);
    expect((await superRepo.user(['config', '--get', 'core.hooksPath'])).stdout).toBe('');

    const before = parseStateText(app.read(STATE_REL), STATE_REL).revision;
    app.write('packages/in-submodule.py', 'x\n');
    await app.git(['add', '--', 'packages/in-submodule.py']);
    const commit = await app.user(['commit', '-q', '-m', 'in the submodule']);
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect(commit.stderr).toContain(`rev ${before} → ${before + 1} (packages: 1)`);
    expect(parseStateText((await app.show(`HEAD:${STATE_REL}`))!, STATE_REL).revision).toBe(before + 1);
  });
});
