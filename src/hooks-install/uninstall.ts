import { existsSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { chmod, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ParacleError } from '../errors.js';
import { readGitConfig, unsetGitConfig, writeGitConfig } from '../git/config.js';
import { listWorktrees, readRepoLayout, type RepoLayout } from '../git/repo-layout.js';
import { withoutBlock } from './hook-script.js';
import { chooseHooksFolder, findPackageDir, HUSKY_SCRIPTS, TOOLKIT_HOOKS } from './install.js';
import { MERGE_DRIVER, withoutMergeAttributes } from './merge-driver-setup.js';
import { scriptWithoutInstall, withPrepareScript } from './prepare-script.js';

/**
 * `paracle uninstall`: takes back what `paracle install` added, and nothing of the user's.
 *
 *   1. plan    read every file and config value, and compute each one's new text, before any write
 *              (a package.json that does not parse stops it here, with nothing changed)
 *   2. hooks   our block out of `.husky/pre-commit`, `post-merge`, `post-checkout`; a script left
 *              empty is deleted (install created it)
 *   3. merge   the `.gitattributes` block, and the `merge.paracle-state` section of git's config
 *   4. prepare install's command out of `scripts.prepare`, so a later `npm install` runs none of ours
 *   5. husky   core.hooksPath unset and husky's generated runner (`_/`, in every worktree) removed,
 *              but only when no hook script of the user's is left in the husky folder: husky then
 *              served paracle alone (install set it up, or it runs nothing any more)
 *
 * The `.gitignore` rules stay: `.parac/` (the state, its local audit log, lock files) is the
 * user's and stays, and without the rules the audit log would show up as a file to commit.
 * A write that fails puts back every file and config value already changed, and says where.
 */

export interface UninstallOptions {
  cwd?: string;
}

export interface UninstallReport {
  changes: string[];
  notes: string[];
}

interface FileEdit {
  path: string;
  before: string;
  /** null: delete the file. */
  after: string | null;
  change: string;
}

interface ConfigEdit {
  key: string;
  before: string;
  change: string;
}

interface UninstallPlan {
  files: FileEdit[];
  config: ConfigEdit[];
  /** husky's runner folders to remove once everything else is done, and the husky folder when it is left empty. */
  runners: string[];
  huskyDir: string | null;
  notes: string[];
}

export async function uninstallHooks(options: UninstallOptions = {}): Promise<UninstallReport> {
  const packageDir = findPackageDir(options.cwd ?? process.cwd());
  let layout: RepoLayout;
  try {
    layout = await readRepoLayout(packageDir, 'clean');
  } catch (error) {
    throw new ParacleError('NOT_A_GIT_REPOSITORY', `${packageDir} is not inside a git repository`, { cause: error });
  }
  const plan = await planUninstall(layout, packageDir);
  await applyPlan(layout, plan);
  const changes = [...plan.files.map((edit) => edit.change), ...plan.config.map((edit) => edit.change)];
  if (plan.runners.length > 0) changes.push(`husky's runner removed (${plan.runners.map((dir) => relativeName(layout, dir)).join(', ')})`);
  const notes = [...plan.notes];
  if (plan.files.length > 0) notes.push(`commit the changed files: ${plan.files.map((edit) => relativeName(layout, edit.path)).join(' ')}`);
  return { changes, notes };
}

async function planUninstall(layout: RepoLayout, packageDir: string): Promise<UninstallPlan> {
  const plan: UninstallPlan = { files: [], config: [], runners: [], huskyDir: null, notes: [] };
  const hooks = await chooseHooksFolder(layout, packageDir);
  if (hooks.kind === 'husky') {
    for (const hook of HUSKY_SCRIPTS) {
      const path = join(hooks.huskyDir, hook);
      if (!existsSync(path)) continue;
      const before = await readFile(path, 'utf8');
      const after = withoutBlock(before);
      if (after === before) continue;
      const name = relativeName(layout, path);
      const empty = after.trim() === '';
      plan.files.push({
        path,
        before,
        after: empty ? null : after,
        change: `${name}: ${empty ? 'removed' : "paracle's block removed (your lines kept)"}`,
      });
    }
    const hooksPath = await readGitConfig(layout.topLevel, 'clean', 'core.hooksPath');
    const fromTop = toPosix(relative(layout.topLevel, hooks.huskyDir));
    const deleted = new Set(plan.files.filter((edit) => edit.after === null).map((edit) => edit.path));
    const userScripts = huskyScripts(hooks.huskyDir).filter((path) => !deleted.has(path));
    if (userScripts.length > 0) {
      plan.notes.push(
        `husky stays set up: ${userScripts.map((path) => relativeName(layout, path)).join(', ')} ${userScripts.length === 1 ? 'is' : 'are'} yours`,
      );
    } else {
      if (hooksPath !== null && hooksPath.replace(/[\\/]+$/, '') === `${fromTop}/_`) {
        plan.config.push({
          key: 'core.hooksPath',
          before: hooksPath,
          change: `git config core.hooksPath (${hooksPath}) removed: git runs no hook from ${fromTop}/ any more`,
        });
      }
      plan.runners = await runnerFolders(layout, fromTop);
      plan.huskyDir = hooks.huskyDir;
    }
  } else {
    for (const hook of TOOLKIT_HOOKS) {
      const file = join(hooks.folder, hook);
      const text = existsSync(file) ? await readFile(file, 'utf8') : '';
      const line = text.split('\n').find((l) => l.includes(`hooks/${hook}.cjs`));
      if (line !== undefined)
        plan.notes.push(
          `${file} is another tool's hook (core.hooksPath ${hooks.hooksPath}) and still runs paracle's: remove the line ${line.trim()}`,
        );
    }
  }

  for (const key of [`merge.${MERGE_DRIVER}.driver`, `merge.${MERGE_DRIVER}.name`]) {
    const before = await readGitConfig(layout.topLevel, 'clean', key);
    if (before !== null) plan.config.push({ key, before, change: `git config ${key} removed` });
  }
  const attributes = join(layout.topLevel, '.gitattributes');
  if (existsSync(attributes)) {
    const before = await readFile(attributes, 'utf8');
    const after = withoutMergeAttributes(before);
    if (after !== before) {
      const empty = after.trim() === '';
      plan.files.push({
        path: attributes,
        before,
        after: empty ? null : after,
        change: `.gitattributes: ${empty ? 'removed (it held only paracle’s lines)' : 'paracle’s merge lines removed'}`,
      });
    }
  }

  const manifest = join(packageDir, 'package.json');
  const text = await readFile(manifest, 'utf8');
  let prepare: unknown;
  try {
    prepare = (JSON.parse(text) as { scripts?: Record<string, unknown> }).scripts?.prepare;
  } catch (error) {
    throw new ParacleError('PACKAGE_JSON_INVALID', `${manifest}: not valid JSON (${(error as Error).message}); nothing was changed`, {
      cause: error,
    });
  }
  const rest = typeof prepare === 'string' ? scriptWithoutInstall(prepare) : undefined;
  if (rest !== undefined) {
    const name = toPosix(relative(layout.topLevel, manifest)) || 'package.json';
    plan.files.push({
      path: manifest,
      before: text,
      after: withPrepareScript(text, rest),
      change: rest === null ? `${name}: scripts.prepare removed` : `${name}: scripts.prepare is now "${rest}"`,
    });
  }
  return plan;
}

/** Regular files in the husky folder: husky runs each as the git hook of that name. */
function huskyScripts(huskyDir: string): string[] {
  if (!existsSync(huskyDir)) return [];
  return readdirSync(huskyDir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => join(huskyDir, entry.name));
}

/** husky's generated `_/` in the main worktree and in each linked one (install and post-checkout copy it there). */
async function runnerFolders(layout: RepoLayout, fromTop: string): Promise<string[]> {
  const worktrees = new Set([layout.mainWorktree, layout.topLevel, ...(await listWorktrees(layout.topLevel, 'clean'))]);
  return [...worktrees].map((worktree) => join(worktree, fromTop, '_')).filter((dir) => existsSync(join(dir, 'h')));
}

async function applyPlan(layout: RepoLayout, plan: UninstallPlan): Promise<void> {
  const undo: Array<() => Promise<void>> = [];
  let step = '';
  try {
    for (const edit of plan.files) {
      step = relativeName(layout, edit.path);
      const { mode } = statSync(edit.path);
      if (edit.after === null) await unlink(edit.path);
      else await writeFile(edit.path, edit.after);
      // A deleted hook script comes back executable, as it was: git would see a mode change otherwise.
      undo.push(async () => {
        await writeFile(edit.path, edit.before);
        await chmod(edit.path, mode);
      });
    }
    for (const edit of plan.config) {
      step = `git config ${edit.key}`;
      await unsetGitConfig(layout.topLevel, 'clean', edit.key);
      undo.push(() => writeGitConfig(layout.topLevel, 'clean', edit.key, edit.before));
    }
  } catch (error) {
    for (const undoOne of undo.reverse()) await undoOne().catch(() => undefined);
    throw new ParacleError(
      'UNINSTALL_FAILED',
      `uninstall stopped at ${step}: ${(error as Error).message.split('\n')[0]}; nothing was changed`,
      {
        cause: error,
      },
    );
  }
  // husky regenerates its runner on the next install: what is left here is never half of anything.
  for (const runner of plan.runners) await rm(runner, { recursive: true, force: true });
  if (
    plan.huskyDir !== null &&
    statSync(plan.huskyDir, { throwIfNoEntry: false })?.isDirectory() &&
    readdirSync(plan.huskyDir).length === 0
  ) {
    rmdirSync(plan.huskyDir);
  }
}

function relativeName(layout: RepoLayout, path: string): string {
  return toPosix(relative(layout.topLevel, path)) || path;
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}
