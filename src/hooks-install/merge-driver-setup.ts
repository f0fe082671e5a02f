import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { readGitConfig, writeGitConfig } from '../git/config.js';
import type { RepoLayout } from '../git/repo-layout.js';
import { AUDIT_LOG_RELATIVE, findParacRoot, PARAC_DIR, STATE_FILE_RELATIVE } from '../state/paths.js';
import { shellQuote } from './hook-script.js';
import { removeMarkedBlock, upsertMarkedBlock } from './marked-block.js';

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
 * git runs it at the top of whichever worktree is merging, so the command names the toolkit
 * relative to that top (the repository can be moved or copied); a linked worktree has no
 * node_modules, and there it runs the main worktree's copy, found through git's common dir.
 *
 * Whenever the driver cannot run — the toolkit is gone, `node` is not on PATH (a GUI git client
 * started without the shell's PATH), or node fails before the driver answers (any exit but its own
 * 0 and 4) — the command falls back to git's own line merge: conflict markers, which everything
 * that reads the state refuses, instead of git silently keeping "ours" and losing the other side.
 * Before looking for node it reads husky's `~/.config/husky/init.sh`, where husky's docs have GUI
 * users put their PATH, so one fix serves the hooks and the driver.
 */

export const MERGE_DRIVER = 'paracle-state';
const ATTRIBUTES_START = '# >>> paracle-hooks: merge the state file key by key and the audit log by keeping every line';
const ATTRIBUTES_END = '# <<< paracle-hooks';

/** `toolkitFromTop`: the paracle-hooks folder from the top of the worktree, `/`-separated. */
export function mergeDriverCommand(toolkitFromTop: string): string {
  const bin = `${toolkitFromTop}/dist/cli/bin.js`;
  return [
    `paracle_bin=${shellQuote(bin)};`,
    '[ -f "$paracle_bin" ] || paracle_bin="$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null)/../$paracle_bin";',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion in the driver command
    'paracle_init="${XDG_CONFIG_HOME:-$HOME/.config}/husky/init.sh"; [ -f "$paracle_init" ] && . "$paracle_init";',
    'if [ ! -f "$paracle_bin" ]; then paracle_why="paracle-hooks is not installed (run npm install)";',
    'elif ! command -v node >/dev/null 2>&1; then paracle_why="node is not on PATH ($PATH)";',
    'else node "$paracle_bin" merge-driver --marker-size %L %O %A %B %P; paracle_status=$?;',
    '{ [ $paracle_status -eq 0 ] || [ $paracle_status -eq 4 ]; } && exit $paracle_status;',
    'paracle_why="node could not run the merge driver (exit $paracle_status)"; fi;',
    `echo "paracle: $paracle_why; using git's line merge for "%P >&2;`,
    'git merge-file --marker-size=%L -L ours -L base -L theirs %A %O %B',
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

/** `existing` without the block (`paracle uninstall`); the same text when it has none. */
export function withoutMergeAttributes(existing: string): string {
  return removeMarkedBlock(existing, { start: ATTRIBUTES_START, end: ATTRIBUTES_END, blankLineBefore: true });
}

/** A pattern with spaces, quotes or backslashes is written C-quoted, as gitattributes allows. */
function attributePattern(path: string): string {
  return /[\s"\\]/.test(path) ? `"${path.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\t/g, '\\t')}"` : path;
}

export async function setUpMergeDriver(layout: RepoLayout, toolkitFromTop: string, packageDir: string, changes: string[]): Promise<void> {
  const command = mergeDriverCommand(toolkitFromTop);
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

/** The project's .parac/ relative to the repository top (where `paracle init` would create it when there is none yet). */
export function paracFromTop(topLevel: string, packageDir: string): string {
  const found = findParacRoot(packageDir);
  const root = found !== null && !relative(topLevel, found).startsWith('..') ? found : join(packageDir, PARAC_DIR);
  return toPosix(relative(topLevel, root));
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}
