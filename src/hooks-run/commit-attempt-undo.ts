import { rmSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { readBytesIfExistsSync } from '../fs/read-text.js';
import { readIndexEntries, setIndexEntries, writeBlob, type IndexEntry } from '../git/index-files.js';
import { stateEngineFor } from '../engine/state-engine.js';
import { withStateLock } from '../lock/lock.js';
import { auditLogSize, restoreAuditLogSize } from '../log/audit-log.js';
import { textHash } from '../log/trail.js';
import { timeoutMs } from '../store/store.js';
import type { CommitAttempt, FileAttempt } from './commit-attempt.js';
import type { HookContext } from './hook-context.js';

/** The writing side of commit-attempt.ts, loaded only by a run that writes or has an attempt to undo. */

export function fileAttempt(target: { file: string; repoPath: string | null }, before: Buffer | null, written: string): FileAttempt {
  return { ...target, before: before === null ? null : before.toString('base64'), written: textHash(written) };
}

/**
 * Undoes the attempt's writes when everything is still exactly as it left it (else something wrote
 * since, and nothing is touched): the files' bytes, the audit log's length, and in the index being
 * committed each entry that holds what the run staged goes back to the file's earlier text. True
 * when it undid them.
 */
export async function undoCommitAttempt(context: HookContext, record: string, attempt: CommitAttempt): Promise<boolean> {
  return withStateLock(context.stateFile.file, { timeoutMs: timeoutMs(context.timeout) }, async () => {
    try {
      const found = attempt.files.map((f) => ({ ...f, now: readBytesIfExistsSync(f.file) }));
      const untouched =
        found.every((f) => f.now !== null && textHash(f.now.toString('utf8')) === f.written) &&
        auditLogSize(context.paracRoot) === attempt.log.after;
      // A shared engine already gave that revision to every host: it stays, and the retry writes above it.
      if (!untouched || (await stateEngineFor(context.paracRoot)) !== null) return false;
      const index = { cwd: context.topLevel, env: 'hook' as const };
      const paths = found.flatMap((f) => (f.repoPath === null ? [] : [f.repoPath]));
      const entries = await readIndexEntries(index, paths);
      const put: IndexEntry[] = [];
      for (const f of found) {
        if (f.before === null) continue;
        const before = Buffer.from(f.before, 'base64');
        const entry = f.repoPath === null ? undefined : entries.get(f.repoPath);
        if (entry !== undefined && entry.oid === (await writeBlob(index, entry.path, f.now!.toString('utf8')))) {
          put.push({ ...entry, oid: await writeBlob(index, entry.path, before.toString('utf8')) });
        }
        await writeFileAtomic(f.file, before);
      }
      await setIndexEntries(index, put);
      restoreAuditLogSize(context.paracRoot, attempt.log.before);
      return true;
    } finally {
      rmSync(record, { force: true });
    }
  });
}
