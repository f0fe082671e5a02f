import * as fs from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import properLockfile from 'proper-lockfile';
import {
  emitParacleWarning,
  StateLockError,
  StateLockHeldError,
  StateWriteError,
  type LockHolder,
  type WarningHandler,
} from '../errors.js';
import {
  formatSeconds,
  judgeHold,
  observeHold,
  recordPathFor,
  recordTokensIn,
  removeHold,
  toLockHolder,
  writeLockRecord,
  type LockRecord,
  type ObservedHold,
} from './lock-record.js';
import {
  countWaiters,
  firstWaiterAhead,
  hasWaiters,
  liveTicketAhead,
  joinQueue,
  leaveQueue,
  queueDirFor,
  refreshTicket,
  removeAbandonedTickets,
  type QueueTicket,
  type TicketOwner,
} from './lock-queue.js';
import { LockWakeup } from './lock-wakeup.js';
import { currentHost, ownProcessStartTime } from '../fs/process-identity.js';
import { acquirePythonLocks, type PythonLockHold } from './python-lock.js';
import { symlinkTarget } from '../fs/symlink-target.js';
import { removeOrphanedTempFiles } from '../fs/atomic-write.js';

/**
 * The state file's write lock: a proper-lockfile lock (a folder) at `<state file>.paracle-lock` holding
 * the holder record (lock-record.ts), taken over at once from a dead holder on this host, after the stale
 * period from another host, and serving waiters first come, first served (lock-queue.ts). Waiters sleep
 * until a release or their turn wakes them (lock-wakeup.ts).
 *
 * It lives beside the file a save really replaces (a symlinked state file's target), and a hold also
 * takes the Python paracle tooling's own lock, `current_state.yaml.lock` (python-lock.ts), after ours:
 * together they keep every writer of the file out of the read → rename window.
 */

export interface StateLockOptions {
  /** How long to wait for the lock; default 10 000 ms. */
  timeoutMs?: number;
  /** A hold not refreshed for this long is taken over (the only rule for holders on other hosts); default 10 000, at least 2000. */
  staleMs?: number;
  /** What to record as the holder's command; default this process's argv. */
  command?: string;
  /** Told when the Python tooling's lock cannot be taken here; default `emitParacleWarning`. */
  onWarning?: WarningHandler;
}

export interface StateLock {
  readonly holder: LockHolder;
  /** Why the lock is no longer ours (removed or taken over while held), or null. */
  readonly compromised: Error | null;
  /** Throws StateWriteError unless the lock is still held by this hold. Call it just before a write lands. */
  assertHeld(): void;
  /** Releases the lock; a no-op when already released (a lock taken over meanwhile is not ours to remove). */
  release(): Promise<void>;
}

export type LockStatus =
  | { state: 'free' }
  | { state: 'held'; holder: LockHolder | null; ageMs: number }
  | { state: 'stale'; holder: LockHolder | null; ageMs: number; reason: string };

export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
export const DEFAULT_STALE_MS = 10_000;
const MIN_STALE_MS = 2000;
/**
 * With a watch in place, waiters look again on every relevant change and otherwise this seldom: the
 * first in line to notice a holder killed outright (no file changes then), those behind to notice a
 * waiter ahead that was killed and to keep their tickets fresh (every TICKET_REFRESH_MS).
 */
const FALLBACK_FIRST_MS = 500;
const FALLBACK_BEHIND_MS = 1000;
/** Without a watch (none could be made), waiters poll, those behind more slowly: they only wait to move up. */
const POLL_FIRST_MS = 10;
const POLL_BEHIND_MS = 50;
/**
 * How often a holder of the Python tooling's lock checks that our lock is still its own. One taken over
 * (`lock clear --force`, a stale takeover) lets go of the Python lock at once: the new holder waits for it.
 * proper-lockfile's own check compares mtimes, which two holds taken within one second share.
 */
const TAKEOVER_CHECK_MS = 1000;
const MAX_COMMAND_LENGTH = 300;

/** The lock of a state file: beside the file its symlinks lead to, the one a save replaces. */
export function lockPathFor(stateFile: string): string {
  return `${symlinkTarget(stateFile)}.paracle-lock`;
}

function defaultCommand(): string {
  return process.argv.join(' ').trim().slice(0, MAX_COMMAND_LENGTH);
}

let holdCounter = 0;

