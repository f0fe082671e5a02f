import type { AreaDefinition } from '../tasks/changes-by-area.js';

/**
 * What the pre-commit hook script needs to decide in the shell, without starting node, that
 * pre-commit has nothing to do (see hook-script.ts and docs/hooks.md, "The shell check"): git
 * pathspecs covering every watched area and every `.parac/` path, with the config text and the
 * toolkit version they were made from, so that a changed config or toolkit runs node instead.
 *
 * The pathspecs may match more than the areas do (node then runs and finds nothing), never less:
 * a glob with no git form that is at least as wide (a character class, a backslash, unbalanced
 * braces) gives no check at all, and every commit runs node as before.
 */

export interface StagedPathCheck {
  /** `:(top,glob)` pathspecs: the areas from the project folder, and `.parac/` anywhere in the repository. */
  pathspecs: string[];
  /** The project's `.parac/` from the top of the worktree, as the hook names it (`.parac`, `app/.parac`). */
  paracFromTop: string;
  /** hooks.yaml's text when the pathspecs were made; null: there was no such file. */
  configText: string | null;
  /** The first line of the toolkit's package.json naming its `"version"`, as read then. */
  versionLine: string;
}

/** More pathspecs than this (brace alternatives multiply) and the check is not worth its command line. */
const MAX_PATHSPECS = 64;

/**
 * Pre-commit also refuses staged lock and temp files of any `.parac/` in the repository, and
 * conflict markers in the staged state file, whatever the areas: such a commit always runs node.
 */
export const PARAC_PATHSPEC = ':(top,glob)**/.parac/**';

/** The check's pathspecs for these areas, from the folder holding .parac/ ('' at the top); null when one has no git form. */
export function stagedPathspecs(areas: readonly AreaDefinition[], projectFromTop: string): string[] | null {
  const prefix = projectFromTop === '' ? '' : `${escapeGlob(projectFromTop.replace(/\/$/, ''))}/`;
  const pathspecs = new Set([PARAC_PATHSPEC]);
  for (const glob of areas.flatMap((area) => area.paths)) {
    const patterns = globPatterns(glob);
    if (patterns === null) return null;
    for (const pattern of patterns) pathspecs.add(`:(top,glob)${prefix}${pattern}`);
  }
  return pathspecs.size > MAX_PATHSPECS ? null : [...pathspecs];
}

/**
 * One area glob (src/tasks/path-glob.ts) as git glob patterns matching at least the same paths.
 * `*` and `**` mean the same in both; `?` becomes `*` (git's `?` is one byte, ours one character);
 * `{a,b}` is expanded; a trailing `/` becomes `/**`.
 */
export function globPatterns(glob: string): string[] | null {
  if (/[[\\]/.test(glob)) return null;
  const expanded = expandBraces(glob);
  if (expanded === null) return null;
  return expanded.map((alternative) => {
    let pattern = alternative.endsWith('/') ? `${alternative}**` : alternative;
    if (pattern.startsWith('/')) pattern = pattern.slice(1);
    return pattern.replace(/\?/g, '*');
  });
}

/** `a{b,c{d,e}}` → `ab`, `acd`, `ace`; null for a `{` without its `}` (path-glob.ts cannot compile it either). */
function expandBraces(glob: string): string[] | null {
  const open = glob.indexOf('{');
  if (open === -1) return [glob];
  let depth = 0;
  const commas: number[] = [];
  for (let i = open; i < glob.length; i += 1) {
    const c = glob[i];
    if (c === '{') depth += 1;
    else if (c === ',' && depth === 1) commas.push(i);
    else if (c === '}') {
      depth -= 1;
      if (depth > 0) continue;
      const bounds = [open, ...commas, i];
      const rest = expandBraces(glob.slice(i + 1));
      if (rest === null) return null;
      const out: string[] = [];
      for (let k = 0; k + 1 < bounds.length; k += 1) {
        const inner = expandBraces(glob.slice(bounds[k]! + 1, bounds[k + 1]));
        if (inner === null) return null;
        for (const head of inner) for (const tail of rest) out.push(`${glob.slice(0, open)}${head}${tail}`);
        if (out.length > MAX_PATHSPECS) return null;
      }
      return out;
    }
  }
  return null;
}

/** A folder name taken literally inside a glob pathspec. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\\]/g, '\\$&');
}
