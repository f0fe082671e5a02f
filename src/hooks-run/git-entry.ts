import type { HookName } from './hook-command.js';

/**
 * What the scripts in hooks/ call when git runs a hook: the CLI's own code path
 * (`paracle hook <name> --from-git`), so errors map to exit codes in one place. The hook line
 * `paracle install` writes may put `--root <dir>` first (a .parac/ below the repository top);
 * everything after it is what git passed.
 */
export async function runFromGit(name: HookName, argv: readonly string[]): Promise<number> {
  const { main } = await import('../cli/main.js');
  const [first, second, ...rest] = argv;
  const root = first === '--root' && second !== undefined ? ['--root', second] : [];
  const gitArgs = root.length > 0 ? rest : [...argv];
  return main([...root, 'hook', name, '--from-git', ...gitArgs]);
}
