import { fstatSync, ftruncateSync, mkdirSync, openSync, readSync, rmSync, statSync, truncateSync, writeSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StateWriteError } from '../errors.js';
import { closeQuietly, removeOrphanedTempFiles, writeFileAtomic } from '../fs/atomic-write.js';
import { withStateLock, type StateLock } from '../lock/lock.js';
import { auditLogPath, stateFilePath } from '../state/paths.js';
import {
  auditTimestamp,
  completeStateChange,
  formatAuditLines,
  parseAuditLine,
  partitionByAge,
  splitAuditLog,
  validateStateChange,
  type StateChangeEntry,
  type StateChangeInput,
} from './audit-entry.js';
import { linesFromEnd } from './lines-from-end.js';
import { keepTrailStart } from './trail.js';

export type { StateChangeEntry, StateChangeInput } from './audit-entry.js';

const DAY_MS = 86_400_000;
const TAIL_CHUNK_BYTES = 64 * 1024;
/** A clear that keeps seeing the log change under it (a writer that ignores the lock) gives up after this many tries. */
const CLEAR_ATTEMPTS = 5;

/**
 * Appends all `entries` to the audit log with ONE `write` on a descriptor opened with O_APPEND, so lines from
 * concurrent processes never interleave. Takes no lock: the store calls this inside its own lock hold. Anyone
 * else who may run alongside `clearOldChanges` should use `logStateChange`.
 */
export async function appendStateChanges(paracRoot: string, entries: StateChangeInput[]): Promise<void> {
  // Everything is validated and serialised before the file is touched: a bad entry writes nothing.
  await appendAuditLines(paracRoot, formatStateChanges(entries));
}

/** The lines `appendStateChanges` would append, timestamped now: a shared engine stores them so every host appends the same bytes. */
export function formatStateChanges(entries: readonly StateChangeInput[]): string {
  const fill = { timestamp: auditTimestamp(), processId: process.pid };
  return formatAuditLines(entries.map((entry, index) => completeStateChange(entry, fill, index)));
}

