import { closeSync, openSync } from 'node:fs';
import { auditLogPath } from '../state/paths.js';
import { parseAuditLine } from './audit-entry.js';
import { linesFromEnd } from './lines-from-end.js';

/**
 * The revision high-water mark: the highest revision this checkout's audit log records. git can
 * take the state file back to an older revision (a `git revert` or `git reset`, a checkout of an
 * older branch) without any paracle code running; the store then writes above this mark rather
 * than at the file's revision + 1, so a save never reuses a revision number this clone already
 * wrote (and logged).
 *
 * Only the log's tail is read, inside every save's lock hold, so it must not cost more as the log
 * grows (16 KiB, about 70 entries; docs/design.md has the cost of a larger tail).
 * Since every save writes above the mark, the revisions this clone writes only grow and the highest
 * is among the newest lines; a higher one further up could come only from before this rule, or from
 * a tracked log merged from elsewhere. A snapshot line (issue 14) can be longer than the tail, so the
 * read goes on back until at least one whole line with a revision is found.
 */

export const HIGH_WATER_TAIL_BYTES = 16 * 1024;
const CHUNK_BYTES = 64 * 1024;
/** How far back a save looks for the newest trail entry before it treats the log as having none (then it writes a snapshot). */
export const TRAIL_SEARCH_BYTES = 4 * 1024 * 1024;

/** What a save needs from the log's end. */
export interface LogTail {
  /** -1 when the log is missing, empty or holds no readable revision. */
  highWater: number;
  /** The newest entry carrying a trail hash (`sha`), or null when none was found in the search window. */
  lastTrail: { revision: number; sha: string } | null;
}

/** -1 when the log is missing, empty or holds no readable revision. */
export async function readRevisionHighWater(paracRoot: string, tailBytes = HIGH_WATER_TAIL_BYTES): Promise<number> {
  return (await readLogTail(paracRoot, { tailBytes, findTrail: false })).highWater;
}

/**
 * Reads whole lines back from the end of the log: at least `tailBytes`, and on until one line with a
 * revision (and, with `findTrail`, one trail entry) is found or the search window is exhausted.
 */
export async function readLogTail(paracRoot: string, options: { tailBytes?: number; findTrail?: boolean } = {}): Promise<LogTail> {
  const tailBytes = options.tailBytes ?? HIGH_WATER_TAIL_BYTES;
  const findTrail = options.findTrail ?? true;
  // Synchronous reads: this runs inside every save's lock hold (see writeFileAtomic).
  let fd: number;
  try {
    fd = openSync(auditLogPath(paracRoot), 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { highWater: -1, lastTrail: null };
    throw error;
  }
  try {
    let highWater = -1;
    let sawRevision = false;
    let lastTrail: LogTail['lastTrail'] = null;
    const take = (bytes: Buffer): void => {
      if (bytes.length === 0) return;
      const entry = parseAuditLine(bytes.toString('utf8'));
      const revision = entry?.revision;
      if (typeof revision !== 'number' || !Number.isSafeInteger(revision)) return;
      sawRevision = true;
      if (revision > highWater) highWater = revision;
      if (lastTrail === null && typeof entry?.sha === 'string') lastTrail = { revision, sha: entry.sha };
    };
    // Whole chunks: a higher revision further back in a chunk already read still counts.
    for (const { lines, read } of linesFromEnd(fd, tailBytes, CHUNK_BYTES)) {
      for (const line of lines) take(line);
      if (read >= tailBytes && sawRevision && (!findTrail || lastTrail !== null || read >= TRAIL_SEARCH_BYTES)) break;
    }
    return { highWater, lastTrail };
  } finally {
    closeSync(fd);
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
