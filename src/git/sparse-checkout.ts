import { readGitConfig } from './config.js';
import { runGit, type HookEnvironment } from './run-git.js';

/**
 * The folders among `folders` (paths from the worktree top, `/`-separated) that this worktree's
 * sparse checkout leaves out: git tracks files there, and every one of them is skip-worktree (`S`
 * in `git ls-files -t`), so none is on disk. Empty without a sparse checkout, which costs one
 * `git config` call; a folder git tracks nothing in is never reported.
 */
export async function foldersOutsideSparseCheckout(topLevel: string, env: HookEnvironment, folders: readonly string[]): Promise<string[]> {
  if (folders.length === 0 || (await readGitConfig(topLevel, env, 'core.sparseCheckout')) !== 'true') return [];
  const { stdout } = await runGit(['ls-files', '-t', '-z', '--', ...folders], { cwd: topLevel, env });
  const seen = new Map<string, boolean>();
  for (const record of stdout.split('\0')) {
    if (record === '') continue;
    const path = record.slice(2);
    const folder = folders.find((f) => path.startsWith(`${f.replace(/\/$/, '')}/`));
    if (folder === undefined) continue;
    seen.set(folder, (seen.get(folder) ?? true) && record.startsWith('S '));
  }
  return folders.filter((folder) => seen.get(folder) === true);
}

/** The one warning for folders a sparse checkout leaves out, with the command that brings them back. */
export function sparseCheckoutWarning(folders: readonly string[], consequence: string): string {
  const names = folders.map((folder) => `${folder.replace(/\/$/, '')}/`);
  return `the sparse checkout leaves out ${names.join(' and ')}: ${consequence}; include ${folders.length === 1 ? 'it' : 'them'}: git sparse-checkout add ${folders.map((f) => f.replace(/\/$/, '')).join(' ')}`;
}
