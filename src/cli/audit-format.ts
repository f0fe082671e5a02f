import type { StateChangeEntry } from '../log/audit-log.js';

/** One audit entry as one line for people: time, revision, type, description. */
export function formatAuditEntry(entry: StateChangeEntry): string {
  const time = typeof entry.timestamp === 'string' ? entry.timestamp.replace(/\.\d+Z$/, 'Z') : '?';
  const revision = typeof entry.revision === 'number' ? `rev ${entry.revision}` : 'rev ?';
  const type = String(entry.change_type ?? '?');
  return `${time}  ${revision.padEnd(8)} ${type.padEnd(14)} ${singleLine(String(entry.description ?? ''))}`;
}

function singleLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
