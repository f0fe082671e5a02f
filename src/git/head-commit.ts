import { runGit, type HookEnvironment } from './run-git.js';

export interface CommitSummary {
  /** Abbreviated hash, as git abbreviates it in this repository. */
  shortHash: string;
  subject: string;
}

/** `<short hash> <subject>`, the form the state file's `repository.last_commit` uses. */
export function formatCommitSummary(commit: CommitSummary): string {
  return `${commit.shortHash} ${commit.subject}`;
}

/**
 * The commit `rev` names; callers know it exists (status reports an unborn HEAD as `(initial)`).
 * The hook environment is kept so that in a linked worktree HEAD is that worktree's HEAD.
 */
export async function readCommitSummary(cwd: string, env: HookEnvironment, rev = 'HEAD'): Promise<CommitSummary | null> {
  const { stdout } = await runGit(['log', '-1', '--no-walk', '--format=%h%x00%s', rev, '--'], { cwd, env });
  const line = stdout.replace(/\n$/, '');
  const nul = line.indexOf('\0');
  if (nul === -1) return null;
  return { shortHash: line.slice(0, nul), subject: line.slice(nul + 1) };
}
