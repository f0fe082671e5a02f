import { existsSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';

export const PARAC_DIR = '.parac';
export const STATE_FILE_RELATIVE = join('memory', 'context', 'current_state.yaml');
export const AUDIT_LOG_RELATIVE = join('memory', 'logs', 'state_changes.jsonl');

/**
 * The nearest `.parac/` directory walking up from `start`, or null. Like git's own search, it does
 * not walk up into a folder listed in GIT_CEILING_DIRECTORIES. That is the test seam the suite uses
 * (test/support/environment.ts fences the temp folder) so that a `.parac/` above the machine's temp
 * folder is never found; for everyone else the variable is normally unset and nothing changes.
 */
export function findParacRoot(start: string = process.cwd()): string | null {
  const ceilings = ceilingDirectories();
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, PARAC_DIR);
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    const parent = dirname(dir);
    if (parent === dir || ceilings.has(parent)) return null;
    dir = parent;
  }
}

function ceilingDirectories(): Set<string> {
  const listed = (process.env.GIT_CEILING_DIRECTORIES ?? '').split(delimiter);
  return new Set(listed.filter((entry) => entry !== '' && isAbsolute(entry)).map((entry) => resolve(entry)));
}

export function stateFilePath(paracRoot: string): string {
  return join(paracRoot, STATE_FILE_RELATIVE);
}

export function auditLogPath(paracRoot: string): string {
  return join(paracRoot, AUDIT_LOG_RELATIVE);
}
