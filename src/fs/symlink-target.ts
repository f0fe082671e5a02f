import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const MAX_SYMLINK_HOPS = 40;

/**
 * Where `file` really is once its own symlinks are followed (the chain may end in a name that does not
 * exist yet). The file replaced by a save is this one, so its lock lives here: two `.parac/` folders
 * whose state files link to one target then share one lock. Links in the folders above need no
 * following: every path through them reaches the same folder, and so the same lock file.
 */
export function symlinkTarget(file: string): string {
  let path = resolve(file);
  for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop += 1) {
    let isLink: boolean;
    try {
      isLink = lstatSync(path).isSymbolicLink();
    } catch {
      return path;
    }
    if (!isLink) return path;
    // The kernel reads a relative link from the folder's real place (`..` of a linked folder is not lexical).
    path = resolve(realpathSync(dirname(path)), readlinkSync(path));
  }
  throw Object.assign(new Error(`${file}: more than ${MAX_SYMLINK_HOPS} symlinks to follow`), { code: 'ELOOP' });
}
