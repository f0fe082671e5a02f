import type { HookName } from './hook-command.js';

/**
 * What the scripts in hooks/ call when git runs a hook: the same work as
 * `paracle hook <name> --from-git`, without loading commander and the other commands (a hook
 * starts on every commit). Errors become exit codes and one-line messages through the CLI's own
 * mapping. The hook line `paracle install` writes may put `--root <dir>` first (a .parac/ below
 * the repository top); everything after it is what git passed.
 */
export async function runFromGit(name: HookName, argv: readonly string[]): Promise<number> {
  const [first, second, ...rest] = argv;
  const root = first === '--root' && second !== undefined ? second : undefined;
  const gitArgs = root !== undefined ? rest : [...argv];
  try {
    (await import('./library-warnings.js')).renderLibraryWarnings();
    const { checkTimeoutVariable } = await import('./seconds.js');
    // The store would read a bad PARACLE_TIMEOUT as the default; the commit stops and says so.
    checkTimeoutVariable();
    const { runHookCommand } = await import('./hook-command.js');
    // The lock timeout comes from PARACLE_TIMEOUT (the store reads it when none is given).
    await runHookCommand(name, gitArgs, { root, fromGit: true });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const { exitForError } = await import('./exit-for-error.js');
    return exitForError(error);
  }
}