/** Appends lines made by `formatStateChanges` (here or on another host), as `appendStateChanges` does. */
export async function appendAuditLines(paracRoot: string, lines: string): Promise<void> {
  if (lines === '') return;
  const payload = Buffer.from(lines, 'utf8');

  const file = auditLogPath(paracRoot);
  // Synchronous: this runs inside every save's lock hold (see writeFileAtomic).
  let fd: number | undefined;
  let sizeBefore: number | undefined;
  let data = payload;
  try {
    fd = openForAppend(file);
    sizeBefore = fstatSync(fd).size;
    // A writer killed mid-write can leave a last line without its newline; starting on a fresh line keeps our
    // first entry from being glued onto that fragment. Under the state lock (the store, logStateChange) this
    // check is exact. Without it, another process's write still in progress also looks like a cut-off line, and
    // the cost is a blank line, which every reader skips; the lines themselves still never mix.
    if (endsMidLine(fd, sizeBefore)) data = Buffer.concat([Buffer.from('\n'), payload]);
    const bytesWritten = writeSync(fd, data, 0, data.length, null);
    if (bytesWritten !== data.length) {
      throw new Error(`short write: ${bytesWritten} of ${data.length} bytes (is the disk full?)`);
    }
  } catch (error) {
    const undone = fd !== undefined && sizeBefore !== undefined ? undoPartialAppend(fd, sizeBefore, data.length) : '';
    throw new StateWriteError(file, `cannot append to the audit log: ${(error as Error).message}${undone}`, { cause: error });
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

/**
 * After a failed append (a full disk takes part of a write), cuts the log back to its length before it, so no
 * torn line stays behind for `verify` to reject. Only when the growth is no more than our own bytes: a line
 * appended after ours by a writer that takes no lock (the Python tooling) is never cut. Says what it did.
 */
function undoPartialAppend(fd: number, sizeBefore: number, ourBytes: number): string {
  try {
    const { size } = fstatSync(fd);
    if (size === sizeBefore) return '';
    if (size > sizeBefore + ourBytes) {
      return `; a partial line from byte ${sizeBefore} stays, because another writer appended after it`;
    }
    ftruncateSync(fd, sizeBefore);
    return '; the partial line was removed, the log is as it was';
  } catch (error) {
    return `; the partial line could not be removed (${(error as Error).message}): run \`paracle verify\` to find it`;
  }
}

/** The log's length in bytes, null when there is none: what `restoreAuditLogSize` takes back to. */
export function auditLogSize(paracRoot: string): number | null {
  try {
    return statSync(auditLogPath(paracRoot)).size;
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/**
 * Under the state lock, after a failed all-or-nothing save: cuts off what was appended since the log
 * had `size` bytes (removes it when it did not exist). Nothing else appends while the lock is held
 * (the Python tooling takes it too), so what is cut is that save's own entries.
 */
export function restoreAuditLogSize(paracRoot: string, size: number | null): void {
  const file = auditLogPath(paracRoot);
  const now = auditLogSize(paracRoot);
  if (now === size) return;
  if (size === null) rmSync(file, { force: true });
  else if (now !== null) truncateSync(file, size);
}

/** Appends one entry while holding the state lock, so it is ordered with saves and safe against a concurrent clear. */
export async function logStateChange(paracRoot: string, entry: StateChangeInput): Promise<void> {
  validateStateChange(entry);
  await withStateLock(stateFilePath(paracRoot), {}, () => appendStateChanges(paracRoot, [entry]));
}

/** Every entry, oldest first, and every line that is not one (torn, garbled, foreign), with its line number. */
export async function readAuditLog(
  paracRoot: string,
): Promise<{ entries: StateChangeEntry[]; skipped: Array<{ line: number; text: string }> }> {
  const bytes = await readLogBytes(auditLogPath(paracRoot));
  const entries: StateChangeEntry[] = [];
  const skipped: Array<{ line: number; text: string }> = [];
  for (const line of splitAuditLog(bytes ?? Buffer.alloc(0))) {
    const text = line.bytes.toString('utf8');
    const entry = parseAuditLine(text);
    if (entry === null) skipped.push({ line: line.line, text });
    else entries.push(entry);
  }
  return { entries, skipped };
}

/**
 * The last `limit` entries, newest first (in the order they were appended, which under the lock is the order of
 * the saves; timestamps from different machines need not agree). Reads the file from its end, so the cost
 * follows `limit`, not the size of the log.
 */
export async function getRecentChanges(paracRoot: string, limit = 100): Promise<StateChangeEntry[]> {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`getRecentChanges: limit must be a non-negative integer, got ${String(limit)}`);
  }
  if (limit === 0) return [];
  return readEntriesBackward(paracRoot, (_entry, count) => count >= limit);
}

/**
 * The entries from the newest one `stop` accepts (included) to the end, oldest first; every entry when
 * none does. Reads from the end, so a save that must replay the trail (after an edit made outside
 * paracle) pays for the entries since the last snapshot, not for the whole log.
 */
export async function readEntriesBackTo(paracRoot: string, stop: (entry: StateChangeEntry) => boolean): Promise<StateChangeEntry[]> {
  return readEntriesBackward(paracRoot, (entry) => stop(entry)).reverse();
}

/**
 * Removes entries older than `keepDays` days and returns how many. Lines it cannot date are kept. The log is
 * rewritten atomically under the state lock, so appends by saves and `logStateChange` are never lost.
 */
export async function clearOldChanges(paracRoot: string, keepDays = 30): Promise<number> {
  return (await pruneAuditLog(paracRoot, keepDays)).removed;
}

/** What a prune did: entries removed, and how the history trail (issue 14) was kept replayable. */
export interface PruneResult {
  removed: number;
  /** The revision whose snapshot now starts the trail in place of the pruned entries before it, or null. */
  snapshotRevision: number | null;
  /** What replay lost, when the pruned part of the trail could not be kept as a snapshot. */
  dropped: string | null;
}

const NOTHING_PRUNED: PruneResult = { removed: 0, snapshotRevision: null, dropped: null };

/** clearOldChanges, keeping a snapshot where the trail's kept part starts (see keepTrailStart). */
export async function pruneAuditLog(paracRoot: string, keepDays = 30): Promise<PruneResult> {
  if (typeof keepDays !== 'number' || !Number.isFinite(keepDays) || keepDays < 0) {
    throw new RangeError(`clearOldChanges: keepDays must be a non-negative number, got ${String(keepDays)}`);
  }
  const file = auditLogPath(paracRoot);
  if ((await statOrNull(file)) === null) return NOTHING_PRUNED;
  return withStateLock(stateFilePath(paracRoot), {}, async (lock) => {
    // A clear killed before its rename leaves a temp file beside the log.
    await removeOrphanedTempFiles(file);
    for (let attempt = 1; ; attempt += 1) {
      const result = await rewriteWithoutOldEntries(file, Date.now() - keepDays * DAY_MS, lock);
      if (result !== 'changed-underneath') return result;
      if (attempt === CLEAR_ATTEMPTS) {
        throw new StateWriteError(
          file,
          `the audit log kept changing while it was being cleared (a writer that does not take the state lock?); nothing was removed`,
        );
      }
    }
  });
}

/**
 * One read-filter-rewrite pass. Writers that honour the lock are already kept out; as a guard against one that
 * does not (an older paracle appending with plain `open('a')`), the rename is abandoned if the log grew or was
 * replaced since it was read, and the caller tries again.
 */
async function rewriteWithoutOldEntries(file: string, cutoff: number, lock: StateLock): Promise<PruneResult | 'changed-underneath'> {
  const before = await statOrNull(file);
  if (before === null) return NOTHING_PRUNED;
  const bytes = await readLogBytes(file);
  if (bytes === null) return NOTHING_PRUNED;
  const lines = splitAuditLog(bytes);
  const { keep, removed } = partitionByAge(lines, cutoff);
  if (removed === 0) return NOTHING_PRUNED;
  const trail = keepTrailStart(
    lines.map((line, i) => ({ bytes: line.bytes, entry: parseAuditLine(line.bytes.toString('utf8')), kept: keep[i]! })),
  );
  const result: PruneResult = {
    removed: removed - (trail.restored ? 1 : 0),
    snapshotRevision: trail.snapshotRevision,
    dropped: trail.dropped,
  };

  const data = Buffer.concat(trail.lines.flatMap((line) => [line, Buffer.from('\n')]));
  let changed = false;
  try {
    await writeFileAtomic(file, data, {
      beforeRename: async () => {
        // A lock lost mid-rewrite means saves may be appending again: abandon rather than drop their lines.
        lock.assertHeld();
        const now = await statOrNull(file);
        if (now === null || now.ino !== before.ino || now.size !== bytes.length) {
          changed = true;
          throw new Error('audit log changed while it was being cleared');
        }
      },
    });
  } catch (error) {
    if (changed) return 'changed-underneath';
    if (error instanceof StateWriteError) throw error;
    throw new StateWriteError(file, `cannot rewrite the audit log: ${(error as Error).message}`, { cause: error });
  }
  return result;
}

function openForAppend(file: string): number {
  try {
    return openSync(file, 'a+');
  } catch (error) {
    if (!isMissing(error)) throw error;
    mkdirSync(dirname(file), { recursive: true });
    return openSync(file, 'a+');
  }
}

function endsMidLine(fd: number, size: number): boolean {
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}

/** Entries from the end of the log back until `done` says so after one (or the start is reached), newest first. */
function readEntriesBackward(paracRoot: string, done: (entry: StateChangeEntry, count: number) => boolean): StateChangeEntry[] {
  let fd: number;
  try {
    fd = openSync(auditLogPath(paracRoot), 'r');
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  const newestFirst: StateChangeEntry[] = [];
  try {
    for (const { lines } of linesFromEnd(fd, TAIL_CHUNK_BYTES, TAIL_CHUNK_BYTES)) {
      for (const line of lines) {
        const entry = parseAuditLine(line.toString('utf8'));
        if (entry === null) continue;
        newestFirst.push(entry);
        if (done(entry, newestFirst.length)) return newestFirst;
      }
    }
    return newestFirst;
  } finally {
    closeQuietly(fd);
  }
}

async function readLogBytes(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

async function statOrNull(file: string): Promise<Stats | null> {
  try {
    return await stat(file);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
