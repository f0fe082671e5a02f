import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/fixtures.js';
import { CHANGELOG_REL, LOG_REL, STATE_REL, makeTestRepo, testRepo, type TestRepo } from './support/git-repo.js';

/** `paracle hook …` by hand and in CI: the same code git runs, with --dry-run, --json, colour rules. */

const ESC = '\u001b[';

/** After the first commit (made on another day, see git-repo.ts); a package file staged. */
async function withStagedPackage(): Promise<TestRepo> {
  const repo = await makeTestRepo({ committed: true });
  repo.write('packages/core/app.py', 'print("dry")\n');
  await repo.git(['add', 'packages/core/app.py']);
  return repo;
}

/** A docs file staged too: the changelog gains a bullet, so the dry run shows two files. */
async function withStagedPackageAndDocs(): Promise<TestRepo> {
  const repo = await withStagedPackage();
  repo.write('docs/new.md', '# new\n');
  await repo.git(['add', 'docs/new.md']);
  return repo;
}

function copyOf(repo: TestRepo): TestRepo {
  const dir = tempDir('paracle-repo-copy-');
  cpSync(repo.dir, dir, { recursive: true, verbatimSymlinks: true });
  return testRepo(dir);
}

describe('paracle hook', () => {
  it('--dry-run prints the would-be change as a unified diff and writes nothing; the diff is exactly what a run writes', async () => {
    const repo = await withStagedPackageAndDocs();
    const twin = copyOf(repo);
    const state = repo.read(STATE_REL);
    const changelog = repo.read(CHANGELOG_REL);
    const index = (await repo.git(['ls-files', '--stage'])).stdout;
    const log = readFileSync(join(repo.dir, LOG_REL), 'utf8');

    const dry = await repo.paracle(['hook', 'pre-commit', '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout.startsWith(`--- a/${STATE_REL}\n+++ b/${STATE_REL}\n@@ `)).toBe(true);
    expect(dry.stdout.split('\n')).toEqual(expect.arrayContaining(['-revision: 12', '+revision: 13']));
    expect(dry.stdout).toContain('\n-  - area: roadmap\n+  - area: docs\n');
    expect(dry.stdout).toContain('\n+      - docs/new.md\n');
    expect(dry.stdout).toContain(`--- a/${CHANGELOG_REL}\n+++ b/${CHANGELOG_REL}\n`);
    expect(dry.stdout).toContain('\n+- Documentation updates\n');
    expect(dry.stdout).not.toContain(ESC);
    expect(repo.read(STATE_REL)).toBe(state);
    expect(repo.read(CHANGELOG_REL)).toBe(changelog);
    expect((await repo.git(['ls-files', '--stage'])).stdout).toBe(index);
    expect(readFileSync(join(repo.dir, LOG_REL), 'utf8')).toBe(log);

    // Applying the printed diff gives byte for byte what the real run writes in an identical copy.
    await repo.git(['apply', '--whitespace=nowarn', '-'], { input: dry.stdout });
    const real = await twin.paracle(['hook', 'pre-commit']);
    expect(real.exitCode, real.stderr).toBe(0);
    expect(real.stderr).toBe('paracle: current_state.yaml rev 12 → 13 (packages: 1, docs: 1), changelog.md updated\n');
    expect(repo.read(STATE_REL)).toBe(twin.read(STATE_REL));
    expect(repo.read(CHANGELOG_REL)).toBe(twin.read(CHANGELOG_REL));
  });

  it('by hand from a subfolder: finds the repository and .parac/, stages into the index like the hook', async () => {
    const repo = await withStagedPackage();
    mkdirSync(join(repo.dir, 'packages', 'core', 'deep'), { recursive: true });
    const result = await repo.paracle(['hook', 'pre-commit'], { cwd: join(repo.dir, 'packages', 'core', 'deep') });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await repo.show(`:${STATE_REL}`)).toBe(repo.read(STATE_REL));
    expect((await repo.git(['status', '--porcelain', '--', STATE_REL])).stdout).toBe(`M  ${STATE_REL}\n`);
  });

  it('NO_COLOR wins: colour only when forced or on a terminal, never with NO_COLOR set', async () => {
    const repo = await withStagedPackage();
    const forced = await repo.paracle(['hook', 'pre-commit', '--dry-run'], { env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain(`${ESC}32m+revision: 13`);
    const both = await repo.paracle(['hook', 'pre-commit', '--dry-run'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(both.stdout).not.toContain(ESC);
    expect(both.stdout).toBe(forced.stdout.replace(/\u001b\[\d+m/g, ''));

    const coloured = await copyOf(repo).user(['commit', '-q', '-m', 'colour'], { env: { FORCE_COLOR: '1' } });
    expect(coloured.stderr).toContain(ESC);
    const plain = await repo.user(['commit', '-q', '-m', 'plain'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stderr).not.toContain(ESC);
    // The same commit in an identical copy: the same line, only without colour.
    expect(plain.stderr).toMatch(/^paracle: current_state\.yaml rev 12 → 13 \(packages: 1\)/);
    expect(plain.stderr).toBe(coloured.stderr.replace(/\u001b\[\d+m/g, ''));
  });

  it('--json prints the outcome as one object; --quiet prints nothing', async () => {
    const repo = await withStagedPackage();
    const json = await copyOf(repo).paracle(['--json', 'hook', 'pre-commit']);
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      hook: 'pre-commit',
      kind: 'updated',
      revision: { from: 12, to: 13 },
      detail: 'packages: 1',
    });
    const quiet = await repo.paracle(['--quiet', 'hook', 'pre-commit']);
    expect(quiet.exitCode, quiet.stderr).toBe(0);
    expect(quiet.stdout + quiet.stderr).toBe('');
    expect(readFileSync(join(repo.dir, STATE_REL), 'utf8')).toContain('revision: 13');
  });

  it('silent with nothing staged in a watched area, and outside any .parac/ workspace', async () => {
    const repo = await makeTestRepo({ committed: true });
    const nothing = await repo.paracle(['hook', 'pre-commit']);
    expect(nothing).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    const bare = tempDir('paracle-bare-');
    await testRepo(bare).git(['init', '-q']);
    writeFileSync(join(bare, 'x.txt'), 'x');
    expect(await testRepo(bare).paracle(['hook', 'pre-commit'])).toEqual({ exitCode: 0, stdout: '', stderr: '' });
  });

  it('usage errors exit 2 with one line', async () => {
    const repo = await makeTestRepo({ committed: true });
    for (const args of [
      ['hook', 'pre-push'],
      ['hook', 'pre-commit', 'extra'],
      ['hook', 'post-merge', '2'],
    ]) {
      const result = await repo.paracle(args);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    }
  });

  it('post-merge by hand (and with --dry-run) checks and writes nothing', async () => {
    const repo = await makeTestRepo({ committed: true });
    const before = repo.read(STATE_REL);
    const log = readFileSync(join(repo.dir, LOG_REL), 'utf8');
    for (const args of [
      ['hook', 'post-merge', '0'],
      ['hook', 'post-merge', '0', '--dry-run'],
    ]) {
      const run = await repo.paracle(args);
      expect(run, args.join(' ')).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    }
    expect(repo.read(STATE_REL)).toBe(before);
    expect(readFileSync(join(repo.dir, LOG_REL), 'utf8')).toBe(log);
  });
});
