import { runGit } from './run-git.js';

/**
 * Every file git would consider part of the project under `cwd`: tracked files plus untracked ones
 * that are not ignored, relative to `cwd` (git lists only what is below it). One spawn, NUL-separated,
 * so odd file names arrive intact. `clean` environment: this is about the repository at `cwd`, never
 * the one whose hook might be running us.
 */
export async function listWorktreeFiles(cwd: string): Promise<string[]> {
  const { stdout } = await runGit(['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--deduplicate'], {
    cwd,
    env: 'clean',
  });
  return stdout.split('\0').filter((path) => path !== '');
}

/** The worktree's top directory, or null when `cwd` is not inside a git worktree. */
export async function findWorktreeTop(cwd: string): Promise<string | null> {
  const { stdout, exitCode } = await runGit(['rev-parse', '--show-toplevel'], { cwd, env: 'clean', okExitCodes: [128] });
  return exitCode === 0 ? stdout.replace(/\n$/, '') : null;
}
