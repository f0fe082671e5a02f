import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hookGitDir } from '../git/repo-layout.js';
import type { HookContext } from './hook-context.js';

/**
 * A commit whose pre-commit run wrote and staged its update can still be stopped after it: by a
 * command later in the same pre-commit hook (lint-staged), or a commit-msg hook. git then keeps
 * nothing of the commit, but the state file, the changelog and the audit log keep the run's new
 * revision, and the retry would write above it (HEAD's revision + 2).
 *
 * So each run that wrote records what it found and what it wrote (`paracle-commit-attempt.json` in
 * the git dir, beside the index git is committing; git never shows it). The next run looks first:
 * HEAD moved means the commit was made, and the record goes; HEAD still where it was, and the files
 * and log exactly as that run left them, means the commit never happened, and its writes are undone
 * before the new run starts, which then writes HEAD's revision + 1 as a first try would.
 */

const RECORD_NAME = 'paracle-commit-attempt.json';

/** A file as the run found it (base64 bytes; null: absent) and the hash (textHash) of the text it wrote. */
export interface FileAttempt {
  file: string;
  repoPath: string | null;
  before: string | null;
  written: string;
}

export interface CommitAttempt {
  /** HEAD when the run wrote; null before the first commit. */
  head: string | null;
  files: FileAttempt[];
  log: { before: number | null; after: number | null };
}

/** Where a hook run keeps its record; null when git did not say which index it commits (a run by hand). */
export function commitAttemptFile(context: Pick<HookContext, 'env' | 'topLevel'>): string | null {
  const gitDir = hookGitDir(context.env, context.topLevel);
  return gitDir === null ? null : join(gitDir, RECORD_NAME);
}

/** Under the lock, after the run's last write. A lost record only loses the undo, so it never fails the commit. */
export function recordCommitAttempt(record: string, attempt: CommitAttempt): string | null {
  try {
    // No fsync: a record lost to a crash costs only the undo; a torn one is ignored (readCommitAttemptToUndo).
    writeFileSync(record, JSON.stringify(attempt));
    return null;
  } catch (error) {
    return `could not record this commit's writes in ${record} (a retry after a stopped commit may skip a revision): ${(error as Error).message}`;
  }
}

/**
 * The attempt to undo, if the last run's commit never happened (HEAD has not moved); the record of
 * one that was made is removed. Cheap, since every commit pays it: one read, no lock, no git.
 */
export function readCommitAttemptToUndo(record: string, head: string | null): CommitAttempt | null {
  let attempt: CommitAttempt | null;
  try {
    attempt = JSON.parse(readFileSync(record, 'utf8')) as CommitAttempt;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    attempt = null;
  }
  if (attempt !== null && attempt.head === head && Array.isArray(attempt.files)) return attempt;
  rmSync(record, { force: true });
  return null;
}
