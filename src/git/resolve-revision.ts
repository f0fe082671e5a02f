import { runGit, type HookEnvironment } from './run-git.js';

/** The full hash of the commit `rev` names, or null when it names none (not fetched, a typo). */
export async function resolveCommit(cwd: string, env: HookEnvironment, rev: string): Promise<string | null> {
  const { stdout, exitCode } = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], {
    cwd,
    env,
    okExitCodes: [1],
  });
  return exitCode === 0 ? stdout.trim() : null;
}
