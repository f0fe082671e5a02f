import { StateLockError } from '../errors.js';

/** What a hook run did, for the CLI to report (one line, or nothing). */
export type HookOutcome =
  /** Nothing to maintain here (no workspace, hook turned off): silent. */
  | { kind: 'skipped'; reason: string; warnings: string[] }
  /** Nothing in a watched area changed, or the update was already there: silent. */
  | { kind: 'unchanged'; warnings: string[] }
  | {
      kind: 'updated';
      /** Name of the state file, for the summary line. */
      fileName: string;
      /** Null when only the changelog changed. */
      revision: { from: number; to: number } | null;
      /** `packages: 3, docs: 1`, or `merge`. */
      detail: string;
      changelogUpdated: boolean;
      warnings: string[];
    }
  | { kind: 'preview'; diff: string; detail: string; warnings: string[] };

/**
 * The lock timeout as a commit sees it: who holds the lock (pid, command, for how long) and the
 * escape hatch. Keeps the StateLockError type so the CLI exits with the lock-timeout code.
 */
export function lockTimeoutForHook(error: StateLockError, repoPath: string, escapeHatch: string): StateLockError {
  const holder = error.holder;
  const started = holder ? Date.parse(holder.startedAt) : Number.NaN;
  const age = Number.isNaN(started) ? '' : ` for ${Math.max(0, Math.round((Date.now() - started) / 1000))}s`;
  const who = holder ? `pid ${holder.pid} (${holder.command})${age}` : (error.heldBy ?? 'another process');
  return new StateLockError(
    `${repoPath} is locked by ${who}; gave up waiting. Retry when it is done, raise PARACLE_TIMEOUT, or skip the hooks: ${escapeHatch}`,
    error.file,
    holder,
    { cause: error, heldBy: error.heldBy },
  );
}
