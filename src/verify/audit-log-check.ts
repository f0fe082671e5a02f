import { AuditEntryError } from '../errors.js';
import { validateStateChange, writtenByPythonTooling, type StateChangeEntry } from '../log/audit-entry.js';
import type { Problem } from '../validate/validate-workspace.js';
import { conflictMarkerProblem, findConflictMarkers } from './conflict-marker-advice.js';

/**
 * Checks of `.parac/memory/logs/state_changes.jsonl`, pure (texts in, problems out):
 *
 * - append-only: every line the log had at the base is still there, unchanged and in the same
 *   order; the first one that is not is named by its line number. Strictly, the base's log is a
 *   prefix of the log now — until a merge: the log merges with `merge=union`, which keeps both
 *   sides' new lines, the current branch's first. After merging the base branch into a branch,
 *   the base's newest lines come after the branch's own, so the shared history must still be the
 *   exact prefix and the base's later lines must follow it in order, possibly interleaved with the
 *   branch's. Editing or removing any of them fails either way — except the lines a `git revert`
 *   took out together with the commit that added them (the caller names them).
 * - every line is one JSON object with the fields every writer of the log records. Blank lines are
 *   not entries (a reader skips them, and a writer that found a torn last line starts a new one).
 */

/**
 * Fields every entry carries (the library fills timestamp and process_id in; the Python tool writes them too,
 * and `revision` whenever it knows one: its `log_state_change` leaves out a revision it was not given).
 */
export const REQUIRED_FIELDS = ['timestamp', 'process_id', 'change_type', 'description', 'revision'] as const;

/** More bad lines than this are summed up in one last problem: a log of garbage needs one look, not a thousand annotations. */
const MAX_LINE_PROBLEMS = 20;

export function checkAuditLogAppendOnly(
  file: string,
  baseRef: string,
  baseText: string | null,
  currentText: string | null,
  /** Lines a recognised `git revert` on the branch took out with the commit that added them: not an edit. */
  revertedLines: ReadonlySet<string> = new Set(),
): Problem[] {
  if (baseText === null || baseText === '') return [];
  const base = logLines(baseText).filter((line) => !revertedLines.has(line));
  if (currentText === null) {
    return [
      {
        file,
        message: `the audit log was deleted since ${baseRef} (it had ${base.length} line${base.length === 1 ? '' : 's'}); it is append-only: restore it`,
      },
    ];
  }
  const current = logLines(currentText);
  let prefix = 0;
  while (prefix < base.length && current[prefix] === base[prefix]) prefix += 1;
  // Past the shared prefix, the base's lines must still come in order (a union merge may have put
  // this branch's own lines between them).
  let j = prefix;
  for (let i = prefix; i < base.length; i += 1) {
    const found = current.indexOf(base[i]!, j);
    if (found !== -1) {
      j = found + 1;
      continue;
    }
    const line = i + 1;
    const candidate = current[j];
    const how =
      candidate !== undefined && sameEntry(base[i]!, candidate)
        ? 'was edited'
        : candidate === undefined || candidate === base[i + 1]
          ? 'was removed'
          : 'was edited or removed';
    return [
      {
        file,
        line,
        message: `line ${line} of the audit log at ${baseRef} ${how}: the log is append-only; restore the lines ${baseRef} has and only add new ones`,
      },
    ];
  }
  return [];
}

export function checkAuditLogLines(file: string, text: string): Problem[] {
  const markers = conflictMarkerProblem(file, text, 'audit-log');
  const markerLines = new Set(findConflictMarkers(text).map((m) => m.line));
  const problems: Problem[] = markers ? [markers] : [];
  let bad = 0;
  logLines(text).forEach((content, i) => {
    const line = i + 1;
    if (content.trim() === '' || markerLines.has(line)) return;
    const reason = entryProblem(content);
    if (reason === null) return;
    bad += 1;
    if (bad <= MAX_LINE_PROBLEMS) problems.push({ file, line, message: reason });
  });
  if (bad > MAX_LINE_PROBLEMS) {
    problems.push({ file, message: `${bad - MAX_LINE_PROBLEMS} more lines are not valid entries` });
  }
  return problems;
}

function entryProblem(content: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch (error) {
    return `not valid JSON (${(error as Error).message}); every line of the audit log is one JSON object`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `not a JSON object (found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}); every line of the audit log is one entry`;
  }
  const python = writtenByPythonTooling(value as StateChangeEntry);
  const missing = REQUIRED_FIELDS.filter((field) => !Object.hasOwn(value as object, field) && !(python && field === 'revision'));
  if (missing.length > 0) {
    return `entry lacks required field${missing.length === 1 ? '' : 's'} ${missing.map((f) => `"${f}"`).join(', ')}`;
  }
  try {
    // A Python entry without a revision is checked as one with revision 0: every other field must still be right.
    validateStateChange(python && !Object.hasOwn(value as object, 'revision') ? { ...value, revision: 0 } : value);
  } catch (error) {
    if (!(error instanceof AuditEntryError)) throw error;
    return `entry field "${error.field}" ${error.message.replace(/^audit log entry \d+: \S+ /, '')}`;
  }
  return null;
}

/** Two lines for the same entry: the same timestamp and process, whatever else changed. */
function sameEntry(a: string, b: string): boolean {
  const x = parseObject(a);
  const y = parseObject(b);
  return x !== null && y !== null && x.timestamp !== undefined && x.timestamp === y.timestamp && x.process_id === y.process_id;
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Lines as the file numbers them; a final newline does not start another line. */
function logLines(text: string): string[] {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
