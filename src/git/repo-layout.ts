import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { runGit, type HookEnvironment } from './run-git.js';

/** Where a repository's parts are: the worktree top, its git dir, the shared git dir, the main worktree. */
export interface RepoLayout {
  /** Top of the worktree `cwd` is in (a linked worktree's own top inside one). */
  topLevel: string;
  gitDir: string;
  commonDir: string;
  /** The main worktree: where `node_modules` and the shared `.husky/_` live. */
  mainWorktree: string;
  isLinkedWorktree: boolean;
}

export async function readTopLevel(cwd: string, env: HookEnvironment): Promise<string> {
  const { stdout } = await runGit(['rev-parse', '--show-toplevel'], { cwd, env });
  return stdout.replace(/\n$/, '');
}

export async function readRepoLayout(cwd: string, env: HookEnvironment): Promise<RepoLayout> {
  const { stdout } = await runGit(['rev-parse', '--show-toplevel', '--absolute-git-dir', '--git-common-dir'], { cwd, env });
  const [topLevel = '', gitDir = '', rawCommonDir = ''] = stdout.replace(/\n$/, '').split('\n');
  const commonDir = resolve(cwd, rawCommonDir);
  const isLinkedWorktree = resolve(gitDir) !== resolve(commonDir);
  // Not a linked worktree: this is the main one. (In a submodule, `git worktree list` names the
  // module's git dir under the superproject's .git/modules/ as its worktree, which has no files.)
  if (!isLinkedWorktree) return { topLevel, gitDir, commonDir, mainWorktree: topLevel, isLinkedWorktree };
  const [first] = await listWorktrees(cwd, env);
  const mainWorktree = first !== undefined ? first : basename(commonDir) === '.git' ? dirname(commonDir) : topLevel;
  return { topLevel, gitDir, commonDir, mainWorktree, isLinkedWorktree };
}

/** Every worktree of the repository, the main one first, leaving out those git marks prunable (their folder is gone). */
export async function listWorktrees(cwd: string, env: HookEnvironment): Promise<string[]> {
  const { stdout } = await runGit(['worktree', 'list', '--porcelain', '-z'], { cwd, env, okExitCodes: [129] });
  const worktrees: string[] = [];
  // Records are separated by an empty field; each starts with `worktree <path>`.
  for (const record of stdout.split('\0\0')) {
    const fields = record.split('\0');
    const path = fields.find((field) => field.startsWith('worktree '))?.slice('worktree '.length);
    if (path !== undefined && !fields.some((field) => field === 'prunable' || field.startsWith('prunable '))) worktrees.push(path);
  }
  return worktrees;
}

/**
 * During `git commit <paths>` git commits a temporary index (`next-index-<pid>.lock` in the git
 * dir) and, separately, writes the real index to `index.lock` and renames it into place after the
 * commit without reading it again. A file the hook stages must go into both, or it is in the commit
 * but `git status` afterwards shows it reverted. Returns the real index's lock file in that case.
 */
export function partialCommitRealIndex(env: NodeJS.ProcessEnv, cwd: string): string | null {
  const indexFile = env.GIT_INDEX_FILE;
  if (!indexFile || !/^next-index-\d+\.lock$/.test(basename(indexFile))) return null;
  const absolute = isAbsolute(indexFile) ? indexFile : resolve(cwd, indexFile);
  return join(dirname(absolute), 'index.lock');
}

/**
 * The git dir of a running hook, from the index git names in GIT_INDEX_FILE (`index`, `index.lock`,
 * `next-index-<pid>.lock`, all kept there); null when git named none, or one elsewhere (a user's own).
 */
export function hookGitDir(env: NodeJS.ProcessEnv, cwd: string): string | null {
  const indexFile = env.GIT_INDEX_FILE;
  if (!indexFile || !/^(?:index(?:\.lock)?|next-index-\d+\.lock)$/.test(basename(indexFile))) return null;
  return dirname(isAbsolute(indexFile) ? indexFile : resolve(cwd, indexFile));
}
