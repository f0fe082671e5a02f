import { readTextIfExistsSync } from '../fs/read-text.js';
import { join } from 'node:path';
import { HooksConfigError } from '../errors.js';
import { DEFAULT_AREAS, type AreaDefinition } from '../tasks/changes-by-area.js';
import { quotedExcerpt, sourceExcerpt } from '../text/quoted-excerpt.js';

/**
 * `.parac/config/hooks.yaml`: which hooks and auto-maintain tasks run, and the areas the staged
 * paths are classified into. Every key is optional; a missing file means all defaults. A key this
 * program does not know is an error, so a typo never silently leaves a task on.
 *
 *   pre_commit: true
 *   post_merge: true
 *   tasks:
 *     changes_by_area: true
 *     snapshot: true
 *     changelog: true
 *     roadmap_alignment: true
 *   areas:                      # replaces the default areas; a path goes to the first that matches
 *     packages: [packages/]
 *     docs:
 *       paths: [docs/, content/docs/]
 *       label: Documentation updates
 */

export const HOOKS_CONFIG_RELATIVE = join('config', 'hooks.yaml');

export interface TaskSwitches {
  changesByArea: boolean;
  snapshot: boolean;
  changelog: boolean;
  roadmapAlignment: boolean;
}

export interface HooksConfig {
  preCommit: boolean;
  postMerge: boolean;
  tasks: TaskSwitches;
  areas: AreaDefinition[];
}

export const DEFAULT_HOOKS_CONFIG: HooksConfig = {
  preCommit: true,
  postMerge: true,
  tasks: { changesByArea: true, snapshot: true, changelog: true, roadmapAlignment: true },
  areas: [...DEFAULT_AREAS],
};

const TASK_KEYS: Record<string, keyof TaskSwitches> = {
  changes_by_area: 'changesByArea',
  snapshot: 'snapshot',
  changelog: 'changelog',
  roadmap_alignment: 'roadmapAlignment',
};

export function hooksConfigPath(paracRoot: string): string {
  return join(paracRoot, HOOKS_CONFIG_RELATIVE);
}

/** Defaults when the file does not exist; HooksConfigError when it is unreadable or invalid. */
export async function readHooksConfig(paracRoot: string): Promise<HooksConfig> {
  const file = hooksConfigPath(paracRoot);
  let text: string | null;
  try {
    // Synchronous, as every read on a hook's path: a hook that never uses the thread pool never starts its threads.
    text = readTextIfExistsSync(file);
  } catch (error) {
    throw new HooksConfigError(file, `cannot read: ${(error as Error).message}`, { cause: error });
  }
  if (text === null) return DEFAULT_HOOKS_CONFIG;
  // The YAML parser is loaded only when there is a file: most repositories have none, and a hook should start fast.
  const { parseYamlConfig } = await import('./yaml-config-text.js');
  return parseHooksConfig(parseYamlConfig(text, file), file);
}

export function parseHooksConfig(raw: unknown, file: string): HooksConfig {
  if (raw === null || raw === undefined) return DEFAULT_HOOKS_CONFIG;
  const root = mapping(raw, 'the file', file);
  const config: HooksConfig = {
    preCommit: DEFAULT_HOOKS_CONFIG.preCommit,
    postMerge: DEFAULT_HOOKS_CONFIG.postMerge,
    tasks: { ...DEFAULT_HOOKS_CONFIG.tasks },
    areas: DEFAULT_HOOKS_CONFIG.areas,
  };
  for (const [key, value] of Object.entries(root)) {
    if (key === 'pre_commit') config.preCommit = boolean(value, key, file);
    else if (key === 'post_merge') config.postMerge = boolean(value, key, file);
    else if (key === 'tasks') {
      for (const [task, on] of Object.entries(mapping(value, 'tasks', file))) {
        const name = TASK_KEYS[task];
        if (!name) throw unknownKey(file, `tasks.${task}`, Object.keys(TASK_KEYS));
        config.tasks[name] = boolean(on, `tasks.${task}`, file);
      }
    } else if (key === 'areas') config.areas = areas(value, file);
    else throw unknownKey(file, key, ['pre_commit', 'post_merge', 'tasks', 'areas']);
  }
  return config;
}

function areas(value: unknown, file: string): AreaDefinition[] {
  return Object.entries(mapping(value, 'areas', file)).map(([name, spec]) => {
    const where = `areas.${name}`;
    if (Array.isArray(spec) || typeof spec === 'string') return { name, paths: globs(spec, where, file), label: defaultLabel(name) };
    const fields = mapping(spec, where, file);
    for (const key of Object.keys(fields))
      if (key !== 'paths' && key !== 'label') throw unknownKey(file, `${where}.${key}`, ['paths', 'label']);
    const label = fields.label ?? defaultLabel(name);
    if (typeof label !== 'string' || label.trim() === '') throw new HooksConfigError(file, `${where}.label must be a non-empty string`);
    return { name, paths: globs(fields.paths, `${where}.paths`, file), label };
  });
}

function globs(value: unknown, where: string, file: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string' && p !== '')) {
    throw new HooksConfigError(file, `${where} must be a glob or a non-empty list of globs, e.g. [packages/]`);
  }
  return list as string[];
}

function defaultLabel(name: string): string {
  const known = DEFAULT_AREAS.find((a) => a.name === name);
  return known ? known.label : `${name.charAt(0).toUpperCase()}${name.slice(1)} updates`;
}

function mapping(value: unknown, where: string, file: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HooksConfigError(file, `${where} must be a mapping of keys`);
  }
  return value as Record<string, unknown>;
}

function boolean(value: unknown, where: string, file: string): boolean {
  if (typeof value !== 'boolean')
    throw new HooksConfigError(
      file,
      `${where} must be true or false, found ${typeof value === 'string' ? quotedExcerpt(value) : sourceExcerpt(String(JSON.stringify(value)))}`,
    );
  return value;
}

function unknownKey(file: string, key: string, known: readonly string[]): HooksConfigError {
  return new HooksConfigError(file, `unknown key ${quotedExcerpt(key)} (known: ${known.join(', ')})`);
}
