import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { HookRefusedError, ParacleError } from '../errors.js';
import { readGitConfig, writeGitConfig } from '../git/config.js';
import { readIndexEntries } from '../git/index-files.js';
import { readRepoLayout, type RepoLayout } from '../git/repo-layout.js';
import { auditLogPath, findParacRoot } from '../state/paths.js';
import { renderHookBlock, upsertBlock } from './hook-script.js';
import { upsertIgnoreRules } from './ignore-rules.js';
import { setUpMergeDriver } from './merge-driver-setup.js';
import { preparedScript, withPrepareScript } from './prepare-script.js';

/**
 * `paracle install`, run in a project that has paracle-hooks as a devDependency:
 *
 *   1. locate   the package (nearest package.json), the repository and its main worktree
 *   2. husky    husky v9's own setup (`.husky/_`), then core.hooksPath made absolute
 *   3. hooks    our block in `.husky/pre-commit` and `.husky/post-merge` (kept content, added once)
 *   4. ignore   `.gitignore` rules for the state lock, temp files and the local audit log
 *   5. prepare  `scripts.prepare` runs `paracle install`, so every `npm install` redoes 2
 *
 * Each step reports what it changed; a second run changes nothing and says so.
 *
 * Why an absolute core.hooksPath: husky's relative `.husky/_` is resolved in whichever worktree
 * git runs in, and `_` is git-ignored, so a linked worktree (`git worktree add`) has none and git
 * silently runs no hooks there. The absolute path points every worktree at the main one's.
 */

export const PACKAGE_NAME = 'paracle-hooks';
const HOOKS = ['pre-commit', 'post-merge'] as const;

export interface InstallOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export type InstallReport = { kind: 'skipped'; reason: string } | { kind: 'installed'; changes: string[]; notes: string[] };

export async function installHooks(options: InstallOptions = {}): Promise<InstallReport> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  if (env.HUSKY === '0') return { kind: 'skipped', reason: 'HUSKY=0' };
  if (env.PARACLE === '0') return { kind: 'skipped', reason: 'PARACLE=0' };

  const packageDir = findPackageDir(cwd);
  let layout: RepoLayout;
  try {
    layout = await readRepoLayout(packageDir, 'clean');
  } catch (error) {
    throw new ParacleError('NOT_A_GIT_REPOSITORY', `${packageDir} is not inside a git repository; run \`git init\` first`, {
      cause: error,
    });
  }
  const toolkit = findInstalledToolkit(packageDir, layout.topLevel);
  const changes: string[] = [];
  const notes: string[] = [];

  const huskyDir = await chooseHuskyDir(layout, packageDir);
  await setUpHusky(layout, huskyDir, changes, notes);
  await writeHookBlocks(layout, huskyDir, toolkit, packageDir, changes, notes);
  await writeIgnoreRules(layout, changes);
  await noteTrackedAuditLog(layout, packageDir, notes);
  await setUpMergeDriver(layout, toolkit, packageDir, changes);
  await ensurePrepareScript(packageDir, layout, changes);
  return { kind: 'installed', changes, notes };
}

/** The project: the nearest folder with a package.json, from `cwd` up. */
function findPackageDir(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) {
      throw new ParacleError('NO_PACKAGE_JSON', `no package.json in ${cwd} or above; run \`paracle install\` in your project`);
    }
  }
}

/**
 * Where node would find paracle-hooks from the project: `node_modules/paracle-hooks`, in the
 * project or a folder above it inside the repository (workspaces hoist it). The path is kept as
 * found, not resolved through symlinks (`npm link`), so the hook keeps working where it points.
 */
function findInstalledToolkit(packageDir: string, topLevel: string): string {
  const top = resolve(topLevel);
  for (let dir = packageDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', PACKAGE_NAME);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === top || dirname(dir) === dir) break;
  }
  throw new ParacleError(
    'TOOLKIT_NOT_INSTALLED',
    `${PACKAGE_NAME} is not installed in ${packageDir}; add it first (npm install --save-dev ${PACKAGE_NAME}), then run \`npx paracle install\``,
  );
}

/**
 * An existing husky setup is reused (its `.husky` may sit at the repository top while the
 * project is in a subfolder); otherwise `.husky` goes beside package.json, next to node_modules.
 * A core.hooksPath that is not husky's belongs to another tool: we do not take it over.
 */
async function chooseHuskyDir(layout: RepoLayout, packageDir: string): Promise<string> {
  const current = await readGitConfig(layout.topLevel, 'clean', 'core.hooksPath');
  if (current !== null) {
    const hooksPath = isAbsolute(current) ? current : resolve(layout.mainWorktree, current);
    if (/[\\/]_[\\/]?$/.test(current)) {
      const huskyDir = dirname(hooksPath.replace(/[\\/]$/, ''));
      const fromMain = relative(layout.mainWorktree, huskyDir);
      // Relative to the main worktree, so the same folder is used whichever worktree install runs in.
      if (!fromMain.startsWith('..') && !isAbsolute(fromMain)) return join(layout.topLevel, fromMain);
    }
    throw new HookRefusedError(
      `core.hooksPath is set to ${current}, which is not husky's; not replacing another tool's hooks. ` +
        `Unset it (git config --unset core.hooksPath) and run \`paracle install\` again, or call ` +
        `node_modules/${PACKAGE_NAME}/hooks/pre-commit.cjs and post-merge.cjs from your own hooks`,
    );
  }
  return join(packageDir, '.husky');
}

