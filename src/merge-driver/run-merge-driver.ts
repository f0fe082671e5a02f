import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { mergeFilesAsText } from '../git/merge-file.js';
import { DRIVER_LINE_MERGE_LABEL } from './render-conflict-markers.js';
import { mergeStateTexts, type StateMergeResult } from './merge-state-texts.js';

type StateMergeRevisions = StateMergeResult['revision'];

/**
 * The edge of `paracle merge-driver %O %A %B %P`: read git's three temp files, merge, write the
 * result into %A — and touch no tracked file. git runs drivers during merges, rebases, cherry-picks
 * and `git checkout -m`, in the middle of its own bookkeeping: no lock, no temp file beside the
 * state; the revision it wrote is noted in the local audit log (see logMergedRevision).
 *
 * In a criss-cross history (two merge bases) git first merges the bases into a virtual one, and
 * runs the driver for that too, with the bases as %A and %B and no other sign of it than a marker
 * size (%L) 2 longer per level than the file's own (merge-ort.c, git 2.39). That merge must give a
 * valid state for the real merge to use as its base: see `virtualBase` in merge-state-texts.ts. It
 * is quiet, exits 0 and logs nothing: it writes no state anyone commits.
 *
 * When the state cannot be merged structurally (a side is not valid YAML, has conflict markers
 * from an earlier text merge, or the merge hits a bug), git's own line merge is written instead
 * and the merge is reported as conflicted, so a person looks at it before it is committed.
 */

export interface MergeDriverFiles {
  /** %O: the common ancestor (empty when the file is new on both sides). */
  base: string;
  /** %A: the current branch's version; the result is written here. */
  current: string;
  /** %B: the other branch's version. */
  other: string;
}

export interface MergeDriverOptions {
  /** %P: the path being merged, for messages. */
  path?: string;
  /** %L */
  markerSize?: number;
  /** Where git ran the driver (the worktree top); the temp file names are relative to it. */
  cwd?: string;
}

export type MergeDriverOutcome =
  | { kind: 'virtual-base'; path: string }
  | { kind: 'merged'; path: string; revision: { current: number; other: number; merged: number } }
  | { kind: 'conflict'; path: string; keys: string[]; blocks: number; revision: { current: number; other: number; merged: number } }
  | { kind: 'text-merge'; path: string; reason: string; conflicts: number };

export async function runMergeDriver(files: MergeDriverFiles, options: MergeDriverOptions = {}): Promise<MergeDriverOutcome> {
  const path = options.path ?? 'current_state.yaml';
  const cwd = options.cwd ?? process.cwd();
  const [base, current, other] = await Promise.all([files.base, files.current, files.other].map((file) => readFile(file, 'utf8')));
  const virtualBase = await isVirtualBaseMerge(cwd, options);
  let result: Awaited<ReturnType<typeof mergeStateTexts>>;
  try {
    result = await mergeStateTexts({ base: base!, current: current!, other: other!, path, markerSize: options.markerSize, virtualBase });
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
    const text = await mergeFilesAsText(cwd, files, {
      labels: [`ours (${DRIVER_LINE_MERGE_LABEL})`, 'base', `theirs (${DRIVER_LINE_MERGE_LABEL})`],
      markerSize: options.markerSize,
    });
    await writeFile(files.current, text.text);
    return { kind: 'text-merge', path, reason, conflicts: text.conflicts };
  }
  await writeFile(files.current, result.text);
  if (virtualBase) return { kind: 'virtual-base', path };
  await logMergedRevision(cwd, options.path, result.revision);
  if (result.conflicts.length === 0) return { kind: 'merged', path, revision: result.revision };
  return {
    kind: 'conflict',
    path,
    keys: result.conflicts.flatMap((block) => block.keys),
    blocks: result.conflicts.length,
    revision: result.revision,
  };
}

/** git asked for a longer marker than the file's own: it is merging merge bases (see above). */
async function isVirtualBaseMerge(cwd: string, options: MergeDriverOptions): Promise<boolean> {
  if (options.path === undefined || options.markerSize === undefined) return false;
  const { readConflictMarkerSize } = await import('../git/attributes.js');
  return options.markerSize > (await readConflictMarkerSize(cwd, 'hook', options.path));
}

const STATE_SUFFIX = 'memory/context/current_state.yaml';

/**
 * The revision the driver wrote goes into this checkout's audit log as a `merge` entry: the log is
 * where the store finds the revision high-water mark, and a revision this clone wrote in a merge,
 * rebase or cherry-pick must not be written again after a revert or reset. Only where the log is a
 * local record (untracked): a tracked log is one of the files git is merging right now. A failure
 * here never fails the merge.
 */
async function logMergedRevision(cwd: string, path: string | undefined, revision: StateMergeRevisions): Promise<void> {
  if (path === undefined || !(path === STATE_SUFFIX || path.endsWith(`/${STATE_SUFFIX}`))) return;
  const prefix = path.slice(0, path.length - STATE_SUFFIX.length);
  const root = join(cwd, prefix);
  if (basename(root) !== '.parac' || !existsSync(root)) return;
  try {
    const [{ readIndexEntries }, { appendStateChanges }] = await Promise.all([
      import('../git/index-files.js'),
      import('../log/audit-log.js'),
    ]);
    const logPath = `${prefix}memory/logs/state_changes.jsonl`;
    if ((await readIndexEntries({ cwd, env: 'hook' }, [logPath])).has(logPath)) return;
    await appendStateChanges(root, [
      {
        change_type: 'merge',
        description: `merge driver: merged ${path} (revision ${revision.current} and ${revision.other} → ${revision.merged})`,
        revision: revision.merged,
        hook: 'merge-driver',
      },
    ]);
  } catch {
    // The merge itself is what matters; the high-water mark then just knows one revision less.
  }
}

/** One line for stderr (git shows it between its own "Auto-merging" and "CONFLICT" lines). */
export function describeMergeOutcome(outcome: MergeDriverOutcome): string {
  if (outcome.kind === 'virtual-base') return `paracle: merged the merge bases of ${outcome.path} into one (criss-cross history)`;
  if (outcome.kind === 'merged') {
    const { current, other, merged } = outcome.revision;
    return `paracle: merged ${outcome.path} (revision ${current} and ${other} → ${merged})`;
  }
  if (outcome.kind === 'conflict') {
    const keys = outcome.keys.join(', ');
    return (
      `paracle: ${outcome.path}: both sides changed ${keys} differently; everything else is merged ` +
      `(revision ${outcome.revision.merged}). Keep one side between the conflict markers, then \`git add\` the file`
    );
  }
  return (
    `paracle: ${outcome.path}: cannot merge it key by key (${outcome.reason}); git's line merge was written instead` +
    `${outcome.conflicts > 0 ? ' with conflict markers' : ''}: check the file, then \`git add\` it`
  );
}
