import { runGit, type HookEnvironment } from './run-git.js';

/**
 * Reading and writing entries of an index. All of these keep the hook environment, because
 * inside pre-commit the index that matters is the one git is committing (GIT_INDEX_FILE);
 * `indexFile` names another one explicitly (the real index during `git commit <paths>`).
 */

export interface IndexEntry {
  /** `100644` or `100755` (or `120000` for a symlink). */
  mode: string;
  oid: string;
  path: string;
}

interface IndexTarget {
  cwd: string;
  env: HookEnvironment;
  indexFile?: string;
}

/** The stage-0 entries for `paths` that the index has; a path it lacks is simply absent. */
export async function readIndexEntries(target: IndexTarget, paths: readonly string[]): Promise<Map<string, IndexEntry>> {
  const { stdout } = await runGit(['ls-files', '--stage', '-z', '--', ...paths], target);
  const entries = new Map<string, IndexEntry>();
  for (const record of stdout.split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    const [mode, oid, stage] = record.slice(0, tab).split(' ');
    if (stage !== '0' || mode === undefined || oid === undefined) continue;
    const path = record.slice(tab + 1);
    entries.set(path, { mode, oid, path });
  }
  return entries;
}

/**
 * `git add -u` of working-tree files: stages those the index already tracks and leaves an
 * untracked or ignored one alone; records their stat data too, so `git status` stays quiet.
 */
export async function stageTrackedFiles(target: IndexTarget, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  await runGit(['add', '-u', '--', ...paths], target);
}

/**
 * The paths whose staged entry differs from `commit`'s (every path the index holds when `commit` is
 * null: a root commit's), as git names them: what the commit being made changes against `commit`.
 */
export async function readPathsStagedSince(target: IndexTarget, commit: string | null): Promise<string[]> {
  const args = commit === null ? ['ls-files', '-z'] : ['diff-index', '--cached', '--name-only', '--no-renames', '-z', commit, '--'];
  const { stdout } = await runGit(args, target);
  return [...new Set(stdout.split('\0').filter((path) => path !== ''))];
}

export async function readBlob(target: IndexTarget, oid: string): Promise<string> {
  const { stdout } = await runGit(['cat-file', 'blob', oid], target);
  return stdout;
}

/** Stores `content` as a blob, cleaned as git would clean the file at `path` (line endings, filters). */
export async function writeBlob(target: IndexTarget, path: string, content: string): Promise<string> {
  const { stdout } = await runGit(['hash-object', '-w', '--stdin', `--path=${path}`], { ...target, input: content });
  return stdout.trim();
}

/** Sets index entries without touching the working tree (`update-index --index-info`, NUL-separated). */
export async function setIndexEntries(target: IndexTarget, entries: readonly IndexEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const input = entries.map((e) => `${e.mode} ${e.oid}\t${e.path}\0`).join('');
  await runGit(['update-index', '-z', '--index-info'], { ...target, input });
}

/** Removes the entries for `paths` from the index, leaving the working tree alone. */
export async function removeIndexEntries(target: IndexTarget, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  await runGit(['update-index', '-z', '--force-remove', '--stdin'], { ...target, input: paths.map((p) => `${p}\0`).join('') });
}
