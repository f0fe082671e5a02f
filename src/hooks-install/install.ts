import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { hooksConfigPath, parseHooksConfig, DEFAULT_HOOKS_CONFIG } from '../config/hooks-config.js';
import { parseYamlConfig } from '../config/yaml-config-text.js';
import { ParacleError } from '../errors.js';
import { readGitConfig, writeGitConfig } from '../git/config.js';
import { readBlob, readIndexEntries } from '../git/index-files.js';
import { listWorktrees, readRepoLayout, type RepoLayout } from '../git/repo-layout.js';
import { foldersOutsideSparseCheckout, sparseCheckoutWarning } from '../git/sparse-checkout.js';
import { auditLogPath, findParacRoot } from '../state/paths.js';
import { BLOCK_START, type HookName, quickExitWrapper, renderHookBlock, shellQuote, upsertBlock } from './hook-script.js';
import { upsertIgnoreRules } from './ignore-rules.js';
import { paracFromTop, setUpMergeDriver } from './merge-driver-setup.js';
import { preparedScript, withPrepareScript } from './prepare-script.js';
import { stagedPathspecs, type StagedPathCheck } from './staged-path-check.js';

/**
 * `paracle install`, run in a project that has paracle-hooks as a devDependency:
 *
 *   1. locate   the package (nearest package.json), the repository and its main worktree
 *   2. hooks    where git looks for hooks: husky's (set up, or repaired after a move or copy), or
 *               another tool's (left alone: we print the lines to add to its hooks)
 *   3. husky    husky v9's own setup (`.husky/_`, core.hooksPath = `.husky/_`, relative), and its
 *               runner copied into each linked worktree
 *   4. scripts  our block in `.husky/pre-commit`, `.husky/post-merge`, `.husky/post-checkout`
 *   5. ignore   `.gitignore` rules for the state lock, temp files and the local audit log
 *   6. merge    the state's merge driver and `.gitattributes` (see merge-driver-setup.ts)
 *   7. prepare  `scripts.prepare` runs install, so every `npm install` redoes 3 and 6
 *
 * Each step reports what it changed; a second run changes nothing and says so.
 *
 * Every path install writes into git's config is relative, as husky's own `.husky/_` is: git
 * resolves core.hooksPath from the top of the worktree it runs in, and runs the merge driver
 * there, so a repository that is moved (`mv`) or copied (`cp -a`) keeps running its own hooks
 * with its own node_modules. A linked worktree (`git worktree add`) has neither husky's runner
 * (git ignores `.husky/_`) nor node_modules: the post-checkout block copies the runner into a new
 * worktree, install copies it into existing ones, and the hook blocks and the merge driver fall
 * back to the main worktree's node_modules.
 */

export const PACKAGE_NAME = 'paracle-hooks';
export const TOOLKIT_HOOKS = ['pre-commit', 'post-merge'] as const;
export const HUSKY_SCRIPTS: readonly HookName[] = ['pre-commit', 'post-merge', 'post-checkout'];

export interface InstallOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** core.hooksPath belongs to another tool: the lines its hooks need to run paracle's. */
export interface ExternalHooks {
  hooksPath: string;
  lines: Array<{ hook: (typeof TOOLKIT_HOOKS)[number]; file: string; line: string; present: boolean }>;
}

export type InstallReport =
  | { kind: 'skipped'; reason: string }
  | { kind: 'installed'; changes: string[]; notes: string[]; warnings: string[]; externalHooks: ExternalHooks | null };

