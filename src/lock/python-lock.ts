import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { StateLockError, type WarningHandler } from '../errors.js';
import { flockTaker, markFlockUnavailable, type FlockMethod, type FlockTaker } from './flock.js';

/**
 * The Python paracle tooling's lock, held by our writers too for their whole read → rename window.
 *
 * `state.py` saves under `FileLock(state_file.with_suffix(".yaml.lock"))`: filelock opens
 * `current_state.yaml.lock` with O_RDWR|O_CREAT|O_TRUNC and polls `flock(LOCK_EX | LOCK_NB)` every
 * 50 ms. We open it the same way but without O_TRUNC: a lock needs no change to the file. Our own lock (lock.ts) is a different file that Python never looks at, so without this a
 * rename by one side inside the other's window was silently overwritten.
 *
 * Order: our lock first, then this one. Python only ever takes this one lock, so it never waits for
 * ours while holding its own, and among our writers only the holder of our lock asks for it: no
 * cycle can form. The lock file is left in place, as filelock leaves it: deleting a flocked file
 * lets a newcomer lock a fresh inode while a waiter still holds the old one.
 */

export interface PythonLockHold {
  /** How the lock was taken here, or `none` when it could not be (said once on stderr). */
  readonly method: FlockMethod | 'none';
  readonly paths: readonly string[];
  /** Throws when a held lock file was deleted or replaced: a Python writer could then lock the new one. */
  assertHeld(): void;
  release(): void;
}

/** The path filelock locks for a state file: pathlib's `with_suffix(".yaml.lock")`. */
export function pythonLockPathFor(stateFile: string): string {
  const name = basename(stateFile);
  const suffix = extname(name);
  return join(dirname(stateFile), `${name.slice(0, name.length - suffix.length)}.yaml.lock`);
}

/**
 * The Python locks guarding one write: the one a Python writer using `file` (the path as given, maybe a
 * symlink) takes, and, when `file` links to another paracle state file, the one a Python writer in that
 * file's own project takes. Sorted, so every writer takes them in the same order.
 */
export function pythonLockPathsFor(file: string, target: string): string[] {
  const paths = new Set([pythonLockPathFor(file)]);
  if (target !== file && basename(target) === basename(file)) paths.add(pythonLockPathFor(target));
  return [...paths].sort();
}

interface HeldFile {
  path: string;
  fd: number;
  stat: Stats;
}

const NOT_HELD: PythonLockHold = { method: 'none', paths: [], assertHeld: () => undefined, release: () => undefined };

let warned = false;

/** Says once per process that Python writers are not excluded, and why. */
function warnUnprotected(reason: string, onWarning: WarningHandler): void {
  if (warned) return;
  warned = true;
  onWarning(
    `cannot take the Python paracle tooling's lock (current_state.yaml.lock) here: ${reason}. ` +
      'A Python writer (its CLI, agents or scripts) saving at the same moment can overwrite this update. ' +
      'On Linux, util-linux flock on PATH excludes it where the shipped flock binding does not load.',
  );
}

/**
 * Opens (creates) the lock file as filelock does, without truncating it. Null when it cannot be opened
 * at all: a Python writer running as this user cannot lock it either; one running as another user
 * could, so that is reported.
 */
function openLockFile(path: string, onWarning: WarningHandler): number | null {
  try {
    return openSync(path, constants.O_RDWR | constants.O_CREAT, 0o666);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // No folder yet: the state file cannot exist either, so there is no Python window to overlap.
    if (code === 'ENOENT') return null;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') {
      warnUnprotected(`cannot open ${path} (${(error as Error).message})`, onWarning);
      return null;
    }
  }
  // A lock file created by another user: flock needs no write access.
  try {
    return openSync(path, constants.O_RDONLY);
  } catch (error) {
    warnUnprotected(`cannot open ${path} (${(error as Error).message})`, onWarning);
    return null;
  }
}

/**
 * Takes every Python lock of the write, waiting until `deadline` (ms since the epoch). Rejects with
 * StateLockError naming the holder when one stays held; where no flock can be taken at all, says so
 * once and resolves without one.
 */
