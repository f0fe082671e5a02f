import { StateParseError } from '../errors.js';
import { parseStateText } from '../state/document.js';
import { committedRevision } from '../tasks/merge-revision.js';
import type { Problem } from '../validate/validate-workspace.js';

/**
 * A state that changed since the base must have a higher revision there: revisions only grow, and a
 * branch whose state went back (a reset, a merge that took an old copy) would hand writers revision
 * numbers already used on the base. Pure: texts in, problems out. An unchanged file, a file new on
 * this branch, or a current file that does not parse (reported by the validation) give no problem.
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
}

export function checkRevisionNotRewound(input: RevisionCheckInput): Problem[] {
  const { baseText, currentText, currentRevision: current } = input;
  if (baseText === null || currentText === null || current === null || baseText === currentText) return [];
  const base = baseRevision(baseText);
  if (base === null || current > base) return [];
  const problem =
    current === base
      ? `revision is still ${current}, as at ${input.baseRef}, though the state changed since: every change must raise it (the paracle library and hooks do)`
      : `revision ${current} is below ${base} at ${input.baseRef}: the state was rewound (a reset, or an older copy taken in a merge?)`;
  return [
    {
      file: input.file,
      ...revisionLine(currentText),
      message: `${problem}; merge ${input.baseRef} into this branch (the merge driver sets revision above both sides) or set revision to ${base + 1} or more`,
    },
  ];
}

/** The base's revision; a base that does not parse as a whole (it happens upstream) still has its `revision:` line. */
export function baseRevision(text: string): number | null {
  try {
    return parseStateText(text, 'base').revision;
  } catch (error) {
    if (!(error instanceof StateParseError)) throw error;
    return committedRevision(text);
  }
}

function revisionLine(text: string): { line?: number; column?: number } {
  const index = text.split('\n').findIndex((line) => /^revision\s*:/.test(line));
  return index === -1 ? {} : { line: index + 1, column: 1 };
}