const NO_PARAC_NOTE = 'no .parac/ folder found yet; the hooks will look for one from the repository top when they run';

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
  const toolkit = findInstalledToolkit(packageDir, layout);
  const changes: string[] = [];
  const notes: string[] = [];

  const hooks = await chooseHooksFolder(layout, packageDir);
  // Asked before the hooks are written: writing them brings `.husky/` back on disk for now.
  const leftOut = await foldersLeftOutBySparseCheckout(layout, hooks, packageDir);
  const warnings =
    leftOut.length === 0 ? [] : [sparseCheckoutWarning(leftOut, 'commits in this worktree are not recorded in current_state.yaml')];
  let externalHooks: ExternalHooks | null = null;
  if (hooks.kind === 'husky') {
    if (hooks.repairedFrom !== null) {
      changes.push(`core.hooksPath pointed at ${hooks.repairedFrom}, outside this repository (it was moved or copied); repaired below`);
    }
    await setUpHusky(layout, hooks.huskyDir, changes, notes);
    // Without .parac/ on disk its config cannot be copied into the hook: the committed scripts stay as they are.
    const keepCommitted = leftOut.includes(paracFromTop(layout.topLevel, packageDir));
    await writeHookScripts(layout, hooks.huskyDir, toolkit, packageDir, changes, notes, keepCommitted);
  } else {
    externalHooks = await describeExternalHooks(layout, hooks.hooksPath, hooks.folder, toolkit, packageDir);
    notes.push(...externalHookNotes(externalHooks));
  }
  await writeIgnoreRules(layout, changes);
  await noteTrackedAuditLog(layout, packageDir, notes);
  await setUpMergeDriver(layout, toolkit.fromTop, packageDir, changes);
  await ensurePrepareScript(packageDir, layout, changes);
  const paracLeftOut = leftOut.includes(paracFromTop(layout.topLevel, packageDir));
  return {
    kind: 'installed',
    changes,
    notes: paracLeftOut ? notes.filter((note) => note !== NO_PARAC_NOTE) : notes,
    warnings,
    externalHooks,
  };
}

/**
 * The husky folder and `.parac/`, when this worktree's sparse checkout leaves them out: git then
 * runs no hook (husky's folder is gone) or the hooks find no state, and commits go unrecorded.
 */
async function foldersLeftOutBySparseCheckout(layout: RepoLayout, hooks: HooksFolder, packageDir: string): Promise<string[]> {
  const folders = [paracFromTop(layout.topLevel, packageDir)];
  if (hooks.kind === 'husky') folders.unshift(toPosix(relative(layout.topLevel, hooks.huskyDir)));
  return foldersOutsideSparseCheckout(
    layout.topLevel,
    'clean',
    folders.filter((folder) => folder !== '' && !folder.startsWith('..')),
  );
}

/** The project: the nearest folder with a package.json, from `cwd` up. */
export function findPackageDir(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) {
      throw new ParacleError('NO_PACKAGE_JSON', `no package.json in ${cwd} or above; run \`paracle install\` in your project`);
    }
  }
}

interface InstalledToolkit {
  /** The folder, as found. */
  dir: string;
  /** The same folder from the top of the worktree it is in, `/`-separated (the same in every worktree). */
  fromTop: string;
}

/**
 * Where node would find paracle-hooks from the project: `node_modules/paracle-hooks`, in the
 * project or a folder above it inside the repository (workspaces hoist it); in a linked worktree,
 * which has no node_modules, the same place in the main worktree. The path is kept as found, not
 * resolved through symlinks (`npm link`), so the hook keeps working where it points.
 */
function findInstalledToolkit(packageDir: string, layout: RepoLayout): InstalledToolkit {
  const fromTop = relative(layout.topLevel, packageDir);
  const tops = layout.isLinkedWorktree ? [layout.topLevel, layout.mainWorktree] : [layout.topLevel];
  for (const top of tops) {
    for (let dir = join(top, fromTop); ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', PACKAGE_NAME);
      if (existsSync(join(candidate, 'package.json'))) return { dir: candidate, fromTop: toPosix(relative(top, candidate)) };
      if (resolve(dir) === resolve(top) || dirname(dir) === dir) break;
    }
  }
  throw new ParacleError(
    'TOOLKIT_NOT_INSTALLED',
    `${PACKAGE_NAME} is not installed in ${packageDir}; add it first (npm install --save-dev ${PACKAGE_NAME}), then run \`npx ${PACKAGE_NAME} install\``,
  );
}

export type HooksFolder =
  | { kind: 'husky'; huskyDir: string; repairedFrom: string | null }
  | { kind: 'other'; hooksPath: string; folder: string };

