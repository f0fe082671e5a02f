import * as fs from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import properLockfile from 'proper-lockfile';
import { StateLockError, StateLockHeldError, StateWriteError, type LockHolder } from '../errors.js';
import {
  createLockFile,
  formatSeconds,
  judgeHold,
  readLockRecord,
  removeLockIf,
  toLockHolder,
  type LockRecord,
  type LockRemoval,
} from './lock-record.js';
import {
  countWaiters,
  firstWaiterAhead,
  hasWaiters,
  joinQueue,
  leaveQueue,
  queueDirFor,
  refreshTicket,
  removeAbandonedTickets,
  type QueueTicket,
  type TicketOwner,
} from './lock-queue.js';
import { currentHost, ownProcessStartTime, probeProcess } from '../fs/process-identity.js';
import { acquirePythonLocks, type PythonLockHold } from './python-lock.js';
import { scratchPathFor } from '../fs/scratch-files.js';
import { symlinkTarget } from '../fs/symlink-target.js';
import { removeOrphanedTempFiles } from '../fs/atomic-write.js';

/**
 * The state file's write lock: a proper-lockfile lock at `<state file>.paracle-lock` (a small file holding
 * the holder record, see lock-record.ts) that is taken over at once from a dead holder on this host, after
 * the stale period from another host, and serves waiters first come, first served (lock-queue.ts).
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
}

export interface StateLock {
  readonly holder: LockHolder;
  /** Why the lock is no longer ours (removed or taken over while held), or null. */
  readonly compromised: Error | null;
  /** Throws StateWriteError unless the lock is still held by this hold. Call it just before a write lands. */
  assertHeld(): void;
  /** Releases the lock; a no-op when already released or compromised (a taken-over lock is not ours to remove). */
  release(): Promise<void>;
}

export type LockStatus =
  | { state: 'free' }
  | { state: 'held'; holder: LockHolder | null; ageMs: number }
  | { state: 'stale'; holder: LockHolder | null; ageMs: number; reason: string };

export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
export const DEFAULT_STALE_MS = 10_000;
const MIN_STALE_MS = 2000;
/** The first waiter in line looks again this often; a release is noticed within a few ms. */
const POLL_MS = 2;
/**
 * Waiters further back only need to notice that they moved up; polling them as fast would take CPU
 * from the holder they wait for (8 waiters on 2 cores made contended saves 2.5× slower).
 */
const POLL_BEHIND_MS = 12;
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

/**
 * The fs proper-lockfile uses for one attempt. Its `mkdir` creates the lock with the holder record already
 * in it; its `rmdir` (release, exit cleanup, or proper-lockfile removing a stale lock) moves the lock away
 * and deletes it only if it is this attempt's own hold or still abandoned, so it never deletes a lock
 * someone has just taken. Everything is synchronous: a take or a release is a few syscalls with no
 * other work interleaved, which is also what lets the holder bookkeeping below stay simple.
 */
