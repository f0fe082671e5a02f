import { StateParseError } from '../errors.js';
import { firstConflictMarker } from '../document/find-conflict-markers.js';
import { mergeDriverMarkerHint } from '../verify/conflict-marker-advice.js';
import { parseStateText } from '../document/document.js';
import { committedRevision } from '../tasks/merge-revision.js';

/**
 * What post-merge checks in the merged state, pure (texts in, warnings out). Each warning ends with
 * the one command that repairs it:
 *
 *   - conflict markers or invalid YAML in the working tree (markers paracle's merge driver wrote
 *     are told apart from a merge made without it);
 *   - a merge commit whose state differs from a parent's without a revision above that parent's:
 *     git merged it line by line (the merge driver was not set up, or not named in .gitattributes),
 *     or the conflict was resolved by taking an older copy.
 *
 * `paracle remerge` redoes the state's merge in a merge commit key by key, from the three committed
 * versions; a problem that arrived by fast-forward (someone else's commit) is pointed at `paracle validate`.
 */

export interface MergedStateFacts {
  /** The state file's name as reported (repository-relative). */
  file: string;
  /** The working-tree state after the merge; null when it is gone. */
  workingText: string | null;
  squash: boolean;
  /** HEAD when it is a merge commit: the state in it and in each parent (null where absent). */
  mergeCommit: { commit: string; text: string | null; parents: Array<{ commit: string; text: string | null }> } | null;
  /** `merge.paracle-state.driver` is set in this clone. */
  driverConfigured: boolean;
}

export const REMERGE_COMMAND = 'npx paracle-hooks remerge';

export function checkMergedState(facts: MergedStateFacts): string[] {
  const merge = facts.mergeCommit;
  // Only a merge whose state differs from every parent's made that state; otherwise it came as committed.
  const madeByMerge = merge !== null && merge.text !== null && merge.parents.every((parent) => parent.text !== merge.text);
  const repair = madeByMerge ? repairAdvice(facts) : 'find it with `npx paracle-hooks validate`, fix it by hand and commit it';
  if (facts.workingText !== null) {
    const marker = firstConflictMarker(facts.workingText);
    // Markers the driver wrote (a true conflict, or its line merge of a side it could not read) say so.
    const driverHint = marker === null ? null : mergeDriverMarkerHint(facts.file, facts.workingText);
    if (marker !== null && driverHint !== null) {
      return [`${facts.file}:${marker.line}: git conflict markers in the merged state: ${driverHint}`];
    }
    if (marker !== null) {
      return [
        `${facts.file}:${marker.line}: git conflict markers in the merged state (a merge made without paracle's merge driver): ${repair}`,
      ];
    }
    try {
      parseStateText(facts.workingText, facts.file);
    } catch (error) {
      if (!(error instanceof StateParseError)) throw error;
      return [`the merged ${facts.file} is not a valid state (${error.message}): ${repair}`];
    }
  }
  if (merge === null || merge.text === null) return [];
  const remerge = repairAdvice(facts);
  const merged = committedRevision(merge.text);
  if (merged === null) return [];
  const below = merge.parents.filter((parent) => {
    if (parent.text === null || parent.text === merge.text) return false;
    const revision = committedRevision(parent.text);
    return revision !== null && merged <= revision;
  });
  if (below.length === 0) return [];
  const sides = below.map((parent) => `${committedRevision(parent.text!)} in ${parent.commit.slice(0, 7)}`).join(' and ');
  return [
    `${facts.file}: the merge ${merge.commit.slice(0, 7)} has revision ${merged}, not above ${sides}, though the state differs there ` +
      `(merged line by line without paracle's merge driver, or an older copy taken): ${remerge}`,
  ];
}

function repairAdvice(facts: MergedStateFacts): string {
  const install = facts.driverConfigured
    ? ''
    : ' (the merge driver is not set up in this clone: `npx paracle-hooks install` sets it up for the next merge)';
  return `run \`${REMERGE_COMMAND}\` to redo the state's merge key by key, then commit the file${install}`;
}
