import { readFileSync, readdirSync, renameSync, rmdirSync, statSync, unlinkSync, utimesSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { LockHolder } from '../errors.js';
import { currentHost, probeProcess } from '../fs/process-identity.js';

/**
 * The lock is proper-lockfile's folder (its mkdir is the atomic step). Once it is ours, the holder record
 * is written into it as `holder-<token>.json`, through a temp file and a rename, so it is read whole or
 * not at all. The token in the name lets whoever judged a hold abandoned remove exactly that hold
 * (unlink of that name, then rmdir, which only removes an empty folder) and never a hold taken since,
 * whose record has another name: no lock is ever moved or deleted on a guess.
 *
 * A folder without a record is a taker between its mkdir and its rename (microseconds), or one killed
 * there: it is taken over once it has gone `RECORDLESS_GRACE_MS` without one.
 */

/** What the lock records: the holder, plus what others need to judge and verify the hold. */
export interface LockRecord extends LockHolder {
  /** Unique per hold: tells this hold apart from a later one by the same process. */
  token: string;
  /** The holder's stale period: its proper-lockfile refreshes the lock's mtime every half of it. */
  staleMs: number;
}

/** A folder that has had no record for this long lost its taker before it wrote one. */
export const RECORDLESS_GRACE_MS = 2000;

const RECORD_PATTERN = /^holder-(.+)\.json$/;

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

export function recordPathFor(lockPath: string, token: string): string {
  return join(lockPath, `holder-${token}.json`);
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

function parseRecord(path: string): LockRecord | null {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (!isLockRecord(value)) return null;
    if (typeof value.staleMs !== 'number') value.staleMs = 10_000;
    return value;
  } catch {
    return null;
  }
}

/** The tokens of the records in a lock folder, sorted; null when there is no folder there. */
export function recordTokensIn(lockPath: string): string[] | null {
  let names: string[];
  try {
    names = readdirSync(lockPath);
  } catch {
    return null;
  }
  const tokens: string[] = [];
  for (const name of names) {
    const token = RECORD_PATTERN.exec(name)?.[1];
    if (token !== undefined) tokens.push(token);
  }
  return tokens.sort();
}

/** A lock as seen at one moment: its stat and the holder record in it (null when none can be read). */
export interface ObservedHold {
  stat: Stats;
  /** The token its record's name carries (null for none, or for an earlier paracle's lock file). */
  token: string | null;
  record: LockRecord | null;
}

/**
 * The lock at `lockPath` now, or null when there is none. A plain file there is a lock of an earlier
 * paracle (one JSON record): it is read, and judged by the same rules.
 */
export function observeHold(lockPath: string): ObservedHold | null {
  const stat = statSync(lockPath, { throwIfNoEntry: false });
  if (!stat) return null;
  if (!stat.isDirectory()) return { stat, token: null, record: parseRecord(lockPath) };
  const token = recordTokensIn(lockPath)?.[0] ?? null;
  return { stat, token, record: token === null ? null : parseRecord(recordPathFor(lockPath, token)) };
}

/** The record in a lock; null when there is none or it cannot be read. */
export function readLockRecord(lockPath: string): LockRecord | null {
  return observeHold(lockPath)?.record ?? null;
}

/**
 * Writes `record` into the lock folder just taken, keeping the folder's mtime as proper-lockfile left it:
 * its refresh timer compares that mtime with the one it set, and a changed one means "compromised".
 */
export function writeLockRecord(lockPath: string, record: LockRecord): void {
  const { atime, mtime } = statSync(lockPath);
  const temp = join(lockPath, `.holder-${record.token}.tmp`);
  writeFileSync(temp, JSON.stringify(record), { flag: 'wx' });
  renameSync(temp, recordPathFor(lockPath, record.token));
  utimesSync(lockPath, atime, mtime);
}

function ignoreMissing(action: () => void, alsoIgnore: readonly string[] = []): boolean {
  try {
    action();
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT' || alsoIgnore.includes(code)) return false;
    throw error;
  }
}

/**
 * Removes the hold `hold` (as observed) and only that one: its record by name, then the folder if that
 * left it empty. A hold without a record is removed only while its folder is empty (bar temp files).
 * False when it was not there any more (someone else removed it, or a record has arrived).
 */
export function removeHold(lockPath: string, hold: ObservedHold): boolean {
  if (!hold.stat.isDirectory()) {
    // An earlier paracle's lock file: remove it if it is still the same file.
    const now = statSync(lockPath, { throwIfNoEntry: false });
    if (!now || now.ino !== hold.stat.ino || now.isDirectory()) return false;
    return ignoreMissing(() => unlinkSync(lockPath));
  }
  if (hold.token !== null) {
    const record = recordPathFor(lockPath, hold.token);
    if (!ignoreMissing(() => unlinkSync(record))) return false;
  } else {
    if ((recordTokensIn(lockPath) ?? []).length > 0) return false;
    // A taker killed between writing its temp record and renaming it leaves that temp file.
    for (const name of readdirSafe(lockPath)) if (name.endsWith('.tmp')) ignoreMissing(() => unlinkSync(join(lockPath, name)));
  }
  ignoreMissing(() => rmdirSync(lockPath), ['ENOTEMPTY', 'EEXIST']);
  return true;
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

export type HoldVerdict = { abandoned: false } | { abandoned: true; reason: string };

/**
 * Whether a hold can be taken over: on this host, at once when its process is gone or its pid now names
 * another process; from any host (and a stalled holder here), when its folder has not been refreshed
 * within the stale period; a folder without a record, once it has had none for RECORDLESS_GRACE_MS.
 */
export function judgeHold(record: LockRecord | null, stat: Stats, staleMs: number, now = Date.now()): HoldVerdict {
  if (record && record.host === currentHost()) {
    const state = probeProcess(record.pid, record.processStart);
    if (state === 'dead') return { abandoned: true, reason: `holder process ${record.pid} is no longer running` };
    if (state === 'reused') {
      return { abandoned: true, reason: `holder process ${record.pid} has exited and its pid now names another process` };
    }
  }
  // ctime: the last change of any kind (mkdir, the record's rename, a refresh), so a live taker is never this old.
  if (!record && stat.isDirectory() && now - stat.ctimeMs > RECORDLESS_GRACE_MS) {
    return {
      abandoned: true,
      reason: `a lock without a holder record for ${formatSeconds(now - stat.ctimeMs)} (its taker died before writing one)`,
    };
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
