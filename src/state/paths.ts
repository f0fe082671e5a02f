import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const PARAC_DIR = '.parac';
export const STATE_FILE_RELATIVE = join('memory', 'context', 'current_state.yaml');
export const AUDIT_LOG_RELATIVE = join('memory', 'logs', 'state_changes.jsonl');

/** The nearest `.parac/` directory walking up from `start`, or null. */
export function findParacRoot(start: string = process.cwd()): string | null {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, PARAC_DIR);
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function stateFilePath(paracRoot: string): string {
  return join(paracRoot, STATE_FILE_RELATIVE);
}

export function auditLogPath(paracRoot: string): string {
  return join(paracRoot, AUDIT_LOG_RELATIVE);
}
