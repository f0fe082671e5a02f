import type { Stats } from 'node:fs';
import { lstat, open, readlink, rename, rm, type FileHandle } from 'node:fs/promises';
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
async function resolveWriteTarget(file: string): Promise<WriteTarget> {
  let path = resolve(file);
  for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop += 1) {
    let stat: Stats;
    try {
      stat = await lstat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, existing: undefined };
      throw error;
    }
    if (!stat.isSymbolicLink()) return { path, existing: stat };
    path = resolve(dirname(path), await readlink(path));
  }
  throw Object.assign(new Error(`more than ${MAX_SYMLINK_HOPS} symlinks to follow`), { code: 'ELOOP' });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Platforms (and some file systems) refuse to open or fsync a folder; that is not a failed write. */
const FOLDER_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'ENOTSUP', 'EBADF']);

/** Makes the rename itself durable: without it a crash can bring back the old file, or none. */
async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch (error) {
    if (!FOLDER_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Replaces `file` with `data` so that every reader sees either the whole old file or the whole new one,
 * and a crash leaves one of the two: a unique temp file in the same folder, written, fsynced and given the
 * old file's mode (and owner, when running as root), renamed over the target, then the folder fsynced.
 * On any failure the temp file is removed and a `StateWriteError` (with the cause) is thrown.
 */
export async function writeFileAtomic(file: string, data: string | Buffer, options: WriteFileAtomicOptions = {}): Promise<void> {
  let step = 'resolve the file to write';
  let temp: string | undefined;
  let handle: FileHandle | undefined;
  let renamed = false;
  try {
    const target = await resolveWriteTarget(file);
    temp = scratchPathFor(target.path);
    trackScratch(temp);

    step = `create the temp file ${basename(temp)}`;
    // For a new file without an explicit mode the kernel applies the umask to 0o666, as for any new file.
    handle = await open(temp, 'wx', target.existing ? 0o600 : (options.mode ?? 0o666));
    step = `write the temp file ${basename(temp)}`;
    await handle.writeFile(data);
    if (target.existing) {
      await handle.chmod(target.existing.mode & 0o7777);
      const uid = process.getuid?.();
      if (uid === 0 && (target.existing.uid !== 0 || target.existing.gid !== 0)) {
        await handle.chown(target.existing.uid, target.existing.gid);
      }
    } else if (options.mode !== undefined) {
      await handle.chmod(options.mode);
    }
    await handle.sync();
    await handle.close();
    handle = undefined;

    if (options.beforeRename) {
      try {
        await options.beforeRename();
      } catch (error) {
        throw new AbandonedByCaller(error);
      }
    }

    step = `replace the file with ${basename(temp)}`;
    await rename(temp, target.path);
    renamed = true;
    step = 'sync the folder after the rename';
    await syncFolder(dirname(target.path));
  } catch (error) {
    if (error instanceof AbandonedByCaller) throw error.reason;
    if (error instanceof StateWriteError) throw error;
    throw new StateWriteError(file, `could not ${step}: ${describe(error)}`, { cause: error });
  } finally {
    if (handle) await handle.close().catch(() => undefined);
    if (temp) {
      if (!renamed) await rm(temp, { force: true }).catch(() => undefined);
      untrackScratch(temp);
    }
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
    const target = await resolveWriteTarget(asGiven);
    let removed = await removeOrphanedScratch(dirname(target.path), basename(target.path));
    // A symlinked state file: the lock's scratch folders live beside the link, the temp files beside the target.
    if (target.path !== asGiven) removed += await removeOrphanedScratch(dirname(asGiven), basename(asGiven));
    return removed;
  } catch (error) {
    throw new StateWriteError(file, `could not look for orphaned temp files: ${describe(error)}`, { cause: error });
  }
}
