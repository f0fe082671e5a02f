import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real paracle files, vendored in the repository (read-only; copy before writing; origin in NOTICE.md). */
export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/paracle');
export const REAL_STATE = join(FIXTURES, 'current_state.yaml');
export const HISTORY = join(FIXTURES, 'history');

export function readFixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export function historyFiles(): string[] {
  return readdirSync(HISTORY)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(HISTORY, f));
}

/** The history file that is invalid YAML as committed upstream. */
export const INVALID_HISTORY_PREFIX = '05-';

/** Every folder `tempDir` made in this test file, removed after the file by `removeTempDirs`. */
const madeTempDirs: string[] = [];

/**
 * A new empty folder in the temp folder (its real path). It is removed with everything in it
 * after the test file (environment.ts registers `removeTempDirs` as an afterAll), so tests put
 * everything they create — repositories, clones, worktrees, scratch files — inside one.
 */
export function tempDir(prefix = 'paracle-test-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  madeTempDirs.push(dir);
  return dir;
}

/** Removes every folder `tempDir` has made so far (and what is in it). */
export function removeTempDirs(): void {
  for (const dir of madeTempDirs.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** A temp project with `.parac/memory/context/current_state.yaml` copied from `source`; returns the .parac root. */
export function tempParacRoot(source: string | null = REAL_STATE): string {
  const root = join(tempDir('paracle-root-'), '.parac');
  mkdirSync(join(root, 'memory', 'context'), { recursive: true });
  if (source !== null) copyFileSync(source, join(root, 'memory', 'context', 'current_state.yaml'));
  return root;
}

/** Lines of `after` that are not in `before` at the same line number. */
export function changedLines(before: string, after: string): number[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const changed: number[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) if (a[i] !== b[i]) changed.push(i + 1);
  return changed;
}

/** Lines of `after` that `before` does not have (as a multiset), in order. */
export function addedLines(before: string, after: string): string[] {
  const counts = new Map<string, number>();
  for (const line of before.split('\n')) counts.set(line, (counts.get(line) ?? 0) + 1);
  const added: string[] = [];
  for (const line of after.split('\n')) {
    const n = counts.get(line) ?? 0;
    if (n > 0) counts.set(line, n - 1);
    else added.push(line);
  }
  return added;
}
