import { existsSync } from 'node:fs';
import {
  readBlob,
  readIndexEntries,
  setIndexEntries,
  stageWorkingTreeFiles,
  writeBlob,
  type IndexEntry,
} from '../git/index-files.js';
import { partialCommitRealIndex } from '../git/repo-layout.js';

/**
 * Staging what a hook changed, into the commit being made and nothing else.
 *
 * For each index that must carry the change (the one git commits; during `git commit <paths>` also
 * the real index, see partialCommitRealIndex) and each changed file:
 * - not in that index (untracked, ignored): left alone; we never add a file the user did not track;
 * - staged version equal to the working tree before our change: `git add` of the updated file;
 * - staged version different (the user staged part of their edits, or none of them): the same change
 *   is applied to the staged version and that is staged instead, so the user's unstaged edits stay
 *   unstaged and are never swept into the commit.
 */

export interface FileChange {
  repoPath: string;
  /** The working-tree content before this run changed it. */
  before: string;
  /** The change applied to another version of the file; null when it leaves that version as is. */
  applyTo: (text: string) => string | null;
}

export interface IndexToStage {
  cwd: string;
  env: 'hook';
  /** Unset: the index git's hook environment names. */
  indexFile?: string;
  /** Its entries for the files that may change, read before the lock was taken. */
  entries: Map<string, IndexEntry>;
}

export type StagedHow = 'working-tree' | 'staged-version' | 'not-tracked' | 'unchanged';

const SYMLINK_MODE = '120000';

type BlobObjectId = (typeof import('../git/blob-id.js'))['blobObjectId'];

/** The indexes a pre-commit run must update, with their entries for `paths`. */
export async function prepareIndexes(cwd: string, env: NodeJS.ProcessEnv, paths: readonly string[]): Promise<IndexToStage[]> {
  const committing: Omit<IndexToStage, 'entries'> = { cwd, env: 'hook' };
  const real = partialCommitRealIndex(env, cwd);
  const targets = real && existsSync(real) ? [committing, { ...committing, indexFile: real }] : [committing];
  return Promise.all(targets.map(async (t) => ({ ...t, entries: await readIndexEntries(t, paths) })));
}

export async function stageChanges(indexes: readonly IndexToStage[], changes: readonly FileChange[]): Promise<Map<string, StagedHow[]>> {
  const { blobObjectId } = await import('../git/blob-id.js');
  const report = new Map<string, StagedHow[]>(changes.map((c) => [c.repoPath, []]));
  const rewritten = new Map<string, string | null>(); // path + staged blob id → id of its updated version
  for (const index of indexes) {
    const add: string[] = [];
    const set: IndexEntry[] = [];
    for (const change of changes) {
      const entry = index.entries.get(change.repoPath);
      const how = classify(entry, change, blobObjectId);
      report.get(change.repoPath)!.push(how);
      if (how === 'working-tree') add.push(change.repoPath);
      if (how !== 'staged-version' || !entry) continue;
      const key = `${entry.oid} ${change.repoPath}`;
      if (!rewritten.has(key)) {
        const next = change.applyTo(await readBlob(index, entry.oid));
        rewritten.set(key, next === null ? null : await writeBlob(index, change.repoPath, next));
      }
      const oid = rewritten.get(key);
      if (oid && oid !== entry.oid) set.push({ ...entry, oid });
    }
    await stageWorkingTreeFiles(index, add);
    await setIndexEntries(index, set);
  }
  return report;
}

function classify(entry: IndexEntry | undefined, change: FileChange, blobObjectId: BlobObjectId): StagedHow {
  if (!entry) return 'not-tracked';
  // A symlinked state file is tracked as the link; writing through it does not change the link.
  if (entry.mode === SYMLINK_MODE) return 'unchanged';
  return entry.oid === blobObjectId(change.before, entry.oid) ? 'working-tree' : 'staged-version';
}