/**
 * Where the hooks go. No core.hooksPath: `.husky` beside package.json, next to node_modules. An
 * existing husky setup is reused (its `.husky` may sit at the repository top while the project is
 * in a subfolder), also husky v4–v8's `core.hooksPath = .husky`. An absolute husky path outside
 * this repository was written before the repository was moved or copied (earlier versions of
 * install wrote absolute paths): it is repaired. Any other core.hooksPath belongs to another
 * tool, and is not taken over.
 */
export async function chooseHooksFolder(layout: RepoLayout, packageDir: string): Promise<HooksFolder> {
  const current = await readGitConfig(layout.topLevel, 'clean', 'core.hooksPath');
  if (current === null || current.trim() === '') return { kind: 'husky', huskyDir: join(packageDir, '.husky'), repairedFrom: null };
  const trimmed = current.replace(/[\\/]+$/, '');
  const isRunner = basename(trimmed) === '_';
  const isOldHusky = basename(trimmed) === '.husky';
  const folder = isAbsolute(trimmed) ? trimmed : resolve(layout.topLevel, trimmed);
  if (isRunner || isOldHusky) {
    const huskyDir = isRunner ? dirname(folder) : folder;
    const main = isAbsolute(trimmed) ? layout.mainWorktree : layout.topLevel;
    const fromTop = relative(main, huskyDir);
    // Relative to the main worktree, so the same folder is used whichever worktree install runs in.
    if (!fromTop.startsWith('..') && !isAbsolute(fromTop))
      return { kind: 'husky', huskyDir: join(layout.topLevel, fromTop), repairedFrom: null };
    if (isAbsolute(trimmed)) return { kind: 'husky', huskyDir: movedHuskyDir(layout, huskyDir, packageDir), repairedFrom: current };
  }
  return { kind: 'other', hooksPath: current, folder };
}

/**
 * This repository's husky folder for one that was named by absolute path before a move or copy:
 * the longest tail of the old path that exists here (`/old/place/app/.husky` → `app/.husky`), else
 * `.husky` beside package.json.
 */
function movedHuskyDir(layout: RepoLayout, oldHuskyDir: string, packageDir: string): string {
  const parts = oldHuskyDir.split(/[\\/]+/).filter(Boolean);
  for (let start = 0; start < parts.length; start += 1) {
    const candidate = join(layout.topLevel, ...parts.slice(start));
    if (statSync(candidate, { throwIfNoEntry: false })?.isDirectory()) return candidate;
  }
  return join(packageDir, '.husky');
}

