import { runGit, type HookEnvironment } from './run-git.js';

/**
 * What one `git status --porcelain=v2 --branch -z` says: the branch, the HEAD commit, and every
 * path that differs between HEAD, the index and the working tree. One spawn answers "what is
 * staged", "which branch" and "is anything uncommitted"; paths are repository-root relative and
 * NUL-terminated, so spaces, quotes, newlines and non-ASCII names arrive exactly as they are.
 */

export type StatusKind = 'changed' | 'renamed' | 'unmerged' | 'untracked' | 'ignored';

export interface StatusEntry {
  kind: StatusKind;
  /** Index (staged) status letter, `.` for unchanged; `?`/`!` for untracked/ignored. */
  staged: string;
  /** Working tree (unstaged) status letter, `.` for unchanged. */
  unstaged: string;
  path: string;
  /** For renames and copies: the path it came from. */
  originalPath?: string;
}

export interface WorkingTreeStatus {
  /** Full hash of HEAD, or null before the first commit. */
  headOid: string | null;
  /** Branch name, or null when HEAD is detached. */
  branch: string | null;
  entries: StatusEntry[];
}

/** Fields before the path in each entry type (see git-status(1), "Porcelain Format Version 2"). */
const FIELDS_BEFORE_PATH = { '1': 8, '2': 9, u: 10 } as const;

export function parseStatusV2(output: string): WorkingTreeStatus {
  const status: WorkingTreeStatus = { headOid: null, branch: null, entries: [] };
  const records = output.split('\0');
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i]!;
    if (record === '') continue;
    const type = record[0];
    if (type === '#') {
      const [, key, ...rest] = record.split(' ');
      const value = rest.join(' ');
      if (key === 'branch.oid') status.headOid = value === '(initial)' ? null : value;
      if (key === 'branch.head') status.branch = value === '(detached)' ? null : value;
      continue;
    }
    if (type === '?' || type === '!') {
      status.entries.push({ kind: type === '?' ? 'untracked' : 'ignored', staged: type, unstaged: type, path: record.slice(2) });
      continue;
    }
    if (type === '1' || type === '2' || type === 'u') {
      const { fields, rest } = splitFields(record, FIELDS_BEFORE_PATH[type]);
      const xy = fields[1] ?? '..';
      const entry: StatusEntry = {
        kind: type === '1' ? 'changed' : type === '2' ? 'renamed' : 'unmerged',
        staged: xy[0] ?? '.',
        unstaged: xy[1] ?? '.',
        path: rest,
      };
      // With -z the original path of a rename is the next NUL-terminated record.
      if (type === '2') {
        i += 1;
        entry.originalPath = records[i] ?? '';
      }
      status.entries.push(entry);
      continue;
    }
    throw new Error(`unexpected git status record: ${JSON.stringify(record.slice(0, 40))}`);
  }
  return status;
}

/** `count` space-separated fields, then everything after them (a path may contain spaces). */
function splitFields(record: string, count: number): { fields: string[]; rest: string } {
  const fields: string[] = [];
  let start = 0;
  for (let n = 0; n < count; n += 1) {
    const space = record.indexOf(' ', start);
    if (space === -1) throw new Error(`truncated git status record: ${JSON.stringify(record.slice(0, 40))}`);
    fields.push(record.slice(start, space));
    start = space + 1;
  }
  return { fields, rest: record.slice(start) };
}

/** Paths whose staged content differs from HEAD, new names for renames, in git's order. */
export function stagedPaths(status: WorkingTreeStatus): string[] {
  return status.entries
    .filter((e) => (e.kind === 'changed' || e.kind === 'renamed' || e.kind === 'unmerged') && e.staged !== '.')
    .map((e) => e.path);
}

/** Whether the working tree will still differ from the commit: unstaged edits or untracked files. */
export function hasUnstagedChanges(status: WorkingTreeStatus, ignorePaths: ReadonlySet<string> = new Set()): boolean {
  return status.entries.some((e) => {
    if (ignorePaths.has(e.path) || e.kind === 'ignored') return false;
    return e.kind === 'untracked' || e.kind === 'unmerged' || e.unstaged !== '.';
  });
}

/**
 * Keeps the hook environment: inside pre-commit, "staged" means staged in the index git is
 * committing (GIT_INDEX_FILE), which for `commit -a` and `commit <paths>` is not `.git/index`.
 */
export async function readWorkingTreeStatus(cwd: string, env: HookEnvironment): Promise<WorkingTreeStatus> {
  // Rename-aware whatever the user's status.renames says: a moved file counts once, by its new name.
  const { stdout } = await runGit(['-c', 'status.renames=true', 'status', '--porcelain=v2', '--branch', '-z'], { cwd, env });
  return parseStatusV2(stdout);
}