function lockfileFs(target: string, record: LockRecord, staleMs: number) {
  const adapter = {
    lastRemoval: 'absent' as LockRemoval,
    mkdirSync(path: string): void {
      createLockFile(path, scratchPathFor(target), record);
    },
    rmdirSync(path: string): void {
      adapter.lastRemoval = removeLockIf(path, scratchPathFor(target), (found, stat) => {
        if (found?.token === record.token) return true;
        return judgeHold(found, stat, staleMs).abandoned;
      });
    },
    statSync: (path: string) => fs.statSync(path),
    utimesSync: (path: string, atime: Date, mtime: Date) => fs.utimesSync(path, atime, mtime),
    realpathSync: (path: string) => fs.realpathSync(path),
  };
  return adapter;
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
    private readonly fsAdapter: { lastRemoval: LockRemoval },
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

  /** Marks the hold compromised when the lock now records another holder (or none). */
  checkStillOurs(): void {
    if (this.#released || this.#compromised) return;
    const found = readLockRecord(this.lockPath);
    if (found?.token === this.record.token) return;
    const now = found ? `it is now held by pid ${found.pid} (${found.command}) on host ${found.host}` : 'its lock is gone';
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
    const compromised = this.#compromised !== null;
    this.#released = true;
    this.#letGoOfPythonLock();
    if (holdsInThisProcess.get(this.lockPath) === this) holdsInThisProcess.delete(this.lockPath);
    if (compromised) return;
    try {
      this.releaseLockfile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERELEASED') return;
      throw new StateWriteError(this.file, `could not release the state lock ${this.lockPath}`, { cause: error });
    }
    if (this.fsAdapter.lastRemoval === 'kept' || this.fsAdapter.lastRemoval === 'lost') {
      // The lock there was not ours: it was replaced without proper-lockfile noticing yet.
      this.#compromised = new Error(`the lock ${this.lockPath} had been replaced by another holder before release`);
    }
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

/**
 * One try at the lock, taking it over first when its holder on this host is gone. Returns null when it is
 * held by someone alive.
 */
function tryTake(attempt: Attempt): HeldStateLock | null {
  const { file, target, lockPath, staleMs } = attempt;
  // Two rounds: a takeover of a dead holder is followed at once by a fresh try.
  for (let round = 0; round < 2; round += 1) {
    const record = newRecord(attempt.command, staleMs);
    const fsAdapter = lockfileFs(target, record, staleMs);
    let held: HeldStateLock | null = null;
    try {
      const release = properLockfile.lockSync(file, {
        lockfilePath: lockPath,
        realpath: false,
        stale: staleMs,
        retries: 0,
        fs: fsAdapter,
        // proper-lockfile's default handler throws from a timer, which would crash the process.
        onCompromised: (error: Error) => held?.markCompromised(error),
      });
      held = new HeldStateLock(file, lockPath, record, release, fsAdapter);
      holdsInThisProcess
        .get(lockPath)
        ?.markCompromised(new Error(`the lock ${lockPath} was removed while held and has been taken again in this process`));
      holdsInThisProcess.set(lockPath, held);
      return held;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && fs.existsSync(dirname(lockPath))) {
        // The lock we had just made was gone when proper-lockfile first touched it: a process checking
        // whether the hold it had seen was abandoned moved it aside for that instant (removeLockIf).
        // It puts it back, but nobody holds it: remove it, then try again.
        removeOwnLockWhenBack(target, lockPath, record.token);
        continue;
      }
      if (code !== 'ELOCKED') {
        throw new StateWriteError(file, `could not create the state lock ${lockPath}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    const current = readLockRecord(lockPath);
    if (!current || current.host !== currentHost()) return null;
    if (probeProcess(current.pid, current.processStart) === 'alive') return null;
    // Dead holder on this host: remove exactly that hold (not one taken since we looked), then try again.
    removeLockIf(lockPath, scratchPathFor(target), (found) => found?.token === current.token);
  }
  return null;
}

/** Waits (a second at most) for our lock that another process moved aside to be put back, and removes it. */
function removeOwnLockWhenBack(target: string, lockPath: string, token: string): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 1000;
  for (;;) {
    const found = readLockRecord(lockPath);
    if (found?.token === token) {
      removeLockIf(lockPath, scratchPathFor(target), (moved) => moved?.token === token);
      return;
    }
    // Another hold is in place (ours could not be put back and was dropped), or ours never came back.
    if (found !== null || Date.now() > deadline) return;
    Atomics.wait(pause, 0, 0, 1);
  }
}

function describeOwner(owner: TicketOwner): string {
  return owner.sameHost ? `pid ${owner.pid}` : `pid ${owner.pid} on another host`;
}

function describeHolder(holder: LockHolder, ageMs: number): string {
  return `pid ${holder.pid} (${holder.command}) on host ${holder.host} for ${formatSeconds(ageMs)}`;
}

function holdAgeMs(record: LockRecord | null, stat: fs.Stats | undefined, now = Date.now()): number {
  const started = record ? Date.parse(record.startedAt) : Number.NaN;
  if (!Number.isNaN(started)) return Math.max(0, now - started);
  return stat ? Math.max(0, now - (stat.birthtimeMs || stat.ctimeMs)) : 0;
}

function timeoutError(attempt: Attempt, timeoutMs: number, ticket: QueueTicket | null): StateLockError {
  const { file, lockPath } = attempt;
  const stat = fs.statSync(lockPath, { throwIfNoEntry: false });
  const record = stat ? readLockRecord(lockPath) : null;
  const waited = `Timed out after ${formatSeconds(timeoutMs)} waiting for the state lock on ${file}`;
  const advice = 'Wait for it to finish and retry, or check that process; a holder that has died is taken over automatically.';
  if (stat && record) {
    const holder = toLockHolder(record);
    const otherHost =
      record.host !== currentHost() ? ` (another host: taken over once not refreshed for ${formatSeconds(attempt.staleMs)})` : '';
    return new StateLockError(`${waited}: held by ${describeHolder(holder, holdAgeMs(record, stat))}${otherHost}. ${advice}`, file, holder);
  }
  if (stat) {
    return new StateLockError(
      `${waited}: held by an unknown process (no holder record) for ${formatSeconds(holdAgeMs(null, stat))}; it is taken over once not refreshed for ${formatSeconds(attempt.staleMs)}. ${advice}`,
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
  const deadline = Date.now() + timeoutMs;
  const lock = await takeOwnLock(attempt, deadline, timeoutMs);
  try {
    lock.holdPythonLock(await acquirePythonLocks(file, target, deadline, timeoutMs));
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
  try {
    for (;;) {
      const first = firstWaiterAhead(ticket, attempt.staleMs) === null;
      if (first) {
        const lock = tryTake(attempt);
        if (lock) return lock;
      }
      if (Date.now() >= deadline) throw timeoutError(attempt, timeoutMs, ticket);
      refreshTicket(ticket);
      await sleep(first ? POLL_MS : POLL_BEHIND_MS);
    }
  } finally {
    leaveQueue(ticket);
  }
}

/** Runs `fn` holding the lock; releases it however `fn` ends. */
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

interface ObservedHold {
  record: LockRecord | null;
  stat: fs.Stats;
}

function observeHold(lockPath: string): ObservedHold | null {
  const stat = fs.statSync(lockPath, { throwIfNoEntry: false });
  if (!stat) return null;
  return { record: readLockRecord(lockPath), stat };
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
  for (;;) {
    if (Date.now() >= deadline) {
      const holder = first.record ? toLockHolder(first.record) : null;
      const who = holder ? describeHolder(holder, holdAgeMs(first.record, first.stat)) : 'an unknown process';
      throw new StateLockError(
        `Timed out after ${formatSeconds(timeoutMs)} waiting to read ${file}: a writer holds it, ${who}. Wait for it to finish and retry, or check that process; a holder that has died is taken over automatically.`,
        file,
        holder,
      );
    }
    await sleep(POLL_MS);
    const now = observeHold(lockPath);
    if (!now || !isSameHold(first, now)) return;
    if (judgeHold(now.record, now.stat, staleMsOf(now)).abandoned) return;
  }
}

/** Who holds the lock and whether that hold is alive, for `paracle lock status`. */
export async function readLockStatus(stateFile: string): Promise<LockStatus> {
  const hold = observeHold(lockPathFor(stateFile));
  return statusOf(hold);
}

function statusOf(hold: ObservedHold | null): LockStatus {
  if (!hold) return { state: 'free' };
  const holder = hold.record ? toLockHolder(hold.record) : null;
  const ageMs = holdAgeMs(hold.record, hold.stat);
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
    const removal = removeLockIf(lockPath, scratchPathFor(target), (record, stat) => isSameHold(hold, { record, stat }));
    if (removal !== 'kept') break;
    // Someone took the lock between the look and the removal: judge the new hold.
  }
  removeAbandonedTickets(queueDirFor(target), DEFAULT_STALE_MS);
  await removeOrphanedTempFiles(file).catch(() => 0);
  return found;
}
