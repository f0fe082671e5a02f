import type { WorkingTreeStatus } from '../git/status.js';
import { isStateScratchPath } from '../state/state-scratch-paths.js';

/**
 * `repository.has_uncommitted_changes`, the same way in `paracle sync` and in the hooks: paracle's
 * own files do not count. paracle writes them itself (the state file, the audit log, the lock and
 * temp files beside them), so counting them would make every write report itself.
 *
 * `ownFiles` are repository paths, matched as prefixes (the lock and queue beside the state file
 * start with its name). git reports a new folder holding only untracked files as the folder
 * (`.parac/memory/logs/`), which counts as ours when it holds one of our files.
 */
export function isParacleOwnPath(path: string, ownFiles: readonly string[]): boolean {
  if (isStateScratchPath(path)) return true;
  return ownFiles.some((own) => path.startsWith(own) || (path.endsWith('/') && own.startsWith(path)));
}

/**
 * `when: 'now'` (sync): anything staged, unstaged or untracked. `when: 'after-commit'` (pre-commit):
 * what the commit being made will not contain, i.e. unstaged edits, untracked files and unresolved
 * paths; staged changes are about to be committed.
 */
export function hasUncommittedChanges(
  status: WorkingTreeStatus,
  ownFiles: readonly string[],
  when: 'now' | 'after-commit' = 'now',
): boolean {
  return status.entries.some((entry) => {
    if (entry.kind === 'ignored' || isParacleOwnPath(entry.path, ownFiles)) return false;
    if (when === 'now') return true;
    return entry.kind === 'untracked' || entry.kind === 'unmerged' || entry.unstaged !== '.';
  });
}
