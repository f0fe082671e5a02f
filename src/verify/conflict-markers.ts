import type { Problem } from '../validate/validate-workspace.js';

/**
 * git conflict markers left in `.parac/` files, with the way out for each kind of file. The state
 * file and the audit log have merge drivers (`paracle install` registers them); a merge made where
 * they are not configured (a fresh clone that never ran install) falls back to git's line merge,
 * and these messages say how to get back to a real merge. Pure.
 */

export type MarkedFileKind = 'state' | 'yaml' | 'audit-log';

/** `<<<<<<<`, `|||||||` (diff3), `=======`, `>>>>>>>` at the start of a line, as git writes them. */
const MARKER = /^(?:<{7}|>{7}|\|{7})(?: |$)|^={7}$/;

export function findConflictMarkers(text: string): Array<{ line: number; marker: string }> {
  const found: Array<{ line: number; marker: string }> = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (MARKER.test(line)) found.push({ line: i + 1, marker: line.slice(0, 7) });
  });
  return found;
}

/** One problem per file, at its first marker. */
export function conflictMarkerProblem(file: string, text: string, kind: MarkedFileKind): Problem | null {
  const markers = findConflictMarkers(text);
  const first = markers[0];
  if (first === undefined) return null;
  const blocks = markers.filter((m) => m.marker.startsWith('<')).length;
  const what = `git conflict marker "${first.marker}"${blocks > 1 ? ` (${blocks} conflicts in the file)` : ''}`;
  return { file, line: first.line, column: 1, message: `${what}: ${recoveryHint(file, kind)}` };
}

export function recoveryHint(file: string, kind: MarkedFileKind): string {
  if (kind === 'state') {
    return (
      'this merge ran without paracle\'s merge driver (a clone where `paracle install` never ran?). ' +
      `While the merge is in progress: run \`paracle install\`, then \`git checkout -m -- ${file}\` redoes the file's merge key by key; ` +
      'otherwise keep the right lines, delete the markers (and raise revision above both sides), then `git add` the file'
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
