import { removeMarkedBlock, upsertMarkedBlock } from './marked-block.js';

/**
 * The blocks `paracle install` puts in the husky hook scripts (`.husky/pre-commit`,
 * `.husky/post-merge`, `.husky/post-checkout`).
 *
 * pre-commit and post-merge run the toolkit installed in the project's node_modules directly with
 * node (no `npx` round trip on every commit), found relative to the hook script itself, so the
 * repository can be moved or copied. A linked worktree has no node_modules of its own: there the
 * main worktree's copy runs (found through git's common dir), against the linked worktree's own
 * .parac/.
 *
 * post-checkout exists for linked worktrees: core.hooksPath is relative (`.husky/_`), and husky's
 * runner folder `_` is ignored by git, so a new worktree has none and would run no hooks at all.
 * `git worktree add` runs post-checkout in the new worktree with a null previous HEAD; the block
 * then copies the runner there, and prints once how to run the CLI in a worktree without
 * node_modules. Pure shell: it runs on every checkout and must cost nothing.
 *
 * Each block sits between marker lines: running install again replaces it in place (or leaves the
 * file untouched when it is current), and everything else in the file is kept as it was.
 */

export const BLOCK_START = '# >>> paracle-hooks';
export const BLOCK_END = '# <<< paracle-hooks';

export type HookName = 'pre-commit' | 'post-merge' | 'post-checkout';

export interface HookBlockOptions {
  hook: HookName;
  /** From the folder holding the hook script to the folder holding `paracle-hooks`, `/`-separated. */
  toolkitFromHookDir: string;
  /** The same folder from the top of the worktree, for the main worktree's copy. */
  toolkitFromTop: string;
  /** The husky folder (holding the hook scripts) from the top of the worktree. */
  huskyFromTop: string;
  /** `--root` for the hooks, relative to the repository top, when .parac/ is not at the top. */
  root: string | null;
}

export function renderHookBlock(options: HookBlockOptions): string {
  const off = options.hook === 'post-checkout' ? 'HUSKY=0 turns it off' : 'PARACLE=0 or HUSKY=0 turns it off';
  const header = `${BLOCK_START} (written by \`paracle install\`; ${off})`;
  return [header, ...(options.hook === 'post-checkout' ? worktreeRunnerLines(options) : runToolkitLines(options)), BLOCK_END, ''].join(
    '\n',
  );
}

/* biome-ignore-start lint/suspicious/noTemplateCurlyInString: shell parameter expansions in the hook script */
function runToolkitLines(options: HookBlockOptions): string[] {
  const entry = `hooks/${options.hook}.cjs`;
  const root = options.root === null ? '' : ` --root ${shellQuote(options.root)}`;
  return [
    'if [ "${PARACLE-}" != 0 ]; then',
    // `${0%/*}` is the hook's folder without a `dirname` process; husky always runs it by a path with a `/`.
    `  paracle_hook="\${0%/*}/${options.toolkitFromHookDir}/${entry}"`,
    '  if [ ! -f "$paracle_hook" ]; then',
    "    # A linked worktree: the main worktree's copy (its top is the parent of git's common dir).",
    '    paracle_main=$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null)/.. || paracle_main=',
    `    paracle_hook="$paracle_main/${options.toolkitFromTop}/${entry}"`,
    '  fi',
    `  if [ -f "$paracle_hook" ]; then node "$paracle_hook"${root} "$@"; else echo "paracle: ${options.hook} skipped: paracle-hooks is not installed (run npm install)" >&2; fi`,
    'fi',
  ];
}

function worktreeRunnerLines(options: HookBlockOptions): string[] {
  const runner = shellQuote(`${options.huskyFromTop}/_`);
  const bin = `${options.toolkitFromTop}/dist/cli/bin.js`;
  return [
    "# `git worktree add` (a null previous HEAD): copy husky's runner into the new worktree, or its commits run no hooks,",
    '# and say once how to run the CLI there (no node_modules: `npx paracle` would ask the registry for another package).',
    'case "${1-}" in',
    "  '' | *[!0]*) ;;",
    `  *) if [ ! -f ${runner}/h ] && [ -f "\${0%/*}/_/h" ]; then`,
    `       mkdir -p ${runner} && cp -p "\${0%/*}/_/"* "\${0%/*}/_/.gitignore" ${runner}/ ||`,
    '         echo "paracle: could not set up the hooks in this worktree; run paracle-hooks install here" >&2',
    '     fi',
    `     if [ ! -f ${shellQuote(bin)} ]; then`,
    '       paracle_main=$(cd "$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null)/.." 2>/dev/null && pwd) || paracle_main=',
    `       if [ -n "$paracle_main" ] && [ -f "$paracle_main/${bin}" ]; then`,
    `         echo "paracle: this worktree has no node_modules; run paracle here as: node '$paracle_main/${bin}' <command>" >&2`,
    '       fi',
    '     fi ;;',
    'esac',
  ];
}
/* biome-ignore-end lint/suspicious/noTemplateCurlyInString: shell parameter expansions in the hook script */

/** `existing` (null: no file yet) with `block` in it exactly once; returns the same text when already current. */
export function upsertBlock(existing: string | null, block: string): string {
  return upsertMarkedBlock(existing, block, { start: BLOCK_START, end: BLOCK_END, blankLineBefore: false, blankIsEmpty: true });
}

/** `existing` without the block (`paracle uninstall`); the same text when it has none. */
export function withoutBlock(existing: string): string {
  return removeMarkedBlock(existing, { start: BLOCK_START, end: BLOCK_END, blankLineBefore: false });
}

/** Single-quoted for sh, so folder names with spaces or `$` arrive intact. */
export function shellQuote(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
