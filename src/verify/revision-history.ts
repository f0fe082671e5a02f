/**
 * How the state's revision moved through the commits of a branch (`base..HEAD`), pure: commit
 * data in, findings out. It tells a `git revert` apart from a genuine rewind.
 *
 * Consulted when the revision at the branch's end is not above the base's: it names the commit that
 * took it down, or finds that only reverts did. Every commit that changes the state file is one step
 * from each of its parents:
 *   - a merge commit must carry a revision above each parent whose state differs from it (the
 *     merge driver writes max + 1; a merge git made line by line, or one resolved by taking an
 *     older copy, does not);
 *   - any other commit must not lower the revision (keeping it is a hand edit, which the endpoint
 *     check still judges), unless it is a recognised revert.
 *
 * A recognised revert is what `git revert` makes when the reverted commit's state is the one it
 * undoes (git merges the file trivially there and runs neither a hook nor the merge driver): the
 * message says `This reverts commit <C>.` (`…, reversing changes made to <P>.` for a merge), the
 * state it leaves is byte for byte the state before <C> (in <C>'s parent, or <P>), and the state
 * it starts from is byte for byte <C>'s. Its lower revision takes the state back exactly one
 * recorded step, by the user's explicit choice, so it is not a rewind; a copy of an older state
 * made by hand or taken in a merge has no such record and still is.
 */

export interface BranchCommit {
  commit: string;
  parents: string[];
  message: string;
}

export interface RevisionHistoryInput {
  commits: readonly BranchCommit[];
  /** The state file's blob in each commit-ish asked for (commits, parents, reverted commits and theirs); null where absent. */
  blobs: ReadonlyMap<string, string | null>;
  /** The revision recorded in each blob (null: not an integer). */
  revisions: ReadonlyMap<string, number | null>;
}

export interface RevisionFinding {
  commit: string;
  /** `merge`: a merge not above a parent; `lowered`: a commit that lowered the revision. */
  kind: 'merge' | 'lowered';
  description: string;
}

export interface RevisionHistory {
  problems: RevisionFinding[];
  /** Commits recognised as reverts that lowered the revision. */
  reverts: string[];
}

export interface RevertReference {
  /** The reverted commit as the message names it. */
  reverted: string;
  /** The commit-ish holding the state the revert restores: the mainline parent, or `<reverted>^`. */
  restored: string;
}

const REVERT_MESSAGE = /This reverts commit ([0-9a-f]{7,64})(?:,\s+reversing\s+changes\s+made\s+to\s+([0-9a-f]{7,64}))?\./;

export function revertReference(message: string): RevertReference | null {
  const match = REVERT_MESSAGE.exec(message);
  if (!match) return null;
  return { reverted: match[1]!, restored: match[2] ?? `${match[1]}^` };
}

/** The commit-ishes whose state blobs the walk needs, beyond the commits and their parents. */
export function revertedRevs(commits: readonly BranchCommit[]): string[] {
  return commits.flatMap((c) => {
    const ref = c.parents.length === 1 ? revertReference(c.message) : null;
    return ref ? [ref.reverted, ref.restored] : [];
  });
}

export function walkRevisionHistory(input: RevisionHistoryInput): RevisionHistory {
  const problems: RevisionFinding[] = [];
  const reverts: string[] = [];
  const blob = (rev: string) => input.blobs.get(rev) ?? null;
  const revision = (oid: string) => input.revisions.get(oid) ?? null;
  for (const { commit, parents, message } of input.commits) {
    const own = blob(commit);
    if (own === null) continue;
    const ownRevision = revision(own);
    if (ownRevision === null) continue;
    for (const parent of parents) {
      const theirs = blob(parent);
      if (theirs === null || theirs === own) continue;
      const parentRevision = revision(theirs);
      if (parentRevision === null) continue;
      if (parents.length > 1) {
        if (ownRevision > parentRevision) continue;
        problems.push({
          commit,
          kind: 'merge',
          description:
            `the merge ${short(commit)} has revision ${ownRevision}, not above ${parentRevision} in its parent ${short(parent)}, ` +
            'though the state differs there (merged line by line without the merge driver, or an older copy taken)',
        });
        continue;
      }
      if (ownRevision >= parentRevision) continue;
      if (isRecognisedRevert(message, own, theirs, blob)) {
        reverts.push(commit);
        continue;
      }
      problems.push({
        commit,
        kind: 'lowered',
        description: `commit ${short(commit)} takes revision from ${parentRevision} down to ${ownRevision} (edited by hand, or an older copy checked out) and is not a \`git revert\``,
      });
    }
  }
  return { problems, reverts };
}

function isRecognisedRevert(message: string, own: string, parentBlob: string, blob: (rev: string) => string | null): boolean {
  const ref = revertReference(message);
  if (ref === null) return false;
  const reverted = blob(ref.reverted);
  const restored = blob(ref.restored);
  return reverted !== null && restored !== null && reverted === parentBlob && restored === own;
}

function short(commit: string): string {
  return commit.slice(0, 7);
}