async function setUpHusky(layout: RepoLayout, huskyDir: string, changes: string[], notes: string[]): Promise<void> {
  const fromTop = toPosix(relative(layout.topLevel, huskyDir));
  const mainHuskyDir = join(layout.mainWorktree, fromTop);
  const hooksPath = join(mainHuskyDir, '_');
  const before = await readGitConfig(layout.topLevel, 'clean', 'core.hooksPath');
  const hadRunner = existsSync(join(hooksPath, 'h'));

  for (const hook of HOOKS) {
    const legacy = join(layout.commonDir, 'hooks', hook);
    if (before === null && isExecutableFile(legacy)) {
      notes.push(`${legacy} will no longer run (git now runs the hooks in ${fromTop}); move its commands into ${fromTop}/${hook}`);
    }
  }

  // husky's installer works on the current directory's repository: run it at the main worktree's top.
  const { default: husky } = (await import('husky')) as { default: (dir?: string) => string };
  const previous = process.cwd();
  let message: string;
  try {
    process.chdir(layout.mainWorktree);
    message = husky(fromTop);
  } finally {
    process.chdir(previous);
  }
  if (message) throw new ParacleError('HUSKY_FAILED', `husky could not set up ${fromTop}: ${message.trim()}`);
  await writeGitConfig(layout.topLevel, 'clean', 'core.hooksPath', hooksPath);
  if (before !== hooksPath || !hadRunner) {
    changes.push(`husky set up in ${fromTop}/ (core.hooksPath = ${hooksPath}, so linked worktrees run the hooks too)`);
  }
}

async function writeHookBlocks(
  layout: RepoLayout,
  huskyDir: string,
  toolkit: string,
  packageDir: string,
  changes: string[],
  notes: string[],
): Promise<void> {
  const root = paracRootOption(layout.topLevel, packageDir, notes);
  await mkdir(huskyDir, { recursive: true });
  for (const hook of HOOKS) {
    const file = join(huskyDir, hook);
    const existing = existsSync(file) ? await readFile(file, 'utf8') : null;
    const block = renderHookBlock({ hook, toolkitFromHookDir: toPosix(relative(huskyDir, toolkit)), root });
    const next = upsertBlock(existing, block);
    if (next === existing) continue;
    await writeFile(file, next);
    if (existing === null) await chmod(file, 0o755);
    const name = toPosix(relative(layout.topLevel, file));
    changes.push(
      existing === null
        ? `${name}: created, runs the paracle ${hook} hook`
        : `${name}: paracle ${hook} hook ${existing.includes('# >>> paracle-hooks') ? 'updated' : 'added (existing content kept)'}`,
    );
  }
}

/** `--root` for the hook line when the project's .parac/ is below the repository top. */
function paracRootOption(topLevel: string, packageDir: string, notes: string[]): string | null {
  const found = findParacRoot(packageDir);
  if (found === null) {
    notes.push('no .parac/ folder found yet; the hooks will look for one from the repository top when they run');
    return null;
  }
  const fromTop = relative(topLevel, found);
  if (fromTop.startsWith('..') || isAbsolute(fromTop)) return null;
  return fromTop === '.parac' ? null : toPosix(fromTop);
}

async function writeIgnoreRules(layout: RepoLayout, changes: string[]): Promise<void> {
  const file = join(layout.topLevel, '.gitignore');
  const existing = existsSync(file) ? await readFile(file, 'utf8') : null;
  const next = upsertIgnoreRules(existing);
  if (next === existing) return;
  await writeFile(file, next);
  changes.push('.gitignore: added rules so the state lock, temp files and the local audit log are never committed');
}

/**
 * The audit log is a local record (docs/hooks.md): ignored, never committed. A project that already
 * tracks it keeps working (pre-commit commits its own entries), but is told how to stop.
 */
async function noteTrackedAuditLog(layout: RepoLayout, packageDir: string, notes: string[]): Promise<void> {
  const root = findParacRoot(packageDir);
  if (root === null) return;
  const path = toPosix(relative(layout.topLevel, auditLogPath(root)));
  if (path.startsWith('..') || isAbsolute(path)) return;
  const tracked = await readIndexEntries({ cwd: layout.topLevel, env: 'clean' }, [path]);
  if (!tracked.has(path)) return;
  notes.push(
    `${path} is tracked by git; paracle now keeps the audit log as a local record. To stop tracking it: git rm --cached -- ${path}, then commit (or keep it tracked: the hooks commit their own entries)`,
  );
}

async function ensurePrepareScript(packageDir: string, layout: RepoLayout, changes: string[]): Promise<void> {
  const file = join(packageDir, 'package.json');
  const text = await readFile(file, 'utf8');
  let scripts: Record<string, unknown> | undefined;
  try {
    scripts = (JSON.parse(text) as { scripts?: Record<string, unknown> }).scripts;
  } catch (error) {
    throw new ParacleError('PACKAGE_JSON_INVALID', `${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const current = typeof scripts?.prepare === 'string' ? scripts.prepare : undefined;
  const next = preparedScript(current);
  if (next === null) return;
  await writeFile(file, withPrepareScript(text, next));
  changes.push(`${toPosix(relative(layout.topLevel, file)) || 'package.json'}: scripts.prepare is now "${next}"`);
}

function isExecutableFile(file: string): boolean {
  const stat = statSync(file, { throwIfNoEntry: false });
  return stat?.isFile() === true && (stat.mode & 0o111) !== 0;
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}
