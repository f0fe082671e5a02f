import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { readHooksConfig, type HooksConfig } from '../config/hooks-config.js';
import { readTopLevel } from '../git/repo-layout.js';
import { foldersOutsideSparseCheckout, sparseCheckoutWarning } from '../git/sparse-checkout.js';
import { auditLogPath, findParacRoot, PARAC_DIR, stateFilePath } from '../state/paths.js';
import type { HookOutcome } from './outcome.js';

/** How a hook run was started; the CLI (`paracle hook …`) and git's hooks both end up here. */
export interface HookRunOptions {
  /** Where the run starts; default process.cwd(). */
  cwd?: string;
  /** Run by git: the cwd is the worktree's top and git's hook environment is authoritative. */
  fromGit?: boolean;
  /** The .parac directory (`--root`), relative to cwd; default: found from the worktree top (git) or cwd (by hand). */
  paracRoot?: string;
  /** Lock timeout in seconds; default PARACLE_TIMEOUT or 10 (resolved by the store). */
  timeout?: number;
  /** Compute and show the change as a diff; write nothing. */
  dryRun?: boolean;
  /** The process environment (to see git's GIT_INDEX_FILE); default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface HookContext {
  /** Top of the worktree the hook runs for; every git call runs here. */
  topLevel: string;
  paracRoot: string;
  config: HooksConfig;
  env: NodeJS.ProcessEnv;
  stateFile: StateFiles['state'];
  changelog: StateFiles['changelog'];
  /** The audit log: a local record, staged only where the project chose to track it. */
  auditLog: TrackedFile;
  roadmapFile: string;
  timeout: number | undefined;
  dryRun: boolean;
}

/** A file the hooks may update, with its path as git names it (null when outside the repository). */
export interface TrackedFile {
  file: string;
  repoPath: string | null;
}

interface StateFiles {
  state: TrackedFile;
  changelog: TrackedFile;
}

export const CHANGELOG_RELATIVE = 'changelog.md';
export const ROADMAP_RELATIVE = join('roadmap', 'roadmap.yaml');

/**
 * Null when there is nothing to maintain here (no .parac/, no state file): hooks installed in a
 * repository without a workspace stay silent.
 */
export async function resolveHookContext(options: HookRunOptions): Promise<HookContext | null> {
  const cwd = options.cwd ?? process.cwd();
  const topLevel = options.fromGit ? cwd : await readTopLevel(cwd, 'hook');
  const paracRoot = options.paracRoot ? rootFromOption(resolve(cwd, options.paracRoot)) : findParacRoot(options.fromGit ? topLevel : cwd);
  if (paracRoot === null) return null;
  const statePath = stateFilePath(paracRoot);
  if (!existsSync(statePath)) return null;
  const config = await readHooksConfig(paracRoot);
  const realTop = realpathSync(topLevel);
  const changelogPath = join(paracRoot, CHANGELOG_RELATIVE);
  const logPath = auditLogPath(paracRoot);
  return {
    topLevel,
    paracRoot,
    config,
    env: options.env ?? process.env,
    stateFile: { file: statePath, repoPath: repoPathOf(realTop, statePath) },
    changelog: { file: changelogPath, repoPath: repoPathOf(realTop, changelogPath) },
    auditLog: { file: logPath, repoPath: repoPathOf(realTop, logPath) },
    roadmapFile: join(paracRoot, ROADMAP_RELATIVE),
    timeout: options.timeout,
    dryRun: options.dryRun ?? false,
  };
}

/**
 * The outcome when resolveHookContext found no state: silent, as in a repository without a
 * workspace, unless this worktree's sparse checkout left `.parac/` out; then git's commit or merge
 * is not recorded in the state, and the hook says so each time. Only this path pays for the check.
 */
export async function skippedWithoutState(options: HookRunOptions, consequence: string): Promise<HookOutcome> {
  const cwd = options.cwd ?? process.cwd();
  const topLevel = options.fromGit ? cwd : await readTopLevel(cwd, 'hook');
  const paracDir = options.paracRoot ? resolve(cwd, options.paracRoot) : join(topLevel, PARAC_DIR);
  const fromTop = relative(topLevel, paracDir).split(sep).join('/');
  const outside =
    fromTop === '' || fromTop.startsWith('..') || isAbsolute(fromTop)
      ? []
      : await foldersOutsideSparseCheckout(topLevel, 'hook', [fromTop]);
  return {
    kind: 'skipped',
    reason: 'no .parac/ state file here',
    warnings: outside.length === 0 ? [] : [sparseCheckoutWarning(outside, consequence)],
  };
}

/** `--root` names the .parac directory; a project directory holding one is accepted too (as the CLI does). */
function rootFromOption(given: string): string {
  const nested = join(given, PARAC_DIR);
  return !existsSync(join(given, 'memory')) && existsSync(nested) ? nested : given;
}

/** `file` relative to the repository top with `/` separators, as git names it; null when outside. */
export function repoPathOf(realTopLevel: string, file: string): string | null {
  // The folder is resolved, not the file: git tracks a symlinked state file by the link's own name.
  const absolute = resolve(file);
  const real = join(realpathOfExisting(dirname(absolute)), basename(absolute));
  const rel = relative(realTopLevel, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return rel.split(sep).join('/');
}

/** realpath of a folder, resolving its nearest existing ancestor when it does not exist yet. */
function realpathOfExisting(absolute: string): string {
  if (existsSync(absolute)) return realpathSync(absolute);
  const parent = dirname(absolute);
  if (parent === absolute) return absolute;
  return join(realpathOfExisting(parent), absolute.slice(parent.length + 1));
}
