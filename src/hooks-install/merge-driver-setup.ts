import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { readGitConfig, writeGitConfig } from '../git/config.js';
import type { RepoLayout } from '../git/repo-layout.js';
import { AUDIT_LOG_RELATIVE, findParacRoot, PARAC_DIR, STATE_FILE_RELATIVE } from '../state/paths.js';
import { shellQuote } from './hook-script.js';
import { upsertMarkedBlock } from './marked-block.js';

/**
 * The merge part of `paracle install`:
 *
 *   - `merge.paracle-state.driver` in the repository's config (shared by all its worktrees): git
 *     runs `paracle merge-driver` for the state file, so two branches that both ran the hooks (and
 *     so both changed `revision` and `snapshot_date`) merge without a conflict;
 *   - `.gitattributes` lines at the repository top naming the state file (`merge=paracle-state`),
 *     the audit log (`merge=union`: an append-only log merges by keeping every line of both sides)
 *     and the changelog (`merge=union`: the pre-commit hook adds a dated block on every branch, and
 *     two branches' blocks of the same day are both kept instead of conflicting).
 *
 * The attributes are committed, the config is not: a fresh clone that never ran install has the
 * attribute but no driver, and git then silently falls back to its line merge (conflict markers,
 * which `paracle validate`, the hooks and `paracle verify` report with the way out).
 *
 * Like the hook scripts, the driver runs the toolkit installed in node_modules with node directly.
 * git runs it at the top of whichever worktree is merging; a linked worktree has no node_modules,
 * so the command names the main worktree's copy by absolute path (as core.hooksPath does). Should
 * that copy be gone, the command falls back to git's own line merge instead of failing the merge
 * with the file silently left as "ours".
 */

export const MERGE_DRIVER = 'paracle-state';
const ATTRIBUTES_START = '# >>> paracle-hooks: merge the state file key by key and the audit log by keeping every line';
const ATTRIBUTES_END = '# <<< paracle-hooks';

export function mergeDriverCommand(toolkitDir: string): string {
  const bin = `${toPosix(toolkitDir)}/dist/cli/bin.js`;
  return [
    `paracle_bin=${shellQuote(bin)};`,
    'if [ -f "$paracle_bin" ]; then node "$paracle_bin" merge-driver --marker-size %L %O %A %B %P;',
    `else echo "paracle: merge driver not found at $paracle_bin (run npm install); using git's line merge for "%P >&2;`,
    'git merge-file --marker-size=%L -L ours -L base -L theirs %A %O %B; fi',
  ].join(' ');
}

/** The `.gitattributes` block, paths relative to the repository top. */
export function mergeAttributesBlock(paracFromTop: string): string {
  const prefix = paracFromTop === '' ? '' : `${paracFromTop.replace(/\/$/, '')}/`;
  return [
    ATTRIBUTES_START,
    `${attributePattern(`/${prefix}${toPosix(STATE_FILE_RELATIVE)}`)} merge=${MERGE_DRIVER}`,
    `${attributePattern(`/${prefix}${toPosix(AUDIT_LOG_RELATIVE)}`)} merge=union`,
    `${attributePattern(`/${prefix}changelog.md`)} merge=union`,
    ATTRIBUTES_END,
    '',
  ].join('\n');
}

/** `existing` with the block added once or brought up to date, everything else kept; the same text when current. */
export function upsertMergeAttributes(existing: string | null, block: string): string {
  return upsertMarkedBlock(existing, block, { start: ATTRIBUTES_START, end: ATTRIBUTES_END, blankLineBefore: true });
}

/** A pattern with spaces, quotes or backslashes is written C-quoted, as gitattributes allows. */
function attributePattern(path: string): string {
  return /[\s"\\]/.test(path) ? `"${path.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\t/g, '\\t')}"` : path;
}

export async function setUpMergeDriver(layout: RepoLayout, toolkit: string, packageDir: string, changes: string[]): Promise<void> {
  const command = mergeDriverCommand(mainWorktreeCopy(layout, toolkit));
  const name = 'paracle: merges current_state.yaml key by key (revision above both sides)';
  const [currentCommand, currentName] = await Promise.all([
    readGitConfig(layout.topLevel, 'clean', `merge.${MERGE_DRIVER}.driver`),
    readGitConfig(layout.topLevel, 'clean', `merge.${MERGE_DRIVER}.name`),
  ]);
  if (currentName !== name) await writeGitConfig(layout.topLevel, 'clean', `merge.${MERGE_DRIVER}.name`, name);
  if (currentCommand !== command) {
    await writeGitConfig(layout.topLevel, 'clean', `merge.${MERGE_DRIVER}.driver`, command);
    changes.push(`git config merge.${MERGE_DRIVER}.driver: current_state.yaml now merges with \`paracle merge-driver\``);
  }

  const file = join(layout.topLevel, '.gitattributes');
  const existing = existsSync(file) ? await readFile(file, 'utf8') : null;
  const next = upsertMergeAttributes(existing, mergeAttributesBlock(paracFromTop(layout.topLevel, packageDir)));
  if (next === existing) return;
  await writeFile(file, next);
  changes.push(
    `.gitattributes: current_state.yaml merges with merge=${MERGE_DRIVER}, state_changes.jsonl and changelog.md with merge=union (commit it)`,
  );
}

/**
 * The toolkit as seen from the main worktree: install run inside a linked worktree finds (or is
 * given) that worktree's path, which disappears with `git worktree remove`.
 */
function mainWorktreeCopy(layout: RepoLayout, toolkit: string): string {
  if (!layout.isLinkedWorktree) return toolkit;
  const fromTop = relative(layout.topLevel, toolkit);
  if (fromTop.startsWith('..') || isAbsolute(fromTop)) return toolkit;
  const inMain = join(layout.mainWorktree, fromTop);
  return existsSync(join(inMain, 'package.json')) ? inMain : toolkit;
}

/** The project's .parac/ relative to the repository top (where `paracle init` would create it when there is none yet). */
function paracFromTop(topLevel: string, packageDir: string): string {
  const found = findParacRoot(packageDir);
  const root = found !== null && !relative(topLevel, found).startsWith('..') ? found : join(packageDir, PARAC_DIR);
  return toPosix(relative(topLevel, root));
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}
