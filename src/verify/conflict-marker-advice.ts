import { DRIVER_LINE_MERGE_LABEL } from '../merge-driver/render-conflict-markers.js';
import { findConflictMarkers } from '../document/find-conflict-markers.js';
import type { Problem } from '../validate/validate-workspace.js';

export { findConflictMarkers, type ConflictMarker } from '../document/find-conflict-markers.js';

/**
 * git conflict markers left in `.parac/` files, with the way out for each kind of file. The state
 * file and the audit log have merge drivers (`paracle install` registers them); a merge made where
 * they are not configured (a fresh clone that never ran install) falls back to git's line merge,
 * and these messages say how to get back to a real merge. Pure.
 */

export type MarkedFileKind = 'state' | 'yaml' | 'audit-log';

/** One problem per file, at its first marker. */
export function conflictMarkerProblem(file: string, text: string, kind: MarkedFileKind): Problem | null {
  const markers = findConflictMarkers(text);
  const first = markers[0];
  if (first === undefined) return null;
  const blocks = markers.filter((m) => m.marker.startsWith('<')).length;
  const what = `git conflict marker "${first.marker}"${blocks > 1 ? ` (${blocks} conflicts in the file)` : ''}`;
  const labels = markers.filter((m) => m.marker.startsWith('<')).map((m) => m.label);
  return { file, line: first.line, column: 1, message: `${what}: ${recoveryHint(file, kind, labels)}` };
}

/** What each block's `<<<<<<<` label names when paracle's merge driver wrote them all; null otherwise. */
function mergeDriverLabels(labels: readonly string[]): string[] | null {
  // paracle's merge driver labels its blocks `ours (<keys>)`, or `ours (line merge)` when it fell back.
  const driverKeys = labels.map((label) => /^ours \((.*)\)$/.exec(label)?.[1]).filter((keys) => keys !== undefined);
  return driverKeys.length > 0 && driverKeys.length === labels.length ? driverKeys : null;
}

/** The way out of the markers in a state `text` when paracle's merge driver wrote them all; null when it did not. */
export function mergeDriverMarkerHint(file: string, text: string): string | null {
  const labels = findConflictMarkers(text)
    .filter((m) => m.marker.startsWith('<'))
    .map((m) => m.label);
  return mergeDriverLabels(labels) === null ? null : recoveryHint(file, 'state', labels);
}

/** `labels`: what follows each `<<<<<<<`, which tells who wrote the markers. */
export function recoveryHint(file: string, kind: MarkedFileKind, labels: string[] = []): string {
  const driverKeys = mergeDriverLabels(labels);
  if (kind === 'state' && driverKeys !== null) {
    if (driverKeys.every((keys) => keys === DRIVER_LINE_MERGE_LABEL)) {
      return (
        "paracle's merge driver could not merge the file key by key (a side was not a valid state) and left git's line merge: " +
        'keep the right lines, delete the markers, make sure revision is above both sides, then `git add` the file'
      );
    }
    return (
      `both branches changed ${[...new Set(driverKeys)].join(', ')} differently (the merge driver merged everything else): ` +
      'keep one side between the markers, delete the markers, then `git add` the file'
    );
  }
  if (kind === 'state') {
    return (
      "this merge ran without paracle's merge driver (a clone where `paracle install` never ran?). " +
      `While the merge is in progress: run \`paracle install\`, then \`git checkout -m -- ${file}\` redoes the file's merge key by key; ` +
      'once it is committed, `paracle remerge <merge commit>` does; or keep the right lines, delete the markers (and raise revision above both sides), then `git add` the file'
    );
  }
  if (kind === 'audit-log') {
    return (
      'the audit log is append-only and merges by keeping every line of both sides (merge=union in .gitattributes, ' +
      'added by `paracle install`): delete the marker lines, keep the lines of both sides, then `git add` the file'
    );
  }
  return 'keep the right lines, delete the markers, then `git add` the file';
}
