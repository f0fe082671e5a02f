import { entryTime, writtenByPythonTooling, type StateChangeEntry } from '../log/audit-entry.js';

/**
 * One audit entry as one line for people: time (UTC), revision, type, description. An entry of the Python
 * tooling says so, and what its revision means: the one its state had before its save.
 */
export function formatAuditEntry(entry: StateChangeEntry): string {
  const at = entryTime(entry);
  const time = at === null ? String(entry.timestamp ?? '?') : new Date(at).toISOString().replace(/\.\d+Z$/, 'Z');
  const revision = typeof entry.revision === 'number' ? `rev ${entry.revision}` : 'rev ?';
  const type = String(entry.change_type ?? '?');
  const python = writtenByPythonTooling(entry)
    ? `  [Python tooling${typeof entry.revision === 'number' ? `: rev ${entry.revision} is the one before its save` : ''}]`
    : '';
  return `${time}  ${revision.padEnd(8)} ${type.padEnd(14)} ${singleLine(String(entry.description ?? ''))}${python}`;
}

function singleLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
