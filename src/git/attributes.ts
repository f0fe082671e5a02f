import { runGit, type HookEnvironment } from './run-git.js';

/** git's conflict marker length when no `conflict-marker-size` attribute says otherwise. */
export const DEFAULT_MARKER_SIZE = 7;

/**
 * The `conflict-marker-size` attribute of `path` (repository-relative) as git resolves it at `cwd`:
 * the marker length git passes a merge driver (%L) for a merge of the branches themselves. The
 * default when unset, or when `cwd` is not in a repository.
 */
export async function readConflictMarkerSize(cwd: string, env: HookEnvironment, path: string): Promise<number> {
  const { stdout, exitCode } = await runGit(['check-attr', 'conflict-marker-size', '--', path], { cwd, env, okExitCodes: [128] });
  const value = exitCode === 0 ? /: conflict-marker-size: (\d+)\n?$/.exec(stdout)?.[1] : undefined;
  const size = value === undefined ? Number.NaN : Number.parseInt(value, 10);
  return size > 0 ? size : DEFAULT_MARKER_SIZE;
}
