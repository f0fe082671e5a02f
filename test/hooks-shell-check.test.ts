import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { HUSKY_WRAPPER } from '../src/hooks-install/hook-script.js';
import { globPatterns, stagedPathspecs } from '../src/hooks-install/staged-path-check.js';
import { DEFAULT_AREAS } from '../src/tasks/changes-by-area.js';
import { matcherFor } from '../src/tasks/path-glob.js';
import { tempDir } from './support/fixtures.js';
import { PROJECT_ROOT, STATE_REL, gitSync, makeTestRepo, runNode, type RunResult, type TestRepo } from './support/git-repo.js';

/**
 * The pre-commit hook's shell check (docs/hooks.md): a commit that stages nothing where pre-commit
 * looks does not start node; everything else does, as before. Whether node started is observed, not
 * mocked: PATH's first `node` is a script that writes a line to a file and then runs the real node.
 */

interface ObservedRepo extends TestRepo {
  /** `git commit …` (or any git command) with the observing PATH; how many times the pre-commit hook's node started. */
  observed(args: readonly string[], env?: Record<string, string>): Promise<RunResult & { hookNodeStarts: number }>;
}

/** A PATH whose `node` (or another program) writes its arguments to a file, then runs the real one. */
function nodeObserver(program = 'node', real = process.execPath): { path: string; starts: () => string[] } {
  const bin = tempDir('paracle-observer-');
  const log = join(bin, 'started.log');
  writeFileSync(join(bin, program), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(join(bin, program), 0o755);
  return {
    path: `${bin}${delimiter}${process.env.PATH}`,
    starts: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
  };
}

async function observedRepo(repo?: TestRepo): Promise<ObservedRepo> {
  const base = repo ?? (await makeTestRepo({ committed: true }));
  const observer = nodeObserver();
  return {
    ...base,
    observed: async (args, env = {}) => {
      const before = observer.starts().length;
      const result = await base.user(args, { env: { PATH: observer.path, ...env } });
      const hookNodeStarts = observer
        .starts()
        .slice(before)
        .filter((line) => line.includes('hooks/pre-commit.cjs')).length;
      return { ...result, hookNodeStarts };
    },
  };
}

async function revisionAt(repo: TestRepo, rev = 'HEAD'): Promise<number> {
  return parseStateText((await repo.show(`${rev}:${STATE_REL}`))!, STATE_REL).revision;
}

async function porcelain(repo: TestRepo): Promise<string> {
  return (await repo.git(['status', '--porcelain'])).stdout;
}

describe('the pre-commit shell check', () => {
  it('a commit outside the watched areas does not start node; one inside does, and updates the state in the commit', async () => {
    const repo = await observedRepo();
    const revision = await revisionAt(repo);
    repo.write('README.md', '# readme\n');
    repo.write('notes/todo.txt', 'x\n');
    await repo.git(['add', '-A']);
    const outside = await repo.observed(['commit', '-q', '-m', 'readme']);
    expect(outside.exitCode, outside.stderr).toBe(0);
    expect(outside.stderr).toBe('');
    expect(outside.hookNodeStarts).toBe(0);
    expect(await revisionAt(repo)).toBe(revision);
    expect(await porcelain(repo)).toBe('');

    repo.write('packages/core/app.py', 'print("two")\n');
    await repo.git(['add', '-A']);
    const inside = await repo.observed(['commit', '-q', '-m', 'app']);
    expect(inside.exitCode, inside.stderr).toBe(0);
    expect(inside.hookNodeStarts).toBe(1);
    expect(inside.stderr).toContain(`rev ${revision} → ${revision + 1} (packages: 1)`);
    expect(await revisionAt(repo)).toBe(revision + 1);
    expect(await porcelain(repo)).toBe('');
  });

  it('anything staged under a .parac/ starts node: a staged lock file is refused as before', async () => {
    const repo = await observedRepo();
    const head = await repo.head();
    repo.write('.parac/memory/context/current_state.yaml.lock', '');
    await repo.git(['add', '-f', '--', '.parac/memory/context/current_state.yaml.lock']);
    const result = await repo.observed(['commit', '-q', '-m', 'lock file']);
    expect(result.hookNodeStarts).toBe(1);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('refusing to commit the state lock or temp file');
    expect(await repo.head()).toBe(head);
  });

  it('a config changed after install (a new area) is never skipped: node runs until install writes the new list', async () => {
    const repo = await observedRepo();
    const hookBefore = repo.read('.husky/pre-commit');
    repo.write('.parac/config/hooks.yaml', 'areas:\n  scripts: [scripts/]\n');
    // Not even staged: the hook compares the file as it is with the copy install made.
    repo.write('scripts/build.sh', 'echo build\n');
    await repo.git(['add', '--', 'scripts/build.sh']);
    const stale = await repo.observed(['commit', '-q', '-m', 'script']);
    expect(stale.exitCode, stale.stderr).toBe(0);
    expect(stale.hookNodeStarts).toBe(1);
    expect(parseStateText((await repo.show(`HEAD:${STATE_REL}`))!, STATE_REL).data.recent_changes).toEqual([
      { area: 'scripts', count: 1, files: ['scripts/build.sh'] },
    ]);
    // A commit outside every area still starts node while the list is stale.
    repo.write('README.md', 'x\n');
    await repo.git(['add', '--', 'README.md']);
    expect((await repo.observed(['commit', '-q', '-m', 'readme'])).hookNodeStarts).toBe(1);

    const install = await repo.paracle(['install']);
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain('.husky/pre-commit: updated');
    expect(repo.read('.husky/pre-commit')).not.toBe(hookBefore);
    repo.write('README.md', 'y\n');
    await repo.git(['add', '--', 'README.md']);
    expect((await repo.observed(['commit', '-q', '-m', 'readme again'])).hookNodeStarts).toBe(0);
    // packages/ is no longer watched (the config replaces the default areas), scripts/ is.
    repo.write('packages/core/app.py', 'print("not watched")\n');
    await repo.git(['add', '-A', 'packages']);
    expect((await repo.observed(['commit', '-q', '-m', 'packages'])).hookNodeStarts).toBe(0);
    repo.write('scripts/build.sh', 'echo again\n');
    await repo.git(['add', '-A', 'scripts']);
    expect((await repo.observed(['commit', '-q', '-m', 'script again'])).hookNodeStarts).toBe(1);
    // Only what the test itself left uncommitted.
    expect(await porcelain(repo)).toBe(' M .husky/pre-commit\n?? .parac/config/\n');
  });

  it("git's pathspec switches do not turn the check's globs into literal paths", async () => {
    const repo = await observedRepo();
    // `git --literal-pathspecs` exports GIT_LITERAL_PATHSPECS=1 to the hooks it runs.
    for (const [args, env] of [
      [['--literal-pathspecs'], {}],
      [[], { GIT_NOGLOB_PATHSPECS: '1' }],
      [[], { GIT_ICASE_PATHSPECS: '1' }],
    ] as const) {
      repo.write('packages/core/app.py', `print(${JSON.stringify(env)})\n`);
      await repo.git(['add', '-A']);
      // Whether node's own git calls then succeed is node's business; the check must not skip it.
      const result = await repo.observed([...args, 'commit', '-q', '-m', 'switches'], env);
      expect(result.hookNodeStarts, JSON.stringify([args, env])).toBe(1);
    }
  });

  it('a .parac/ replaced by a symlink after install starts node (its files have other names in the index)', async () => {
    const repo = await observedRepo();
    mkdirSync(join(repo.dir, 'shared'));
    renameSync(join(repo.dir, '.parac'), join(repo.dir, 'shared', 'parac'));
    symlinkSync(join('shared', 'parac'), join(repo.dir, '.parac'), 'dir');
    await repo.git(['add', '-A']);
    expect((await repo.observed(['commit', '-q', '-m', 'state moved'])).exitCode).toBe(0);
    const head = await repo.head();
    // Conflict markers staged under the real name: refused by node, as before.
    const real = 'shared/parac/memory/context/current_state.yaml';
    repo.write(real, `<<<<<<< ours\n${repo.read(real)}=======\nrevision: 1\n>>>>>>> theirs\n`);
    await repo.git(['add', '--', real]);
    const result = await repo.observed(['commit', '-q', '-m', 'markers']);
    expect(result.hookNodeStarts).toBe(1);
    expect(result.exitCode).not.toBe(0);
    expect(await repo.head()).toBe(head);
  });

  it('another toolkit version than install saw starts node', async () => {
    const repo = await observedRepo();
    // node_modules/paracle-hooks as a folder of its own, the same code under another version number.
    const toolkit = join(repo.dir, 'node_modules', 'paracle-hooks');
    rmSync(toolkit);
    mkdirSync(toolkit);
    for (const entry of ['hooks', 'dist']) symlinkSync(join(PROJECT_ROOT, entry), join(toolkit, entry), 'dir');
    const pkg = readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8');
    writeFileSync(join(toolkit, 'package.json'), pkg.replace(/"version": "[^"]*"/, '"version": "99.0.0"'));
    repo.write('README.md', 'x\n');
    await repo.git(['add', '--', 'README.md']);
    expect((await repo.observed(['commit', '-q', '-m', 'readme'])).hookNodeStarts).toBe(1);
  });

  it('a PARACLE_TIMEOUT other than whole seconds starts node, which checks it as before', async () => {
    const repo = await observedRepo();
    repo.write('README.md', 'x\n');
    await repo.git(['add', '--', 'README.md']);
    const bad = await repo.observed(['commit', '-q', '-m', 'readme'], { PARACLE_TIMEOUT: 'abc' });
    expect(bad.hookNodeStarts).toBe(1);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain('PARACLE_TIMEOUT takes a number of seconds, got "abc"');
    const plain = await repo.observed(['commit', '-q', '-m', 'readme'], { PARACLE_TIMEOUT: '30' });
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.hookNodeStarts).toBe(0);
  });

  it('commit -a and pathspec commits look at the index being committed, not .git/index', async () => {
    const repo = await observedRepo();
    const revision = await revisionAt(repo);
    // -a: the watched change was never staged by hand.
    repo.write('packages/core/app.py', 'print("all")\n');
    const all = await repo.observed(['commit', '-q', '-a', '-m', 'all']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.hookNodeStarts).toBe(1);
    expect(await revisionAt(repo)).toBe(revision + 1);

    // A pathspec commit of a watched file while .git/index stages only an unwatched one.
    repo.write('README.md', 'staged, not committed\n');
    await repo.git(['add', '--', 'README.md']);
    repo.write('packages/core/app.py', 'print("pathspec")\n');
    const only = await repo.observed(['commit', '-q', '-m', 'only app', '--', 'packages/core/app.py']);
    expect(only.exitCode, only.stderr).toBe(0);
    expect(only.hookNodeStarts).toBe(1);
    expect(await revisionAt(repo)).toBe(revision + 2);

    // And the other way round: a watched file staged, the commit names only an unwatched one.
    repo.write('packages/core/app.py', 'print("staged, not committed")\n');
    await repo.git(['add', '--', 'packages/core/app.py']);
    const readme = await repo.observed(['commit', '-q', '-m', 'only readme', '--', 'README.md']);
    expect(readme.exitCode, readme.stderr).toBe(0);
    expect(readme.hookNodeStarts).toBe(0);
    expect(await revisionAt(repo)).toBe(revision + 2);
    expect(await porcelain(repo)).toBe('M  packages/core/app.py\n');
  });

  it('--amend and the commit that concludes a merge start node when they stage a watched change', async () => {
    const repo = await observedRepo();
    repo.write('packages/core/amended.py', 'x\n');
    await repo.git(['add', '-A']);
    const amend = await repo.observed(['commit', '-q', '--amend', '--no-edit']);
    expect(amend.exitCode, amend.stderr).toBe(0);
    expect(amend.hookNodeStarts).toBe(1);
    expect((await repo.git(['show', '--name-only', '--format=', 'HEAD'])).stdout).toContain('packages/core/amended.py');
    repo.write('README.md', 'x\n');
    await repo.git(['add', '-A']);
    expect((await repo.observed(['commit', '-q', '--amend', '--no-edit'])).hookNodeStarts).toBe(0);

    await repo.git(['checkout', '-q', '-b', 'side']);
    repo.write('docs/side.md', 'side\n');
    await repo.git(['add', '-A']);
    expect((await repo.observed(['commit', '-q', '-m', 'side docs'])).hookNodeStarts).toBe(1);
    await repo.git(['checkout', '-q', 'main']);
    repo.write('notes.txt', 'main moves on\n');
    await repo.git(['add', '-A']);
    expect((await repo.observed(['commit', '-q', '-m', 'notes'])).hookNodeStarts).toBe(0);
    const merge = await repo.observed(['merge', '-q', '--no-ff', '--no-commit', 'side']);
    expect(merge.exitCode, merge.stderr).toBe(0);
    const concluded = await repo.observed(['commit', '-q', '--no-edit']);
    expect(concluded.exitCode, concluded.stderr).toBe(0);
    expect(concluded.hookNodeStarts).toBe(1);
    const recent = parseStateText((await repo.show(`HEAD:${STATE_REL}`))!, STATE_REL).data.recent_changes;
    expect(recent).toEqual([{ area: 'docs', count: 1, files: ['docs/side.md'] }]);
    expect(await porcelain(repo)).toBe('');
  });

  it('.parac/ in a project folder: the areas count from there; another folder’s packages/ does not start node', async () => {
    const repo = await makeTestRepo({ installed: false });
    mkdirSync(join(repo.dir, 'app'));
    for (const entry of ['package.json', 'node_modules', '.parac']) renameSync(join(repo.dir, entry), join(repo.dir, 'app', entry));
    repo.write('.gitignore', `${repo.read('.gitignore')}app/node_modules/\n`);
    expect((await repo.paracle(['install'], { cwd: join(repo.dir, 'app') })).exitCode).toBe(0);
    await repo.git(['add', '-A']);
    const observed = await observedRepo(repo);
    expect((await observed.observed(['commit', '-q', '-m', 'initial'])).exitCode).toBe(0);
    repo.write('packages/root-only.py', 'x\n');
    await repo.git(['add', '-A']);
    expect((await observed.observed(['commit', '-q', '-m', 'root packages'])).hookNodeStarts).toBe(0);
    repo.write('app/packages/app.py', 'x\n');
    await repo.git(['add', '-A']);
    const inside = await observed.observed(['commit', '-q', '-m', 'app packages']);
    expect(inside.hookNodeStarts).toBe(1);
    expect(inside.stderr).toContain('(packages: 1)');
  });

  it('a glob with no git form (a character class) leaves the check out: every commit starts node', async () => {
    const repo = await observedRepo();
    repo.write('.parac/config/hooks.yaml', 'areas:\n  versions: ["v[0-9]/"]\n');
    expect((await repo.paracle(['install'])).exitCode).toBe(0);
    expect(repo.read('.husky/pre-commit')).not.toContain('paracle_nothing_staged');
    repo.write('README.md', 'x\n');
    await repo.git(['add', '--', 'README.md']);
    expect((await repo.observed(['commit', '-q', '-m', 'readme'])).hookNodeStarts).toBe(1);
  });
});

describe("husky's wrappers", () => {
  const basenamePath = execFileSync('sh', ['-c', 'command -v basename'], { encoding: 'utf8' }).trim();

  it('a hook with no script exits before husky starts a process; a script added later runs at once', async () => {
    const repo = await makeTestRepo({ committed: true });
    expect(readFileSync(join(repo.dir, '.husky/_/commit-msg'), 'utf8')).not.toBe(HUSKY_WRAPPER);
    // husky's runner `h` runs `basename` once per hook it gets to: with the quick wrappers, only for pre-commit.
    const observer = nodeObserver('basename', basenamePath);
    const commit = async (message: string) => {
      repo.write('README.md', `${message}\n`);
      await repo.git(['add', '--', 'README.md']);
      const before = observer.starts().length;
      const result = await repo.user(['commit', '-q', '-m', message], { env: { PATH: observer.path } });
      expect(result.exitCode, result.stderr).toBe(0);
      return observer.starts().length - before;
    };
    expect(await commit('quick')).toBe(1);
    const marker = join(tempDir('paracle-marker-'), 'commit-msg-ran');
    repo.write('.husky/commit-msg', `echo "$1" > '${marker}'\n`);
    expect(await commit('with a commit-msg script')).toBe(2);
    expect(readFileSync(marker, 'utf8').trim()).toBe('.git/COMMIT_EDITMSG');
  });

  it('husky run again (npm install’s prepare) and then install: nothing changed', async () => {
    const repo = await makeTestRepo();
    const husky = await runNode([join(PROJECT_ROOT, 'node_modules', 'husky', 'bin.js'), '.husky'], repo.dir);
    expect(husky.exitCode, husky.stderr).toBe(0);
    expect(readFileSync(join(repo.dir, '.husky/_/commit-msg'), 'utf8')).toBe(HUSKY_WRAPPER);
    const again = await repo.paracle(['install']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe('paracle: hooks already installed; nothing changed\n');
    expect(readFileSync(join(repo.dir, '.husky/_/commit-msg'), 'utf8')).not.toBe(HUSKY_WRAPPER);
  });
});

describe('area globs as git pathspecs', () => {
  const paths = [
    'packages/a.py',
    'content/templates/t.md',
    'docs/d.md',
    'examples/e.py',
    'content/examples/x/e.py',
    'tests/t.py',
    'packages/deep/er/b.py',
    'packagesX/c.py',
    'content/docs/x.md',
    'docs.md',
    'x/docs/y.md',
    'roadmap.yaml',
    'a/b/roadmap.yml',
    'a/roadmap.md',
    'ROADMAP.md',
    'sub/ROADMAP.md',
    'a/.parac/roadmap/r.yaml',
    'src/server/main.ts',
    'db/schema.sql',
    'db/deep/schema.sql',
    'api/v1/x.ts',
    'api/v22/x.ts',
    'api/vé/x.ts',
    'ünïcode/é.md',
    'spaced dir/file name.txt',
    '.hidden/x',
  ];
  const globs = [
    ...DEFAULT_AREAS.flatMap((area) => area.paths),
    'src/server/',
    '**/*.sql',
    'db/*.sql',
    'api/v?/',
    'api/{v1,v2?}/x.ts',
    '/db/',
    'ünïcode/',
    'spaced dir/',
    '*.md',
    '**',
    '.hidden/*',
    'a/**/r*.y{a,}ml',
  ];

  it('match every path the area matches (git itself, on a real index)', () => {
    const dir = tempDir('paracle-pathspecs-');
    gitSync(dir, 'init', '-q');
    for (const path of paths) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), 'x\n');
    }
    gitSync(dir, 'add', '-A');
    for (const glob of globs) {
      const patterns = globPatterns(glob);
      expect(patterns, glob).not.toBeNull();
      const listed = gitSync(dir, '-c', 'core.quotePath=false', 'ls-files', '-z', '--', ...patterns!.map((p) => `:(top,glob)${p}`))
        .split('\0')
        .filter(Boolean);
      const ours = paths.filter(matcherFor([glob]));
      expect(ours.length, glob).toBeGreaterThan(0);
      for (const path of ours) expect(listed, `${glob} → ${patterns}`).toContain(path);
    }
  });

  it('a character class, a backslash or an unclosed brace has none; braces expand; the project folder is escaped', () => {
    expect(globPatterns('v[0-9]/')).toBeNull();
    expect(globPatterns('a\\*b')).toBeNull();
    expect(globPatterns('a{b,c')).toBeNull();
    expect(globPatterns('{a,b{c,d}}/x?')).toEqual(['a/x*', 'bc/x*', 'bd/x*']);
    expect(stagedPathspecs([{ name: 'a', paths: ['src/'], label: 'A' }], 'apps/we*rd')).toEqual([
      ':(top,glob)**/.parac/**',
      ':(top,glob)apps/we\\*rd/src/**',
    ]);
    expect(stagedPathspecs([{ name: 'a', paths: ['[ab]'], label: 'A' }], '')).toBeNull();
  });
});
