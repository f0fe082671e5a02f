import { open } from 'node:fs/promises';
import { auditLogPath } from '../state/paths.js';
import { parseAuditLine } from './audit-entry.js';

/**
 * The revision high-water mark: the highest revision this checkout's audit log records. git can
 * take the state file back to an older revision (a `git revert` or `git reset`, a checkout of an
 * older branch) without any paracle code running; the store then writes above this mark rather
 * than at the file's revision + 1, so a save never reuses a revision number this clone already
 * wrote (and logged).
 *
 * Only the log's tail is read, inside every save's lock hold, so it must not cost more as the log
 * grows (16 KiB, about 70 entries; BENCHMARKS.md has the cost of larger tails).
 * Since every save writes above the mark, the revisions this clone writes only grow and the highest
 * is among the newest lines; a higher one further up could come only from before this rule, or from
 * a tracked log merged from elsewhere.
 */

export const HIGH_WATER_TAIL_BYTES = 16 * 1024;

/** -1 when the log is missing, empty or holds no readable revision. */
export async function readRevisionHighWater(paracRoot: string, tailBytes = HIGH_WATER_TAIL_BYTES): Promise<number> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(auditLogPath(paracRoot), 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, tailBytes);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, size - length);
    return highestRevision(buffer.subarray(0, bytesRead).toString('utf8'), size > length);
  } finally {
    await handle.close();
  }
}

/** Pure: the highest `revision` among the lines of `text`; the first line is skipped when it may be cut. */
export function highestRevision(text: string, startsMidLine: boolean): number {
  const lines = text.split('\n');
  if (startsMidLine) lines.shift();
  let highest = -1;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const revision = parseAuditLine(line)?.revision;
    if (typeof revision === 'number' && Number.isSafeInteger(revision) && revision > highest) highest = revision;
  }
  return highest;
}