/** Unique per hold on this host (pid + counter), and across hosts (random part), without crypto's cost. */
function newHoldToken(): string {
  holdCounter += 1;
  return `${process.pid.toString(36)}.${holdCounter.toString(36)}.${Math.random().toString(36).slice(2, 10)}`;
}

function newRecord(command: string, staleMs: number): LockRecord {
  const record: LockRecord = {
    pid: process.pid,
    host: currentHost(),
    command,
    startedAt: new Date().toISOString(),
    token: newHoldToken(),
    staleMs,
  };
  const processStart = ownProcessStartTime();
  if (processStart !== undefined) record.processStart = processStart;
  return record;
}

/** The hold of each lock path this process has, to notice a same-process successor of a lost lock. */
const holdsInThisProcess = new Map<string, HeldStateLock>();
let exitHookInstalled = false;

/**
 * proper-lockfile removes its folders on exit, but not one holding a record: a process that exits
 * holding the lock (process.exit in a hook) removes its record first, so it leaves nothing behind.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const held of holdsInThisProcess.values()) held.removeOnExit();
  });
}

class HeldStateLock implements StateLock {
  readonly holder: LockHolder;
  #compromised: Error | null = null;
  #released = false;
  /** The Python tooling's lock, taken right after this one and released just before it. */
  #pythonLock: PythonLockHold | null = null;
  #takeoverCheck: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    readonly lockPath: string,
    private readonly record: LockRecord,
    private readonly releaseLockfile: () => void,
  ) {
    this.holder = toLockHolder(record);
  }

  get compromised(): Error | null {
    return this.#compromised;
  }

  /** Holds `python` along with this lock, and watches for a takeover so as not to keep it from the next holder. */
  holdPythonLock(python: PythonLockHold): void {
    this.#pythonLock = python;
    if (python.method === 'none') return;
    this.#takeoverCheck = setInterval(() => this.checkStillOurs(), TAKEOVER_CHECK_MS);
    this.#takeoverCheck.unref();
  }

  markCompromised(reason: Error): void {
    if (this.#released || this.#compromised) return;
    this.#compromised = reason;
    if (holdsInThisProcess.get(this.lockPath) === this) holdsInThisProcess.delete(this.lockPath);
    // This hold will never write again (assertHeld now throws), and whoever took our lock needs the Python one next.
    this.#letGoOfPythonLock();
  }

  #letGoOfPythonLock(): void {
    clearInterval(this.#takeoverCheck);
    this.#pythonLock?.release();
  }

  /** Marks the hold compromised unless the lock holds our record and no other. */
  checkStillOurs(): void {
    if (this.#released || this.#compromised) return;
    const tokens = recordTokensIn(this.lockPath);
    if (tokens?.length === 1 && tokens[0] === this.record.token) return;
    const found = observeHold(this.lockPath);
    const other = found?.record && found.record.token !== this.record.token ? found.record : null;
    const now = other
      ? `it is now held by pid ${other.pid} (${other.command}) on host ${other.host}`
      : found
        ? 'its holder record is gone'
        : 'its lock is gone';
    this.markCompromised(
      Object.assign(new Error(`the lock ${this.lockPath} was taken over or removed while held: ${now}`), {
        code: 'ECOMPROMISED',
      }),
    );
  }

  assertHeld(): void {
    if (this.#released) {
      throw new StateWriteError(this.file, 'the state lock was already released; the write was abandoned');
    }
    if (!this.#compromised) {
      try {
        this.#pythonLock?.assertHeld();
      } catch (error) {
        this.markCompromised(Object.assign(error as Error, { code: 'ECOMPROMISED' }));
      }
    }
    this.checkStillOurs();
    if (this.#compromised) {
      throw new StateWriteError(this.file, `the state lock was lost (${this.#compromised.message}); the write was abandoned`, {
        cause: this.#compromised,
      });
    }
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#letGoOfPythonLock();
    if (holdsInThisProcess.get(this.lockPath) === this) holdsInThisProcess.delete(this.lockPath);
    // Our record gone means the lock was taken over: the folder there may be the next holder's.
    if (!this.#removeOwnRecord()) return;
    try {
      this.releaseLockfile();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ERELEASED: proper-lockfile already judged it compromised; ENOTEMPTY: another record landed in it.
      if (code !== 'ERELEASED' && code !== 'ENOTEMPTY') {
        throw new StateWriteError(this.file, `could not release the state lock ${this.lockPath}`, { cause: error });
      }
      if (code === 'ERELEASED') removeEmptyLock(this.lockPath);
    }
  }

  /** On exit while held: the record and, when that empties it, the folder. */
  removeOnExit(): void {
    if (this.#released || this.#compromised) return;
    if (this.#removeOwnRecord()) removeEmptyLock(this.lockPath);
  }

  #removeOwnRecord(): boolean {
    try {
      fs.unlinkSync(recordPathFor(this.lockPath, this.record.token));
      return true;
    } catch {
      return false;
    }
  }
}

function removeEmptyLock(lockPath: string): void {
  try {
    fs.rmdirSync(lockPath);
  } catch {
    // not empty (another hold) or gone
  }
}

interface Attempt {
  /** The state file as given (named in messages). */
  file: string;
  /** Where its symlinks lead: the lock, its queue and its scratch files live beside it. */
  target: string;
  lockPath: string;
  staleMs: number;
  command: string;
}

/** proper-lockfile's answers that mean "a lock is there": held, or stale but holding a record it cannot rmdir. */
const LOCK_IS_THERE = new Set(['ELOCKED', 'ENOTEMPTY', 'EEXIST', 'ENOTDIR']);

/**
 * One try at the lock, first removing a hold that is abandoned (a dead holder on this host, or one not
 * refreshed within the stale period). Returns null when it is held by someone alive.
 */
function tryTake(attempt: Attempt): HeldStateLock | null {
  const { file, lockPath, staleMs } = attempt;
  // A few rounds: after removing an abandoned hold, try again at once (others may be doing the same).
  for (let round = 0; round < 3; round += 1) {
    const record = newRecord(attempt.command, staleMs);
    let held: HeldStateLock | null = null;
    let release: () => void;
    try {
      release = properLockfile.lockSync(file, {
        lockfilePath: lockPath,
        realpath: false,
        stale: staleMs,
        // proper-lockfile's default handler throws from a timer, which would crash the process.
        onCompromised: (error: Error) => held?.markCompromised(error),
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOENT' && fs.existsSync(dirname(lockPath))) continue; // removed under its first look: try again
      if (!LOCK_IS_THERE.has(code)) {
        throw new StateWriteError(file, `could not create the state lock ${lockPath}: ${(error as Error).message}`, { cause: error });
      }
      const hold = observeHold(lockPath);
      if (hold === null) continue;
      if (!judgeHold(hold.record, hold.stat, staleMs).abandoned) return null;
      removeHold(lockPath, hold);
      continue;
    }
    try {
      writeLockRecord(lockPath, record);
    } catch (error) {
      // Our new folder was removed in the instant before the record landed (a takeover of a folder that had
      // stayed without one): it is not ours; proper-lockfile finds out on its next refresh.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new StateWriteError(file, `could not write the state lock's holder record in ${lockPath}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    held = new HeldStateLock(file, lockPath, record, release);
    holdsInThisProcess
      .get(lockPath)
      ?.markCompromised(new Error(`the lock ${lockPath} was removed while held and has been taken again in this process`));
    holdsInThisProcess.set(lockPath, held);
    installExitHook();
    return held;
  }
  return null;
}

function timeoutError(attempt: Attempt, timeoutMs: number, ticket: QueueTicket | null): StateLockError {
  const { file, lockPath } = attempt;
  const hold = observeHold(lockPath);
  const waited = `Timed out after ${formatSeconds(timeoutMs)} waiting for the state lock on ${file}`;
  const advice = 'Wait for it to finish and retry, or check that process; a holder that has died is taken over automatically.';
  if (hold?.record) {
    const { record } = hold;
    const holder = toLockHolder(record);
    const otherHost =
      record.host !== currentHost() ? ` (another host: taken over once not refreshed for ${formatSeconds(attempt.staleMs)})` : '';
    return new StateLockError(`${waited}: held by ${describeHolder(holder, holdAgeMs(hold))}${otherHost}. ${advice}`, file, holder);
  }
  if (hold) {
    return new StateLockError(
      `${waited}: held by an unknown process (no holder record) for ${formatSeconds(holdAgeMs(hold))}; it is taken over once not refreshed for ${formatSeconds(attempt.staleMs)}. ${advice}`,
      file,
    );
  }
  const ahead = ticket ? firstWaiterAhead(ticket, attempt.staleMs) : null;
  const waiting = Math.max(0, countWaiters(queueDirFor(attempt.target)) - (ticket ? 1 : 0));
  const first = ahead ? ` (first in line: ${describeOwner(ahead)})` : '';
  return new StateLockError(`${waited}: ${waiting} earlier waiter(s) still in line${first}. ${advice}`, file);
}

/**
 * Takes the state lock, waiting in line behind earlier waiters, then the Python tooling's lock.
 * Rejects with StateLockError after `timeoutMs` (for both together), naming the holder.
 */
export async function acquireStateLock(stateFile: string, options: StateLockOptions = {}): Promise<StateLock> {
  const file = resolve(stateFile);
  const target = symlinkTarget(file);
  const attempt: Attempt = {
    file,
    target,
    lockPath: `${target}.paracle-lock`,
    staleMs: Math.max(options.staleMs ?? DEFAULT_STALE_MS, MIN_STALE_MS),
    command: (options.command ?? defaultCommand()).slice(0, MAX_COMMAND_LENGTH),
  };
  const timeoutMs = Math.max(0, options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  // A hold does its file I/O synchronously (atomic-write.ts), so a save no longer passes through the event
  // loop on its own: let it run once before each hold, or a process saving in a loop would never read its input.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const deadline = Date.now() + timeoutMs;
  const lock = await takeOwnLock(attempt, deadline, timeoutMs);
  try {
    lock.holdPythonLock(await acquirePythonLocks(file, target, deadline, timeoutMs, options.onWarning ?? emitParacleWarning));
  } catch (error) {
    await lock.release().catch(() => undefined);
    throw error;
  }
  return lock;
}

async function takeOwnLock(attempt: Attempt, deadline: number, timeoutMs: number): Promise<HeldStateLock> {
  const queueDir = queueDirFor(attempt.target);
  if (!hasWaiters(queueDir)) {
    const lock = tryTake(attempt);
    if (lock) return lock;
  }

  const ticket = joinQueue(queueDir);
  const lockName = basename(attempt.lockPath);
  const wakeup = new LockWakeup();
  try {
    for (;;) {
      // Each waiter watches one thing, so a change wakes one process, not the whole line: the first in
      // line, the state folder for the lock folder coming and going; the others, the ticket just ahead
      // of theirs (its removal, or its refresh every TICKET_REFRESH_MS).
      const ahead = liveTicketAhead(ticket, attempt.staleMs, 'behind');
      const first = ahead === null;
      const rewatched = first
        ? wakeup.watch(dirname(attempt.lockPath), (event, name) => event === 'rename' && (name === null || name === lockName))
        : wakeup.watch(ahead.path, () => true);
      if (rewatched) continue; // look again with the watch in place
      if (first) {
        const lock = tryTake(attempt);
        if (lock) return lock;
      }
      const now = Date.now();
      if (now >= deadline) throw timeoutError(attempt, timeoutMs, ticket);
      refreshTicket(ticket, now);
      const pause = wakeup.watching ? (first ? FALLBACK_FIRST_MS : FALLBACK_BEHIND_MS) : first ? POLL_FIRST_MS : POLL_BEHIND_MS;
      await wakeup.sleep(Math.min(pause, deadline - now));
    }
  } finally {
    wakeup.close();
    leaveQueue(ticket);
  }
}

/** Runs `fn` holding the lock; releases it however `fn` ends. The one wrapper every writer uses. */
export async function withStateLock<T>(stateFile: string, options: StateLockOptions, fn: (lock: StateLock) => Promise<T>): Promise<T> {
  const lock = await acquireStateLock(stateFile, options);
  let result: T;
  try {
    result = await fn(lock);
  } catch (error) {
    // The caller's error matters more than a failed release (which others recover from by staleness).
    await lock.release().catch(() => undefined);
    throw error;
  }
  await lock.release();
  return result;
}

function describeOwner(owner: TicketOwner): string {
  return owner.sameHost ? `pid ${owner.pid}` : `pid ${owner.pid} on another host`;
}

function describeHolder(holder: LockHolder, ageMs: number): string {
  return `pid ${holder.pid} (${holder.command}) on host ${holder.host} for ${formatSeconds(ageMs)}`;
}

function holdAgeMs(hold: ObservedHold, now = Date.now()): number {
  const started = hold.record ? Date.parse(hold.record.startedAt) : Number.NaN;
  if (!Number.isNaN(started)) return Math.max(0, now - started);
  return Math.max(0, now - (hold.stat.birthtimeMs || hold.stat.ctimeMs));
}

function isSameHold(a: ObservedHold, b: ObservedHold): boolean {
  if (a.record && b.record) return a.record.token === b.record.token;
  return a.stat.ino === b.stat.ino && a.stat.birthtimeMs === b.stat.birthtimeMs;
}

function staleMsOf(hold: ObservedHold): number {
  return Math.max(hold.record?.staleMs ?? DEFAULT_STALE_MS, MIN_STALE_MS);
}

/**
 * For readers, who never take the lock and never block each other: if a writer holds the lock now, waits
 * until THAT hold ends (a writer that takes the lock after it does not extend the wait). A dead or stale
 * hold does not count, nor a hold by this same process. Rejects with StateLockError after `timeoutMs`.
 */
export async function waitForNoWriter(stateFile: string, timeoutMs: number): Promise<void> {
  const file = resolve(stateFile);
  const lockPath = lockPathFor(file);
  const first = observeHold(lockPath);
  if (!first || judgeHold(first.record, first.stat, staleMsOf(first)).abandoned) return;
  // This process's own hold (a read inside an update): waiting for it could only end in a timeout, and
  // the file on disk is whole either way.
  if (first.record?.pid === process.pid && first.record.host === currentHost()) return;
  const deadline = Date.now() + Math.max(0, timeoutMs);
  const lockName = basename(lockPath);
  const wakeup = new LockWakeup();
  try {
    for (;;) {
      const rewatched = wakeup.watch(dirname(lockPath), (event, name) => event === 'rename' && (name === null || name === lockName));
      if (!rewatched) {
        const now = Date.now();
        if (now >= deadline) {
          const holder = first.record ? toLockHolder(first.record) : null;
          const who = holder ? describeHolder(holder, holdAgeMs(first)) : 'an unknown process';
          throw new StateLockError(
            `Timed out after ${formatSeconds(timeoutMs)} waiting to read ${file}: a writer holds it, ${who}. Wait for it to finish and retry, or check that process; a holder that has died is taken over automatically.`,
            file,
            holder,
          );
        }
        await wakeup.sleep(Math.min(wakeup.watching ? FALLBACK_FIRST_MS : POLL_FIRST_MS, deadline - now));
      }
      const current = observeHold(lockPath);
      if (!current || !isSameHold(first, current)) return;
      if (judgeHold(current.record, current.stat, staleMsOf(current)).abandoned) return;
    }
  } finally {
    wakeup.close();
  }
}

/** Who holds the lock and whether that hold is alive, for `paracle lock status`. */
export async function readLockStatus(stateFile: string): Promise<LockStatus> {
  return statusOf(observeHold(lockPathFor(stateFile)));
}

function statusOf(hold: ObservedHold | null): LockStatus {
  if (!hold) return { state: 'free' };
  const holder = hold.record ? toLockHolder(hold.record) : null;
  const ageMs = holdAgeMs(hold);
  const verdict = judgeHold(hold.record, hold.stat, staleMsOf(hold));
  if (verdict.abandoned) return { state: 'stale', holder, ageMs, reason: verdict.reason };
  return { state: 'held', holder, ageMs };
}

/**
 * Removes a stale lock (and abandoned queue tickets and temp files). A live lock is refused with
 * StateLockHeldError unless `force`, which takes it from its holder (whose write is then abandoned by
 * `assertHeld`). Returns the status of the lock as found, before it was removed.
 */
export async function clearLock(stateFile: string, options: { force: boolean }): Promise<LockStatus> {
  const file = resolve(stateFile);
  const target = symlinkTarget(file);
  const lockPath = `${target}.paracle-lock`;
  let found: LockStatus = { state: 'free' };
  for (let round = 0; round < 3; round += 1) {
    const hold = observeHold(lockPath);
    found = statusOf(hold);
    if (!hold || found.state === 'free') break;
    if (found.state === 'held' && !options.force) {
      throw new StateLockHeldError(
        `${file} is locked by ${found.holder ? describeHolder(found.holder, found.ageMs) : 'an unknown process'}, which is still running; not removing a live lock (use force to take it anyway).`,
        file,
        found.holder,
      );
    }
    // Removed exactly as observed; when it is not (someone took the lock meanwhile), judge the new hold.
    if (removeHold(lockPath, hold) && !fs.existsSync(lockPath)) break;
  }
  removeAbandonedTickets(queueDirFor(target), DEFAULT_STALE_MS);
  await removeOrphanedTempFiles(file).catch(() => 0);
  return found;
}
