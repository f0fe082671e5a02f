import { removeMarkedBlock, upsertMarkedBlock } from './marked-block.js';
import type { StagedPathCheck } from './staged-path-check.js';

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
 * pre-commit first asks git, in the shell, whether anything is staged where the hook looks (the
 * shell check, staged-path-check.ts): most commits touch no watched area, and then node, which
 * costs more than the rest of the commit, is not started at all.
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
  /** pre-commit only: what the shell check needs; absent or null, every commit runs node. */
  stagedCheck?: StagedPathCheck | null;
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
  const check = options.hook === 'pre-commit' ? (options.stagedCheck ?? null) : null;
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
    ...(check === null ? [] : stagedCheckLines(check)),
    `  if [ ! -f "$paracle_hook" ]; then echo "paracle: ${options.hook} skipped: paracle-hooks is not installed (run npm install)" >&2`,
    ...(check === null ? [] : ['  elif paracle_nothing_staged; then :']),
    `  else node "$paracle_hook"${root} "$@"; fi`,
    'fi',
  ];
}

/**
 * `paracle_nothing_staged` succeeds only when pre-commit would find nothing to do: a plain
 * PARACLE_TIMEOUT (node checks any other), the toolkit and hooks.yaml as install read them, a real
 * `.parac/` folder where install found it, and nothing staged that the pathspecs match. git's
 * pathspec switches are unset so the `:(glob)` magic always applies. Anything else starts node.
 * Builtins only, apart from the one `git diff`: the file reads are `read` loops (a NUL byte is
 * dropped, the one difference they cannot see).
 */
function stagedCheckLines(check: StagedPathCheck): string[] {
  const parac = shellQuote(check.paracFromTop);
  const config = shellQuote(`${check.paracFromTop}/config/hooks.yaml`);
  const configMatches =
    check.configText === null
      ? `[ ! -e ${config} ]`
      : `[ -f ${config} ] && paracle_read ${config} && [ "$paracle_text" = ${shellLiteral(check.configText)} ]`;
  return [
    '  # The shell check (docs/hooks.md): nothing staged where pre-commit looks, so node is not started.',
    '  # install wrote it from hooks.yaml and the toolkit as they were then; when either differs, node runs.',
    '  paracle_read() {',
    '    paracle_text= paracle_line=',
    '    while IFS= read -r paracle_line; do paracle_text="$paracle_text$paracle_line',
    '"; done 2>/dev/null <"$1" && paracle_text=$paracle_text$paracle_line',
    '  }',
    '  paracle_nothing_staged() {',
    '    case ${PARACLE_TIMEOUT-} in *[!0-9]*) return 1 ;; esac',
    `    [ -d ${parac} ] && [ ! -L ${parac} ] && [ ! -L ${parac}/memory ] && [ ! -L ${parac}/memory/context ] || return 1`,
    '    paracle_line=',
    '    while IFS= read -r paracle_line; do case $paracle_line in *\'"version"\'*) break ;; esac; done 2>/dev/null <"${paracle_hook%/hooks/*}/package.json"',
    `    [ "$paracle_line" = ${shellLiteral(check.versionLine)} ] || return 1`,
    `    ${configMatches} || return 1`,
    '    (',
    '      unset GIT_LITERAL_PATHSPECS GIT_GLOB_PATHSPECS GIT_NOGLOB_PATHSPECS GIT_ICASE_PATHSPECS',
    `      exec git diff --cached --quiet --no-ext-diff --no-textconv --ignore-submodules=none -- ${check.pathspecs.map(shellLiteral).join(' ')}`,
    '    ) 2>/dev/null',
    '  }',
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

/** What husky v9 writes into `.husky/_/` for each of the fourteen hooks. */
export const HUSKY_WRAPPER = '#!/usr/bin/env sh\n. "$(dirname "$0")/h"';

/**
 * husky's wrapper with one line in front: when `.husky/<hook>` does not exist it exits at once, as
 * husky's runner `h` would, but before the four processes the wrapper and `h` start to find that
 * out (`dirname`, then `basename` and two `dirname`). A commit runs four hooks; most projects have a
 * script for one of them.
 * A hook with a script runs exactly as before. Null for a wrapper this does not know (another husky).
 */
export function quickExitWrapper(huskyWrapper: string): string | null {
  if (huskyWrapper !== HUSKY_WRAPPER) return null;
  const [shebang, runner] = HUSKY_WRAPPER.split('\n');
  return [
    shebang,
    '# paracle-hooks: no .husky/<hook> script, nothing to run (husky would find the same after four more processes)',
    'case $0 in */*) [ -f "${0%/*}/../${0##*/}" ] || exit 0 ;; esac',
    runner,
  ].join('\n');
}

/* biome-ignore-end lint/suspicious/noTemplateCurlyInString: shell parameter expansions in the hook script */

/** `existing` (null: no file yet) with `block` in it exactly once; returns the same text when already current. */
export function upsertBlock(existing: string | null, block: string): string {
  return upsertMarkedBlock(existing, block, { start: BLOCK_START, end: BLOCK_END, blankLineBefore: false, blankIsEmpty: true });
}

/** Any text as one single-quoted sh word, byte for byte (newlines included). */
function shellLiteral(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `existing` without the block (`paracle uninstall`); the same text when it has none. */
export function withoutBlock(existing: string): string {
  return removeMarkedBlock(existing, { start: BLOCK_START, end: BLOCK_END, blankLineBefore: false });
}

/** Single-quoted for sh, so folder names with spaces or `$` arrive intact. */
export function shellQuote(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
