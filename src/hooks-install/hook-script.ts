import { upsertMarkedBlock } from './marked-block.js';

/**
 * The block `paracle install` puts in `.husky/pre-commit` and `.husky/post-merge`. It runs the
 * toolkit installed in the project's node_modules directly with node (no `npx` round trip on every
 * commit), found relative to the hook script itself — so in a linked worktree, which has no
 * node_modules, it is the main worktree's copy that runs, against the linked worktree's own .parac/.
 *
 * The block sits between marker lines: running install again replaces it in place (or leaves the
 * file untouched when it is current), and everything else in the file is kept as it was.
 */

export const BLOCK_START = '# >>> paracle-hooks';
export const BLOCK_END = '# <<< paracle-hooks';

export interface HookBlockOptions {
  hook: 'pre-commit' | 'post-merge';
  /** From the folder holding the hook script to the folder holding `paracle-hooks`, `/`-separated. */
  toolkitFromHookDir: string;
  /** `--root` for the hooks, relative to the repository top, when .parac/ is not at the top. */
  root: string | null;
}

export function renderHookBlock(options: HookBlockOptions): string {
  // `${0%/*}` is the hook's folder without a `dirname` process; husky always runs it by a path with a `/`.
  const entry = `\${0%/*}/${options.toolkitFromHookDir}/hooks/${options.hook}.cjs`;
  const root = options.root === null ? '' : ` --root ${shellQuote(options.root)}`;
  return [
    `${BLOCK_START} (written by \`paracle install\`; PARACLE=0 or HUSKY=0 turns it off)`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion in the hook script
    'if [ "${PARACLE-}" != 0 ]; then',
    `  paracle_hook="${entry}"`,
    `  if [ -f "$paracle_hook" ]; then node "$paracle_hook"${root} "$@"; else echo "paracle: ${options.hook} skipped: paracle-hooks is not installed (run npm install)" >&2; fi`,
    'fi',
    BLOCK_END,
    '',
  ].join('\n');
}

/** `existing` (null: no file yet) with `block` in it exactly once; returns the same text when already current. */
export function upsertBlock(existing: string | null, block: string): string {
  return upsertMarkedBlock(existing, block, { start: BLOCK_START, end: BLOCK_END, blankLineBefore: false, blankIsEmpty: true });
}

/** Single-quoted for sh, so folder names with spaces or `$` arrive intact. */
export function shellQuote(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