async function setUpHusky(layout: RepoLayout, huskyDir: string, changes: string[], notes: string[]): Promise<void> {
  const fromTop = toPosix(relative(layout.topLevel, huskyDir));
  const hooksPath = `${fromTop}/_`;
  const mainRunner = join(layout.mainWorktree, fromTop, '_');
  const before = await readGitConfig(layout.topLevel, 'clean', 'core.hooksPath');
  const hadRunner = existsSync(join(mainRunner, 'h'));

  for (const hook of TOOLKIT_HOOKS) {
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
  // Part of setting husky up, so not reported on its own: `npm install` runs husky, then this, every time.
  await quickenWrappers(mainRunner);
  // husky wrote the same relative value; written again so the result never depends on husky's version.
  await writeGitConfig(layout.topLevel, 'clean', 'core.hooksPath', hooksPath);
  if (before !== hooksPath || !hadRunner) {
    changes.push(`husky set up in ${fromTop}/ (core.hooksPath = ${hooksPath}, relative: the repository can be moved or copied)`);
  }
  await copyRunnerToLinkedWorktrees(layout, fromTop, mainRunner, changes);
}

/** The runner folder's files by name (none: an empty map). */
async function readRunnerFiles(runner: string): Promise<Map<string, string>> {
  const names = await readdir(runner).catch(() => [] as string[]);
  return new Map(await Promise.all(names.map(async (name) => [name, await readFile(join(runner, name), 'utf8').catch(() => '')] as const)));
}

/** husky has just written its wrappers: each becomes quickExitWrapper's (hook-script.ts). */
async function quickenWrappers(runner: string): Promise<void> {
  for (const [name, text] of await readRunnerFiles(runner)) {
    const quick = quickExitWrapper(text);
    if (quick !== null) await writeFile(join(runner, name), quick);
  }
}

/**
 * husky's runner folder (`.husky/_`) in every linked worktree that lacks a current copy: git
 * ignores it, so `git worktree add` does not check it out, and without it git finds no hooks there.
 */
async function copyRunnerToLinkedWorktrees(layout: RepoLayout, fromTop: string, mainRunner: string, changes: string[]): Promise<void> {
  const runner = await readRunnerFiles(mainRunner);
  // The first is the main worktree (in a submodule git names the module's git dir there: never written into).
  const [, ...linked] = await listWorktrees(layout.topLevel, 'clean');
  for (const worktree of linked) {
    if (!existsSync(worktree)) continue;
    const target = join(worktree, fromTop, '_');
    const current = await readRunnerFiles(target);
    if ([...runner].every(([name, text]) => current.get(name) === text)) continue;
    await cp(mainRunner, target, { recursive: true, force: true });
    changes.push(`linked worktree ${worktree}: husky's runner copied to ${fromTop}/_, so its commits run the hooks`);
  }
}

async function writeHookScripts(
  layout: RepoLayout,
  huskyDir: string,
  toolkit: InstalledToolkit,
  packageDir: string,
  changes: string[],
  notes: string[],
  keepCommitted = false,
): Promise<void> {
  const root = paracRootOption(layout.topLevel, packageDir, notes);
  await mkdir(huskyDir, { recursive: true });
  const toolkitDir = join(layout.topLevel, toolkit.fromTop);
  const stagedCheck = readStagedCheck(layout.topLevel, findParacRoot(packageDir), toolkit.dir);
  for (const hook of HUSKY_SCRIPTS) {
    const file = join(huskyDir, hook);
    const existing = existsSync(file) ? await readFile(file, 'utf8') : null;
    if (keepCommitted && existing?.includes(BLOCK_START)) continue;
    if (keepCommitted && existing === null && (await restoreCommittedScript(layout, file))) continue;
    const block = renderHookBlock({
      hook,
      toolkitFromHookDir: toPosix(relative(huskyDir, toolkitDir)),
      toolkitFromTop: toolkit.fromTop,
      huskyFromTop: toPosix(relative(layout.topLevel, huskyDir)),
      root,
      stagedCheck,
    });
    const next = upsertBlock(existing, block);
    if (next === existing) continue;
    await writeFile(file, next);
    if (existing === null) await chmod(file, 0o755);
    const name = toPosix(relative(layout.topLevel, file));
    const does = hook === 'post-checkout' ? 'sets up the hooks in new linked worktrees' : `runs the paracle ${hook} hook`;
    changes.push(
      existing === null
        ? `${name}: created, ${does}`
        : `${name}: ${existing.includes('# >>> paracle-hooks') ? `updated (${does})` : `added (existing content kept; ${does})`}`,
    );
  }
}

/**
 * The committed version of a hook script the sparse checkout left out, written back as it is: a
 * block rendered now would lack the config copy that only `.parac/` (also left out) can give.
 */
async function restoreCommittedScript(layout: RepoLayout, file: string): Promise<boolean> {
  const path = toPosix(relative(layout.topLevel, file));
  const target = { cwd: layout.topLevel, env: 'clean' as const };
  const entry = (await readIndexEntries(target, [path])).get(path);
  if (entry === undefined) return false;
  await writeFile(file, await readBlob(target, entry.oid), { mode: Number.parseInt(entry.mode.slice(-3), 8) });
  return true;
}

/** hooks.yaml bigger than this is not copied into the hook script: such a project runs node on every commit. */
const MAX_CONFIG_IN_HOOK = 16 * 1024;

/**
 * What the pre-commit block's shell check needs (staged-path-check.ts), or null when anything is
 * uncertain, and every commit then starts node as before: no .parac/ inside the repository, a
 * symlink on the way to the state file (node would name it by another path), a hooks.yaml that is
 * not a valid config file, an area glob with no git form.
 */
export function readStagedCheck(topLevel: string, paracRoot: string | null, toolkitDir: string): StagedPathCheck | null {
  if (paracRoot === null) return null;
  const paracFromTop = relative(topLevel, paracRoot);
  if (paracFromTop.startsWith('..') || isAbsolute(paracFromTop)) return null;
  const realTop = realpathSync(topLevel);
  for (const below of ['', 'memory', join('memory', 'context')]) {
    const lexical = join(realTop, paracFromTop, below);
    if ((below === '' || existsSync(lexical)) && realpathSync(lexical) !== lexical) return null;
  }
  const configFile = hooksConfigPath(paracRoot);
  const stat = statSync(configFile, { throwIfNoEntry: false });
  let configText: string | null = null;
  let areas = DEFAULT_HOOKS_CONFIG.areas;
  if (stat !== undefined) {
    if (!stat.isFile() || stat.size > MAX_CONFIG_IN_HOOK) return null;
    const bytes = readFileSync(configFile);
    // A NUL cannot be written into a shell word, and the hook's read loop would not see it.
    if (bytes.includes(0)) return null;
    configText = bytes.toString('utf8');
    try {
      areas = parseHooksConfig(parseYamlConfig(configText, configFile), configFile).areas;
    } catch {
      return null; // the hook's node reports it, on every commit
    }
  }
  const versionLine = readFileSync(join(toolkitDir, 'package.json'), 'utf8')
    .split('\n')
    .slice(0, -1)
    .find((line) => line.includes('"version"'));
  if (versionLine === undefined) return null;
  const project = toPosix(dirname(paracFromTop));
  const pathspecs = stagedPathspecs(areas, project === '.' ? '' : project);
  return pathspecs === null ? null : { pathspecs, paracFromTop: toPosix(paracFromTop), configText, versionLine };
}

/** `--root` for the hook line when the project's .parac/ is below the repository top. */
function paracRootOption(topLevel: string, packageDir: string, notes: string[]): string | null {
  const found = findParacRoot(packageDir);
  if (found === null) {
    notes.push(NO_PARAC_NOTE);
    return null;
  }
  const fromTop = relative(topLevel, found);
  if (fromTop.startsWith('..') || isAbsolute(fromTop)) return null;
  return fromTop === '.parac' ? null : toPosix(fromTop);
}

/**
 * Another tool owns core.hooksPath (a `.githooks` folder, lefthook, a company-wide path): the line
 * each of its hooks needs to run paracle's, and whether it already has it. git runs hooks at the
 * top of the worktree, so the toolkit is named from there.
 */
async function describeExternalHooks(
  layout: RepoLayout,
  hooksPath: string,
  folder: string,
  toolkit: InstalledToolkit,
  packageDir: string,
): Promise<ExternalHooks> {
  const root = paracRootOption(layout.topLevel, packageDir, []);
  const rootOption = root === null ? '' : ` --root ${shellQuote(root)}`;
  const lines: ExternalHooks['lines'] = [];
  for (const hook of TOOLKIT_HOOKS) {
    const entry = `${toolkit.fromTop}/hooks/${hook}.cjs`;
    const file = join(folder, hook);
    const text = existsSync(file) ? await readFile(file, 'utf8') : '';
    lines.push({ hook, file, line: `node ${shellQuote(entry)}${rootOption} "$@" || exit $?`, present: text.includes(`hooks/${hook}.cjs`) });
  }
  return { hooksPath, lines };
}

function externalHookNotes(external: ExternalHooks): string[] {
  const missing = external.lines.filter((line) => !line.present);
  if (missing.length === 0) return [`core.hooksPath is ${external.hooksPath} (another tool's); its hooks already run paracle's`];
  return [
    `core.hooksPath is ${external.hooksPath}, another tool's hooks: left alone, so paracle's hooks are not installed. To run them, add to`,
    ...missing.map(({ file, line }) => `  ${file}:  ${line}`),
  ];
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
