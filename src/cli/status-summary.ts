import { readTextIfExistsSync } from '../fs/read-text.js';
import type { ParsedState } from '../document/document.js';
import { readEntries } from '../document/sections.js';

/**
 * Reading just what `paracle status` shows. A cold process spends most of its time parsing YAML
 * (the whole real file, before the JIT warms up: docs/design.md), while status needs a handful of
 * top-level keys. So the file is cut at its top-level keys and only the sections status shows are
 * parsed. Anything unusual (a document marker, a complex key, a duplicate, a conflict marker, an
 * error in the cut text) falls back to parsing the whole file, which then reports the problem with
 * its real line and column. Errors in sections status does not show are `paracle validate`'s job.
 *
 * No lock is taken or waited for: writers replace the file atomically, so any read sees a whole
 * revision.
 */

export const STATUS_KEYS = ['version', 'snapshot_date', 'revision', 'project', 'current_phase', 'blockers', 'next_actions'];

/** null when the file does not exist. */
export async function readStatusState(file: string): Promise<ParsedState | null> {
  const text = readTextIfExistsSync(file);
  if (text === null) return null;
  return readEntries(text, file, STATUS_KEYS);
}
