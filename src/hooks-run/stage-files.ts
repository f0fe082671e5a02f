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
  /**
   * Texts known to be the staged versions of these files (from `git status`, see
   * readTextsBeforeStatus in pre-commit.ts): a `before` equal to one needs no hashing to compare.
   */
  knownStagedTexts: ReadonlyMap<string, string>;
}

export type StagedHow = 'working-tree' | 'staged-version' | 'not-tracked' | 'unchanged';

const SYMLINK_MODE = '120000';

/**
 * The indexes a pre-commit run must update, with their entries for `paths`. `knownStagedTexts`
 * describe the index being committed, the one `git status` compared with the working tree.
 */
export async function prepareIndexes(
  cwd: string,
  env: NodeJS.ProcessEnv,
  paths: readonly string[],
  knownStagedTexts: ReadonlyMap<string, string> = new Map(),
): Promise<IndexToStage[]> {
  const committing: Omit<IndexToStage, 'entries'> = { cwd, env: 'hook', knownStagedTexts };
  const real = partialCommitRealIndex(env, cwd);
  const targets = real && existsSync(real) ? [committing, { cwd, env: 'hook' as const, indexFile: real, knownStagedTexts: new Map() }] : [committing];
  return Promise.all(targets.map(async (t) => ({ ...t, entries: await readIndexEntries(t, paths) })));
}

export async function stageChanges(indexes: readonly IndexToStage[], changes: readonly FileChange[]): Promise<Map<string, StagedHow[]>> {
  const report = new Map<string, StagedHow[]>(changes.map((c) => [c.repoPath, []]));
  const rewritten = new Map<string, string | null>(); // path + staged blob id → id of its updated version
  for (const index of indexes) {
    const add: string[] = [];
    const set: IndexEntry[] = [];
    for (const change of changes) {
      const entry = index.entries.get(change.repoPath);
      const how = await classify(entry, change, index.knownStagedTexts.get(change.repoPath));
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

async function classify(entry: IndexEntry | undefined, change: FileChange, knownStagedText: string | undefined): Promise<StagedHow> {
  if (!entry) return 'not-tracked';
  // A symlinked state file is tracked as the link; writing through it does not change the link.
  if (entry.mode === SYMLINK_MODE) return 'unchanged';
  if (knownStagedText !== undefined && knownStagedText === change.before) return 'working-tree';
  // Loaded only here: node:crypto costs a hook ~4 ms, and the comparison above usually decides.
  const { blobObjectId } = await import('../git/blob-id.js');
  return entry.oid === blobObjectId(change.before, entry.oid) ? 'working-tree' : 'staged-version';
}
