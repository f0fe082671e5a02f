import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGit, type GitResult } from '../../src/git/run-git.js';
import { localDate } from '../../src/state/model.js';
import { FIXTURES, tempDir } from './fixtures.js';

/**
 * THE way tests get a git repository: a temp repo as a user of paracle-hooks would have it — a
 * fixed identity, gpg signing and gc off, a package.json with paracle-hooks installed in
 * node_modules (a symlink to this checkout, whose dist/ must be built), the hooks installed by the
 * real `paracle install`, and the real fixture state, changelog and roadmap copied into .parac/.
 * Nothing is committed yet, so a test can make the initial commit itself.
 *
 * The first call builds a template (running `paracle install` once); every repo after that is a
 * copy, used as it is: install writes only relative paths into git's config (see install.ts), so a
 * copied repository runs its own hooks and merge driver.
 * The `committed` template's first commit is made on another day than the tests run on (in a time
 * zone whose date differs from the suite's UTC), so no test can depend on the template having been
 * built the same day: a run that crosses midnight is what every run looks like.
 *
 * Tests never touch this checkout's own repository; test/support/environment.ts keeps every git
 * variable of a surrounding hook and the developer's global config away from the temp repos.
 */

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(PROJECT_ROOT, 'dist', 'cli', 'bin.js');
export const STATE_REL = '.parac/memory/context/current_state.yaml';
export const CHANGELOG_REL = '.parac/changelog.md';

/** A project's `.gitignore` (node_modules/) and the real paracle state, changelog and roadmap in their places. */
export function writeProjectFiles(dir: string): void {
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
  for (const [from, to] of [
    ['current_state.yaml', STATE_REL],
    ['changelog.md', CHANGELOG_REL],
    ['roadmap.yaml', '.parac/roadmap/roadmap.yaml'],
  ] as const) {
    mkdirSync(dirname(join(dir, to)), { recursive: true });
    copyFileSync(join(FIXTURES, from), join(dir, to));
  }
}

export const LOG_REL = '.parac/memory/logs/state_changes.jsonl';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface TestRepo {
  dir: string;
  paracRoot: string;
  stateFile: string;
  /** Plumbing and assertions, through the project's git door. */
  git(args: readonly string[], options?: { cwd?: string; input?: string }): Promise<GitResult>;
  /** git as a person types it (hooks run, nothing added); never throws, returns what happened. */
  user(args: readonly string[], options?: { cwd?: string; env?: Record<string, string | undefined> }): Promise<RunResult>;
  /** The `paracle` CLI from this checkout's dist/. */
  paracle(args: readonly string[], options?: { cwd?: string; env?: Record<string, string | undefined> }): Promise<RunResult>;
  write(rel: string, content: string): void;
  read(rel: string): string;
  /** A file as committed (`rev:path`) or staged (`:path`); null when absent. */
  show(spec: string): Promise<string | null>;
  head(): Promise<string>;
}

const IDENTITY: Array<[string, string]> = [
  ['user.name', 'Paracle Test'],
  ['user.email', 'test@paracle.invalid'],
  ['commit.gpgsign', 'false'],
  ['tag.gpgsign', 'false'],
  ['gc.auto', '0'],
  ['maintenance.auto', 'false'],
  ['core.autocrlf', 'false'],
  ['advice.detachedHead', 'false'],
  ['merge.conflictStyle', 'merge'],
];

const templates = new Map<string, Promise<string>>();

export interface TestRepoOptions {
  /**
   * Start from a repository whose first commit (the workspace plus `packages/core/app.py`, made
   * through the hooks) already exists. Without it nothing is committed yet.
   */
  committed?: boolean;
  /** false: everything but `paracle install` (for the install tests). Default true. */
  installed?: boolean;
}

export async function makeTestRepo(options: TestRepoOptions = {}): Promise<TestRepo> {
  const installed = options.installed ?? true;
  const key = !installed ? 'uninstalled' : options.committed ? 'committed' : 'fresh';
  if (!templates.has(key)) {
    templates.set(key, !installed ? buildUninstalledTemplate() : options.committed ? buildCommittedTemplate() : buildTemplate());
  }
  return copyOfRepo(await templates.get(key)!);
}

/** A fresh copy of the repository in `source`, used as it is (it runs its own hooks: see above). */
function copyOfRepo(source: string): TestRepo {
  const dir = tempDir('paracle-repo-');
  cpSync(source, dir, { recursive: true, verbatimSymlinks: true });
  return testRepo(dir);
}

/**
 * A scene several tests of one file start from (commits through the hooks, branches), built once by
 * `build` on the first call; every call returns its own copy, so tests never see each other's
 * changes and the file pays for the scene's commits through the hooks once.
 */
export function sharedScene(build: () => Promise<TestRepo>): () => Promise<TestRepo> {
  let scene: Promise<string> | undefined;
  return async () => {
    scene ??= build().then((repo) => repo.dir);
    return copyOfRepo(await scene);
  };
}

