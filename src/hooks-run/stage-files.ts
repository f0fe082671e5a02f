import { existsSync } from 'node:fs';
import {
  readBlob,
  readIndexEntries,
  removeIndexEntries,
  setIndexEntries,
  stageTrackedFiles,
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
 *
 * "Equal" is usually known without asking git again: `git status` showed no working-tree change
 * for the file, and the file still holds the text it had then (see readTextsBeforeStatus in
 * pre-commit.ts). Otherwise the index entry is read and compared by blob id.
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
  /**
   * Texts known to be the staged versions of files that may change (from `git status`); a file
   * whose `before` is its known text is staged from the working tree as it is.
   */
  knownStagedTexts: ReadonlyMap<string, string>;
  /** The index entries of the files that may change; null until a file needs them. */
  entries: Map<string, IndexEntry> | null;
}

type StagedHow = 'working-tree' | 'staged-version' | 'not-tracked' | 'unchanged';

const SYMLINK_MODE = '120000';

/**
 * The indexes a pre-commit run must update. `knownStagedTexts` describe the index being committed,
 * the one `git status` compared with the working tree; its entries are read now only if some file
 * has no known text. Another index (the real one during `git commit <paths>`) is read now.
 */
export async function prepareIndexes(
  cwd: string,
  env: NodeJS.ProcessEnv,
  paths: readonly string[],
  knownStagedTexts: ReadonlyMap<string, string> = new Map(),
): Promise<IndexToStage[]> {
  const committing: IndexToStage = { cwd, env: 'hook', knownStagedTexts, entries: null };
  if (!paths.every((path) => knownStagedTexts.has(path))) committing.entries = await readIndexEntries(committing, paths);
  const real = partialCommitRealIndex(env, cwd);
  if (!real || !existsSync(real)) return [committing];
  const other: IndexToStage = { cwd, env: 'hook', indexFile: real, knownStagedTexts: new Map(), entries: null };
  other.entries = await readIndexEntries(other, paths);
  return [committing, other];
}

export async function stageChanges(indexes: readonly IndexToStage[], changes: readonly FileChange[]): Promise<void> {
  const rewritten = new Map<string, string | null>(); // path + staged blob id → id of its updated version
  for (const index of indexes) {
    const add: string[] = [];
    const set: IndexEntry[] = [];
    for (const change of changes) {
      if (index.knownStagedTexts.get(change.repoPath) === change.before) {
        // Tracked or not, `git add -u` decides: it never adds an untracked or ignored file.
        add.push(change.repoPath);
        continue;
      }
      index.entries ??= await readIndexEntries(
        index,
        changes.map((c) => c.repoPath),
      );
      const entry = index.entries.get(change.repoPath);
      const how = await classify(entry, change);
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
    await stageTrackedFiles(index, add);
    await setIndexEntries(index, set);
  }
}

/**
 * After a failed step: each index's entries for the changed files go back to what they were before
 * `stageChanges` (read then, see prepareIndexes; a file staged from a known text had that text's blob).
 * Only entries that differ are set; one that did not exist is removed.
 */
export async function restoreIndexes(indexes: readonly IndexToStage[], changes: readonly FileChange[]): Promise<void> {
  const paths = changes.map((c) => c.repoPath);
  for (const index of indexes) {
    const now = await readIndexEntries(index, paths);
    const put: IndexEntry[] = [];
    const remove: string[] = [];
    for (const change of changes) {
      const current = now.get(change.repoPath);
      let previous = index.entries?.get(change.repoPath);
      if (index.entries === null) {
        // Not read before: the index held the known text (`git add -u` never adds a file it lacked).
        if (current === undefined || index.knownStagedTexts.get(change.repoPath) !== change.before) continue;
        previous = { ...current, oid: await writeBlob(index, change.repoPath, change.before) };
      }
      if (previous === undefined) {
        if (current !== undefined) remove.push(change.repoPath);
      } else if (current === undefined || current.oid !== previous.oid || current.mode !== previous.mode) {
        put.push(previous);
      }
    }
    await setIndexEntries(index, put);
    await removeIndexEntries(index, remove);
  }
}

async function classify(entry: IndexEntry | undefined, change: FileChange): Promise<StagedHow> {
  if (!entry) return 'not-tracked';
  // A symlinked state file is tracked as the link; writing through it does not change the link.
  if (entry.mode === SYMLINK_MODE) return 'unchanged';
  // Loaded only here: node:crypto costs a hook start-up time (docs/design.md), and the known texts usually decide.
  const { blobObjectId } = await import('../git/blob-id.js');
  return entry.oid === blobObjectId(change.before, entry.oid) ? 'working-tree' : 'staged-version';
}
