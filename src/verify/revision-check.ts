import { StateParseError } from '../errors.js';
import { readEntries } from '../document/sections.js';
import { committedRevision } from '../tasks/merge-revision.js';
import type { Problem } from '../validate/validate-workspace.js';
import type { RevisionHistory } from './revision-history.js';

/**
 * A state that changed since the base must have a higher revision there: revisions only grow, and a
 * branch whose state went back (a reset, a merge that took an old copy) would hand writers revision
 * numbers already used on the base. Pure: texts in, problems out. An unchanged file, a file new on
 * this branch, or a current file that does not parse (reported by the validation) give no problem.
 *
 * The one lower revision that is fine is a `git revert` of a commit that changed the state: git
 * restores the older file as it was, revision included, without running any hook. `history` (the
 * walk over the branch's commits, revision-history.ts) says whether the branch's way down from the
 * base consists of recognised reverts only; it also names the commit of a genuine rewind. Where a
 * shallow clone lacks the commits that would tell, it says so instead of guessing.
 */
export interface RevisionCheckInput {
  /** The state file's name as reported. */
  file: string;
  /** The base as the user named it, for messages. */
  baseRef: string;
  baseText: string | null;
  currentText: string | null;
  /** The current state's revision as the validation read it; null when it does not parse (reported there). */
  currentRevision: number | null;
  history?: {
    /** The base is in this branch's history (it was merged in, or the branch started from it). */
    baseIsAncestor: boolean;
    /** The walk from HEAD stopped at a shallow clone's boundary before the base: commits between are not here. */
    historyMissing: boolean;
    findings: RevisionHistory;
    /** The working tree's state has a lower revision than HEAD's (uncommitted, so no revert can explain it). */
    workingTreeLowered: boolean;
  };
}

export function checkRevisionNotRewound(input: RevisionCheckInput): Problem[] {
  const { baseText, currentText, currentRevision: current, history } = input;
  if (baseText === null || currentText === null || current === null || baseText === currentText) return [];
  const base = baseRevision(baseText);
  if (base === null || current > base) return [];
  const findings = history?.findings.problems ?? [];
  // Below the base only through recognised reverts, on a branch that has the base in its history.
  if (history?.baseIsAncestor && history.findings.reverts.length > 0 && findings.length === 0 && !history.workingTreeLowered) return [];
  const at = revisionLine(currentText);
  const raise = `set revision to ${base + 1} or more`;
  if (findings.length > 0) {
    return findings.map((finding) => ({
      file: input.file,
      ...at,
      message:
        `revision ${current} is ${current === base ? 'not above' : 'below'} ${base} at ${input.baseRef}: ${finding.description}; ` +
        (finding.kind === 'merge'
          ? `\`paracle remerge ${finding.commit.slice(0, 7)}\` redoes the state's merge key by key (then commit it), or ${raise}`
          : raise),
    }));
  }
  if (history?.historyMissing && !history.workingTreeLowered) {
    // A revert and a rewind look the same without the commits between: say what is missing, not which it was.
    return [
      {
        file: input.file,
        ...at,
        message:
          `revision ${current} is ${current === base ? 'not above' : 'below'} ${base} at ${input.baseRef}, and this shallow clone lacks the commits between them, ` +
          'so verify cannot tell a `git revert` from a rewind: fetch the history (`git fetch --deepen=<commits>` or `git fetch --unshallow`; ' +
          'in GitHub Actions, actions/checkout with `fetch-depth: 0`) and run verify again',
      },
    ];
  }
  const problem =
    current === base
      ? `revision is still ${current}, as at ${input.baseRef}, though the state changed since: every change must raise it (the paracle library and hooks do)`
      : `revision ${current} is below ${base} at ${input.baseRef}: the state was rewound (a reset, or an older copy taken in a merge?)`;
  const advice =
    history?.baseIsAncestor === true
      ? raise
      : `merge ${input.baseRef} into this branch (the merge driver sets revision above both sides) or ${raise}`;
  return [{ file: input.file, ...at, message: `${problem}; ${advice}` }];
}

/**
 * The base's revision, from its `revision` entry alone (verify asks up to three times, and a whole
 * parse of the real file costs tens of ms); a base that does not parse as a whole (it happens
 * upstream) still has its `revision:` line.
 */
export function baseRevision(text: string): number | null {
  try {
    return readEntries(text, 'base', []).revision;
  } catch (error) {
    if (!(error instanceof StateParseError)) throw error;
    return committedRevision(text);
  }
}

function revisionLine(text: string): { line?: number; column?: number } {
  const index = text.split('\n').findIndex((line) => /^revision\s*:/.test(line));
  return index === -1 ? {} : { line: index + 1, column: 1 };
}
