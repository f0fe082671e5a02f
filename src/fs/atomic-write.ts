import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  lstatSync,
  openSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { StateWriteError } from '../errors.js';
import { removeOrphanedScratch, scratchPathFor, trackScratch, untrackScratch } from './scratch-files.js';

export interface WriteFileAtomicOptions {
  /**
   * Runs after the temp file is complete and synced, just before the rename. Throwing (or rejecting)
   * abandons the write: the temp file is removed, the target is untouched, and the error reaches the
   * caller unchanged. The store passes `lock.assertHeld` here.
   */
  beforeRename?: () => void | Promise<void>;
  /** Mode for a file that does not exist yet; default 0o666 less the umask. An existing file keeps its mode. */
  mode?: number;
}

const MAX_SYMLINK_HOPS = 40;

interface WriteTarget {
  /** The real file to replace: `file` itself, or where its symlink chain ends. */
  path: string;
  /** Its current stat, or undefined when it does not exist yet. */
  existing: Stats | undefined;
}

/**
 * Follows `file` through symlinks to the file that will really be replaced, so that the temp file lives
 * in the target's folder (a rename cannot cross file systems) and the link stays a link. The chain may
 * end in a name that does not exist yet.
 */
function resolveWriteTarget(file: string): WriteTarget {
  let path = resolve(file);
  for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop += 1) {
    let stat: Stats;
    try {
      stat = lstatSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, existing: undefined };
      throw error;
    }
    if (!stat.isSymbolicLink()) return { path, existing: stat };
    path = resolve(dirname(path), readlinkSync(path));
  }
  throw Object.assign(new Error(`more than ${MAX_SYMLINK_HOPS} symlinks to follow`), { code: 'ELOOP' });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Platforms (and some file systems) refuse to open or fsync a folder; that is not a failed write. */
const FOLDER_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'ENOTSUP', 'EBADF']);

/** Makes the rename itself durable: without it a crash can bring back the old file, or none. */
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch (error) {
    if (!FOLDER_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replaces `file` with `data` so that every reader sees either the whole old file or the whole new one,
 * and a crash leaves one of the two: a unique temp file in the same folder, written, fsynced and given the
 * old file's mode (and owner, when running as root), renamed over the target, then the folder fsynced.
 * On any failure the temp file is removed and a `StateWriteError` (with the cause) is thrown.
 *
 * The file system calls are synchronous: writes happen inside a lock hold, where each step waits for the
 * last anyway, and a thread-pool round trip per call let other processes take the CPU from the holder
 * (docs/design.md, "A hold does its file I/O synchronously").
 */
export async function writeFileAtomic(file: string, data: string | Buffer, options: WriteFileAtomicOptions = {}): Promise<void> {
  let step = 'resolve the file to write';
  let temp: string | undefined;
  let fd: number | undefined;
  let renamed = false;
  try {
    const target = resolveWriteTarget(file);
    temp = scratchPathFor(target.path);
    trackScratch(temp);

    step = `create the temp file ${basename(temp)}`;
    // For a new file without an explicit mode the kernel applies the umask to 0o666, as for any new file.
    fd = openSync(temp, 'wx', target.existing ? 0o600 : (options.mode ?? 0o666));
    step = `write the temp file ${basename(temp)}`;
    writeFileSync(fd, data);
    if (target.existing) {
      fchmodSync(fd, target.existing.mode & 0o7777);
      const uid = process.getuid?.();
      if (uid === 0 && (target.existing.uid !== 0 || target.existing.gid !== 0)) fchownSync(fd, target.existing.uid, target.existing.gid);
    } else if (options.mode !== undefined) {
      fchmodSync(fd, options.mode);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;

    if (options.beforeRename) {
      try {
        await options.beforeRename();
      } catch (error) {
        throw new AbandonedByCaller(error);
      }
    }

    step = `replace the file with ${basename(temp)}`;
    renameSync(temp, target.path);
    renamed = true;
    step = 'sync the folder after the rename';
    syncFolder(dirname(target.path));
  } catch (error) {
    if (error instanceof AbandonedByCaller) throw error.reason;
    if (error instanceof StateWriteError) throw error;
    throw new StateWriteError(file, `could not ${step}: ${describe(error)}`, { cause: error });
  } finally {
    if (fd !== undefined) closeQuietly(fd);
    if (temp) {
      if (!renamed) removeQuietly(temp);
      untrackScratch(temp);
    }
  }
}

/** Closes `fd` after a failure (or a read), ignoring a close error: the first error is the one to report. */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // nothing more to do with it
  }
}

function removeQuietly(temp: string): void {
  try {
    rmSync(temp, { force: true });
  } catch {
    // the write's own error is the one to report; the next writer removes an orphaned temp file
  }
}

/** Carries an error thrown by `beforeRename` past the wrapping of I/O errors. */
class AbandonedByCaller {
  constructor(readonly reason: unknown) {}
}

/**
 * Removes temp files (and lock scratch folders) of `file` left behind by killed writers: on this host those
 * whose pid no longer runs, from any host those older than an hour. Live writers' temp files are kept.
 * Call it while holding the state lock, before writing. Returns how many were removed.
 */
export async function removeOrphanedTempFiles(file: string): Promise<number> {
  const asGiven = resolve(file);
  try {
    const target = resolveWriteTarget(asGiven);
    let removed = removeOrphanedScratch(dirname(target.path), basename(target.path));
    // A symlinked state file: the lock's scratch folders live beside the link, the temp files beside the target.
    if (target.path !== asGiven) removed += removeOrphanedScratch(dirname(asGiven), basename(asGiven));
    return removed;
  } catch (error) {
    throw new StateWriteError(file, `could not look for orphaned temp files: ${describe(error)}`, { cause: error });
  }
}
