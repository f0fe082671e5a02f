import { runGit, type HookEnvironment } from './run-git.js';

/** A config value as git resolves it for the repository at `cwd`, or null when unset (exit 1). */
export async function readGitConfig(cwd: string, env: HookEnvironment, key: string): Promise<string | null> {
  const { stdout, exitCode } = await runGit(['config', '--get', key], { cwd, env, okExitCodes: [1] });
  return exitCode === 0 ? stdout.replace(/\n$/, '') : null;
}

/** Writes to the repository's own config (shared by all its worktrees). */
export async function writeGitConfig(cwd: string, env: HookEnvironment, key: string, value: string): Promise<void> {
  await runGit(['config', '--local', key, value], { cwd, env });
}

/** Removes a key from the repository's own config; nothing to do when it is not set (git's exit 5). */
export async function unsetGitConfig(cwd: string, env: HookEnvironment, key: string): Promise<void> {
  await runGit(['config', '--local', '--unset-all', key], { cwd, env, okExitCodes: [5] });
}
