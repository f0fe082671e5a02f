import { linkSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import type { LockHolder } from '../errors.js';
import { currentHost, probeProcess } from '../fs/process-identity.js';

/**
 * The lock is a small file holding the holder record as JSON. proper-lockfile drives it (its `mkdir` and
 * `rmdir` are supplied by us, see lock.ts): the record is written to a scratch file and hard-linked to the
 * lock path, and link(2), like mkdir(2), fails with EEXIST when the name is taken, so a lock never exists
 * without its record. A file, not proper-lockfile's usual folder: on the ext4 measured here creating and
 * removing a folder costs ~250 µs (block allocation and discard) against ~65 µs for this.
 *
 * It is removed the other way round: renamed away, checked, then deleted, so two processes that both
 * judged a lock abandoned cannot delete each other's fresh one.
 */

/** What the lock records: the holder, plus what others need to judge and verify the hold. */
export interface LockRecord extends LockHolder {
  /** Unique per hold: tells this hold apart from a later one by the same process. */
  token: string;
  /** The holder's stale period: its proper-lockfile refreshes the lock's mtime every half of it. */
  staleMs: number;
}

export function toLockHolder(record: LockRecord): LockHolder {
  const holder: LockHolder = {
    pid: record.pid,
    host: record.host,
    command: record.command,
    startedAt: record.startedAt,
  };
  if (record.processStart !== undefined) holder.processStart = record.processStart;
  return holder;
}

function errno(code: string, message: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}, '${path}'`), { code, path });
}

function isLockRecord(value: unknown): value is LockRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.pid === 'number' &&
    typeof r.host === 'string' &&
    typeof r.command === 'string' &&
    typeof r.startedAt === 'string' &&
    typeof r.token === 'string' &&
    (r.processStart === undefined || typeof r.processStart === 'string')
  );
}

/** The record in a lock; null when there is none or it cannot be read (a foreign, damaged or half-made lock). */
export function readLockRecord(lockPath: string): LockRecord | null {
  let text: string;
  try {
    text = readFileSync(lockPath, 'utf8');
  } catch {
    return null;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!isLockRecord(value)) return null;
    if (typeof value.staleMs !== 'number') value.staleMs = 10_000;
    return value;
  } catch {
    return null;
  }
}

/** File systems without hard links: the record is written into the lock after creating it exclusively. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV']);

/**
 * Creates the lock at `lockPath` holding `record`, or throws an `EEXIST` error when a lock is there.
 * `scratchPath` is a unique unused name in the same folder.
 */
export function createLockFile(lockPath: string, scratchPath: string, record: LockRecord): void {
  // The common contended case costs one stat instead of making a file only to throw it away.
  if (statSync(lockPath, { throwIfNoEntry: false })) throw errno('EEXIST', 'lock is held', lockPath);
  const text = JSON.stringify(record);
  writeFileSync(scratchPath, text, { flag: 'wx' });
  try {
    linkSync(scratchPath, lockPath);
  } catch (error) {
    if (!NO_HARD_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    // Without hard links the record lands a moment after the lock: in that moment others see a lock
    // without a record, which they only take over by staleness.
    writeFileSync(lockPath, text, { flag: 'wx' });
  } finally {
    rmSync(scratchPath, { force: true });
  }
}

function removeMovedLock(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // A folder: a foreign lock, or one made by proper-lockfile's default mkdir.
    rmSync(path, { recursive: true, force: true });
  }
}

/** Puts a moved lock back unless the name was taken meanwhile (rename(2) would overwrite; link(2) does not). */
function restoreMovedLock(scratchPath: string, lockPath: string): boolean {
  try {
    linkSync(scratchPath, lockPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST' || !NO_HARD_LINKS.has(code)) return false;
    if (statSync(lockPath, { throwIfNoEntry: false })) return false;
    renameSync(scratchPath, lockPath);
    return true;
  }
  unlinkSync(scratchPath);
  return true;
}

/** `absent`: no lock there; `removed`: it was deleted; `kept`: it was put back; `lost`: it did not qualify but could not be put back. */
export type LockRemoval = 'absent' | 'removed' | 'kept' | 'lost';

/**
 * Removes the lock only if, once it has been moved out of the way, `qualifies` still says so of what was
 * moved (its record and stat). A lock that does not qualify (a fresh one taken meanwhile) is put back.
 */
export function removeLockIf(
  lockPath: string,
  scratchPath: string,
  qualifies: (record: LockRecord | null, stat: Stats) => boolean,
): LockRemoval {
  try {
    renameSync(lockPath, scratchPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  let verdict = false;
  try {
    verdict = qualifies(readLockRecord(scratchPath), statSync(scratchPath));
  } catch {
    verdict = false;
  }
  if (verdict) {
    removeMovedLock(scratchPath);
    return 'removed';
  }
  try {
    if (restoreMovedLock(scratchPath, lockPath)) return 'kept';
  } catch {
    // fall through: it cannot be put back
  }
  // A new lock was taken in the instant it was away; two locks cannot both be in place. Its owner learns
  // it lost the lock from assertHeld (before any write) or from proper-lockfile's refresh.
  removeMovedLock(scratchPath);
  return 'lost';
}

export type HoldVerdict = { abandoned: false } | { abandoned: true; reason: string };

/**
 * Whether a hold can be taken over: on this host, at once when its process is gone or its pid now names
 * another process; from any host (and a stalled holder here), when its folder has not been refreshed
 * within the stale period.
 */
export function judgeHold(record: LockRecord | null, stat: Stats, staleMs: number, now = Date.now()): HoldVerdict {
  if (record && record.host === currentHost()) {
    const state = probeProcess(record.pid, record.processStart);
    if (state === 'dead') return { abandoned: true, reason: `holder process ${record.pid} is no longer running` };
    if (state === 'reused') {
      return { abandoned: true, reason: `holder process ${record.pid} has exited and its pid now names another process` };
    }
  }
  const idleMs = now - stat.mtimeMs;
  if (idleMs > staleMs) {
    const who = record ? `holder pid ${record.pid} on host ${record.host}` : 'a lock without a holder record';
    return { abandoned: true, reason: `${who} has not refreshed it for ${formatSeconds(idleMs)}` };
  }
  return { abandoned: false };
}

export function formatSeconds(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
}
