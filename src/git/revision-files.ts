import { runGit, type HookEnvironment } from './run-git.js';

/**
 * The content of `path` (repository-root relative) in commit `rev`, or null when that commit or
 * that file does not exist (no ORIG_HEAD yet, a merge with one parent, a file added later); git
 * reports all of those with exit code 128.
 */
export async function readFileAtRevision(cwd: string, env: HookEnvironment, rev: string, path: string): Promise<string | null> {
  const { stdout, exitCode } = await runGit(['cat-file', 'blob', `${rev}:${path}`], { cwd, env, okExitCodes: [128] });
  return exitCode === 0 ? stdout : null;
}