export async function acquirePythonLocks(
  file: string,
  target: string,
  deadline: number,
  timeoutMs: number,
  onWarning: WarningHandler,
): Promise<PythonLockHold> {
  const taker = await flockTaker();
  if (taker.method === 'none') {
    if (!taker.chosen) warnUnprotected(taker.reason, onWarning);
    return NOT_HELD;
  }
  const held: HeldFile[] = [];
  try {
    for (const path of pythonLockPathsFor(file, target)) {
      const fd = openLockFile(path, onWarning);
      if (fd === null) continue;
      held.push({ path, fd, stat: fstatSync(fd) });
      const outcome = await waitForLock(taker, fd, deadline);
      if (outcome === 'timeout') throw timeoutError(file, path, timeoutMs);
      if (outcome !== 'held') {
        // The flock itself failed (command missing, flock refused): this process cannot take it at all.
        const reason = taker.nativeProblem ? `${taker.nativeProblem}, and ${outcome}` : outcome;
        markFlockUnavailable(reason);
        warnUnprotected(reason, onWarning);
        closeAll(held, taker);
        return NOT_HELD;
      }
    }
  } catch (error) {
    closeAll(held, taker);
    throw error;
  }
  return holdOf(held, taker);
}

/** 'held', 'timeout', or why the flock cannot be taken at all. */
async function waitForLock(taker: FlockTaker, fd: number, deadline: number): Promise<'held' | 'timeout' | string> {
  try {
    return (await taker.lockUntil(fd, deadline)) ? 'held' : 'timeout';
  } catch (error) {
    return (error as Error).message;
  }
}

function closeAll(held: HeldFile[], taker: FlockTaker): void {
  for (const { fd } of held.splice(0)) {
    taker.unlock(fd);
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

function holdOf(held: HeldFile[], taker: FlockTaker): PythonLockHold {
  return {
    method: taker.method,
    paths: held.map((h) => h.path),
    assertHeld() {
      for (const { path, stat } of held) {
        const now = statSync(path, { throwIfNoEntry: false });
        if (!now || now.ino !== stat.ino || now.dev !== stat.dev) {
          throw new Error(
            `the Python tooling's lock file ${path} was ${now ? 'replaced' : 'deleted'} while held, so a Python writer could take it`,
          );
        }
      }
    },
    release() {
      closeAll(held, taker);
    },
  };
}

function timeoutError(file: string, lockPath: string, timeoutMs: number): StateLockError {
  const holder = flockHolder(lockPath);
  const seconds = `${(timeoutMs / 1000).toFixed(timeoutMs % 1000 === 0 ? 0 : 1)} s`;
  return new StateLockError(
    `Timed out after ${seconds} waiting for the Python paracle tooling's lock ${lockPath} on ${file}: held by ${holder ?? 'another process'}. ` +
      'Wait for it to finish and retry; a holder that dies releases it at once.',
    file,
    null,
    { heldBy: `the Python paracle tooling's lock (${basename(lockPath)}), held by ${holder ?? 'another process'}` },
  );
}

/**
 * Who holds a flock on `path`, from /proc/locks (Linux only; elsewhere null). Best effort, for the
 * timeout message: `pid 123 (python3 tool.py)`.
 */
export function flockHolder(path: string): string | null {
  let table: string;
  let stat: Stats;
  try {
    stat = statSync(path);
    table = readFileSync('/proc/locks', 'latin1');
  } catch {
    return null;
  }
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiting requests have "->" before FLOCK.
    if (fields[1] !== 'FLOCK') continue;
    const pid = Number(fields[4]);
    const inode = fields[5]?.split(':')[2];
    if (!Number.isInteger(pid) || inode !== String(stat.ino)) continue;
    return `pid ${pid}${commandOf(pid)}`;
  }
  return null;
}

function commandOf(pid: number): string {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 200);
    return command ? ` (${command})` : '';
  } catch {
    return '';
  }
}
