/**
 * Post-merge revision rule: the merged state is a new revision above both sides, so a revision
 * number never goes backwards in any branch's history and never repeats one already used on either
 * side: max(pre-merge, merged-in) + 1. The working-tree file counts as well, since it may carry
 * updates not committed yet (git only merges into a working tree whose copy of the file it could
 * leave alone, so those updates are still there).
 */

export interface MergeRevisions {
  /** The state's revision in ORIG_HEAD (before the merge); null when absent there. */
  preMerge: number | null;
  /** The revision on the merged-in side; null when not known (squash) or absent. */
  mergedIn: number | null;
  /** The revision of the merged file in the working tree. */
  workingTree: number;
}

export function mergeRevision(revisions: MergeRevisions): number {
  return Math.max(revisions.preMerge ?? 0, revisions.mergedIn ?? 0, revisions.workingTree) + 1;
}

/**
 * The revision a committed version of the state file records, read from its top-level
 * `revision:` line without parsing the whole file (three versions are read per merge). A file
 * without one is revision 0, as the store reads it; a value that is not an integer gives null.
 */
export function committedRevision(text: string): number | null {
  const match = /^revision:[ \t]*(.*?)[ \t]*(?:#.*)?$/m.exec(text);
  if (!match) return 0;
  const value = match[1]!.replace(/^(['"])(.*)\1$/, '$2');
  return /^\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : null;
}