async function buildTemplate(): Promise<string> {
  const dir = await buildUninstalledTemplate();
  const installed = await testRepo(dir).paracle(['install']);
  if (installed.exitCode !== 0) throw new Error(`paracle install failed in the template: ${installed.stderr}`);
  return dir;
}

async function buildUninstalledTemplate(): Promise<string> {
  const dir = tempDir('paracle-template-');
  await runGit(['init', '-q', '-b', 'main'], { cwd: dir, env: 'clean' });
  for (const [key, value] of IDENTITY) await runGit(['config', key, value], { cwd: dir, env: 'clean' });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'demo-project', private: true, devDependencies: { 'paracle-hooks': '*' } }, null, 2)}\n`,
  );
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(PROJECT_ROOT, join(dir, 'node_modules', 'paracle-hooks'), 'dir');
  writeProjectFiles(dir);
  return dir;
}

async function buildCommittedTemplate(): Promise<string> {
  const repo = await makeTestRepo();
  repo.write('packages/core/app.py', 'print("one")\n');
  await repo.git(['add', '-A']);
  const first = await repo.user(['commit', '-q', '-m', 'initial'], { env: { TZ: zoneOnAnotherDay() } });
  if (first.exitCode !== 0) throw new Error(`the first commit failed in the template: ${first.stderr}`);
  const snapshotDate = /^snapshot_date: "?([\d-]+)"?$/m.exec(repo.read(STATE_REL))?.[1];
  if (snapshotDate === undefined || snapshotDate === localDate()) {
    throw new Error(`the committed template should carry another day's snapshot_date, has ${snapshotDate}`);
  }
  return repo.dir;
}

/**
 * A time zone whose date is not localDate's date in UTC, the suite's zone: UTC−12 is a day behind
 * until noon UTC, UTC+14 a day ahead from 10:00 UTC. (Node carries its own zone data.)
 */
function zoneOnAnotherDay(now = new Date()): string {
  return now.getUTCHours() < 12 ? 'Etc/GMT+12' : 'Etc/GMT-14';
}

/**
 * A `git clone` of `source` as a teammate gets it before running anything: the repository's own
 * settings (identity, gc off) but no `paracle install` — no hooks, no merge driver in its config —
 * and node_modules already installed (the symlink to this checkout), so install can be run later.
 */
export async function cloneTestRepo(source: TestRepo): Promise<TestRepo> {
  const dir = join(tempDir('paracle-clone-'), 'clone');
  await runGit(['clone', '-q', source.dir, dir], { cwd: source.dir, env: 'clean' });
  for (const [key, value] of IDENTITY) await runGit(['config', key, value], { cwd: dir, env: 'clean' });
  if (!existsSync(join(dir, 'node_modules'))) {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(PROJECT_ROOT, join(dir, 'node_modules', 'paracle-hooks'), 'dir');
  }
  return testRepo(dir);
}

export function testRepo(dir: string): TestRepo {
  const paracRoot = join(dir, '.parac');
  return {
    dir,
    paracRoot,
    stateFile: join(dir, STATE_REL),
    git: (args, options = {}) => runGit(args, { cwd: options.cwd ?? dir, env: 'clean', input: options.input }),
    user: async (args, options = {}) => {
      const result = await runGit(args, {
        cwd: options.cwd ?? dir,
        env: 'clean',
        fixedFlags: false,
        extraEnv: options.env,
        okExitCodes: Array.from({ length: 256 }, (_, i) => i),
      });
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    },
    paracle: (args, options = {}) => runNode([CLI, ...args], options.cwd ?? dir, options.env),
    write: (rel, content) => {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    },
    read: (rel) => readFileSync(join(dir, rel), 'utf8'),
    show: async (spec) => {
      const result = await runGit(['show', spec], { cwd: dir, env: 'clean', okExitCodes: [128] });
      return result.exitCode === 0 ? result.stdout : null;
    },
    head: async () => (await runGit(['rev-parse', 'HEAD'], { cwd: dir, env: 'clean' })).stdout.trim(),
  };
}

export function runNode(args: readonly string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<RunResult> {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return new Promise((resolvePromise) => {
    execFile(process.execPath, args, { cwd, env: merged, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ exitCode: code, stdout, stderr });
    });
  });
}

/**
 * git run at once in `cwd`, with a fixed identity and signing off, for tests that lay out a plain
 * repository by hand (no toolkit installed). Throws with git's stderr when it fails.
 */
export function gitSync(cwd: string, ...args: string[]): string {
  const identity = ['-c', 'user.name=Paracle Test', '-c', 'user.email=test@paracle.invalid'];
  const result = spawnSync('git', [...identity, '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/**
 * Applies a unified diff to the files under `dir` with `git apply` (which works outside a
 * repository too), to check that a printed diff is exactly what a real run writes. Throws with
 * git's stderr when the diff does not apply.
 */
export function gitApply(dir: string, diff: string): void {
  const result = spawnSync('git', ['apply', '--whitespace=nowarn', '-'], { cwd: dir, input: diff, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git apply in ${dir}: ${result.stderr}`);
}
