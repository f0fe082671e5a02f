import { matcherFor } from './path-glob.js';
import type { StateEdit } from '../state/state-edits.js';

/**
 * Task "changes by area": which watched areas of the repository this commit touches.
 * `recent_changes` is replaced on every commit with the areas of that commit (the Python script
 * only wrote it when the key was absent, so it went stale after the first commit).
 */

export interface AreaDefinition {
  name: string;
  /** Globs (see path-glob.ts); a path belongs to the first area, in order, that matches it. */
  paths: readonly string[];
  /** Changelog bullet for this area, e.g. "Package updates". */
  label: string;
}

export interface AreaChange {
  area: string;
  count: number;
  /** Up to five of the paths, relative to the project (see pathsInProject), in git's order. */
  files: string[];
}

export const FILES_PER_AREA = 5;

/** The seed project's layout. */
export const DEFAULT_AREAS: readonly AreaDefinition[] = [
  { name: 'packages', paths: ['packages/'], label: 'Package updates' },
  { name: 'templates', paths: ['content/templates/'], label: 'Template updates' },
  { name: 'docs', paths: ['docs/', 'content/docs/'], label: 'Documentation updates' },
  { name: 'examples', paths: ['examples/', 'content/examples/'], label: 'Example updates' },
  { name: 'tests', paths: ['tests/'], label: 'Test updates' },
  {
    name: 'roadmap',
    paths: ['**/.parac/roadmap/', '**/roadmap.{yaml,yml,md}', '**/ROADMAP.md'],
    label: 'Roadmap updates',
  },
];

/**
 * The staged paths that belong to the project — the folder holding .parac/, named as git names it
 * (`app`; '' at the repository top) — relative to it. Watched areas are globs from that folder, as
 * `paracle sync` counts files from there: with .parac/ in `app/`, `app/packages/x.js` is in
 * `packages`, and the repository root's `packages/y.js` is not this project's at all.
 */
export function pathsInProject(paths: readonly string[], projectFromTop: string): string[] {
  if (projectFromTop === '') return [...paths];
  const prefix = `${projectFromTop.replace(/\/$/, '')}/`;
  return paths.filter((path) => path.startsWith(prefix)).map((path) => path.slice(prefix.length));
}

export function classifyStagedPaths(paths: readonly string[], areas: readonly AreaDefinition[]): AreaChange[] {
  const matchers = areas.map((area) => ({ area, matches: matcherFor(area.paths) }));
  const byArea = new Map<string, string[]>();
  for (const path of paths) {
    const hit = matchers.find((m) => m.matches(path));
    if (!hit) continue;
    const list = byArea.get(hit.area.name) ?? [];
    list.push(path);
    byArea.set(hit.area.name, list);
  }
  // Areas in configuration order, so the same commit always produces the same list.
  return areas
    .filter((area) => byArea.has(area.name))
    .map((area) => {
      const files = byArea.get(area.name)!;
      return { area: area.name, count: files.length, files: files.slice(0, FILES_PER_AREA) };
    });
}

export function recentChangesEdits(changes: readonly AreaChange[]): StateEdit[] {
  return [{ path: ['recent_changes'], value: changes.map((c) => ({ area: c.area, count: c.count, files: [...c.files] })) }];
}

/** `packages: 3, docs: 1`, for the summary line and the audit entry. */
export function describeAreaChanges(changes: readonly AreaChange[]): string {
  return changes.map((c) => `${c.area}: ${c.count}`).join(', ');
}
