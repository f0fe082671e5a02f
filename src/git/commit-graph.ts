import { runGit, type HookEnvironment } from './run-git.js';

/**
 * Commits, their parents and messages, and which blob a path has in each: what post-merge, `paracle
 * remerge` and `paracle verify --base` read to follow the state file through history.
 */

export interface CommitRecord {
  commit: string;
  parents: string[];
  /** The full message (subject, body and trailers). */
  message: string;
}

/** The commit `rev` names with its parents; null when it names no commit. */
export async function readCommitParents(
  cwd: string,
  env: HookEnvironment,
  rev: string,
): Promise<{ commit: string; parents: string[] } | null> {
  const { stdout, exitCode } = await runGit(['rev-list', '--parents', '-n', '1', '--end-of-options', rev], {
    cwd,
    env,
    okExitCodes: [128],
  });
  if (exitCode !== 0) return null;
  const [commit, ...parents] = stdout.trim().split(' ');
  return commit ? { commit, parents } : null;
}

/** Every best common ancestor of two commits (two or more in a criss-cross history); empty when none. */
export async function readMergeBases(cwd: string, env: HookEnvironment, a: string, b: string): Promise<string[]> {
  const { stdout } = await runGit(['merge-base', '--all', a, b], { cwd, env, okExitCodes: [1] });
  return stdout.split('\n').filter(Boolean);
}

export async function isAncestor(cwd: string, env: HookEnvironment, ancestor: string, descendant: string): Promise<boolean> {
  const { exitCode } = await runGit(['merge-base', '--is-ancestor', ancestor, descendant], { cwd, env, okExitCodes: [1] });
  return exitCode === 0;
}

/** Every commit reachable from `head` and not from `base`, newest first, children before parents. */
export async function listCommitsSince(cwd: string, env: HookEnvironment, base: string, head: string): Promise<CommitRecord[]> {
  const { stdout } = await runGit(['log', '--topo-order', '--format=%H%x00%P%x00%B%x01', head, '--not', base, '--'], { cwd, env });
  const records: CommitRecord[] = [];
  for (const chunk of stdout.split('\x01')) {
    const text = chunk.replace(/^\n/, '');
    if (text === '') continue;
    const [commit, parents, message] = text.split('\0');
    if (!commit) continue;
    records.push({ commit, parents: parents ? parents.split(' ') : [], message: message ?? '' });
  }
  return records;
}

/**
 * The blob id `path` has in each of `revs` (null where the commit lacks it), in one
 * `git cat-file --batch-check` for any number of commits.
 */
export async function readBlobIds(
  cwd: string,
  env: HookEnvironment,
  revs: readonly string[],
  path: string,
): Promise<Map<string, string | null>> {
  const unique = [...new Set(revs)];
  const ids = new Map<string, string | null>();
  if (unique.length === 0) return ids;
  // A path holding a newline cannot be asked this way; state files never do.
  const { stdout } = await runGit(['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
    cwd,
    env,
    input: unique.map((rev) => `${rev}:${path}\n`).join(''),
  });
  const lines = stdout.split('\n');
  unique.forEach((rev, i) => {
    const [oid, type] = (lines[i] ?? '').split(' ');
    ids.set(rev, type === 'blob' && oid ? oid : null);
  });
  return ids;
}

/** A blob's text. */
export async function readBlobText(cwd: string, env: HookEnvironment, oid: string): Promise<string> {
  const { stdout } = await runGit(['cat-file', 'blob', oid], { cwd, env });
  return stdout;
}
