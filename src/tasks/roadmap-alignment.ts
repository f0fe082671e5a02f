import { readTextIfExistsSync } from '../fs/read-text.js';
import { isRecord } from '../document/plain-data.js';

/**
 * The roadmap (`.parac/roadmap/roadmap.yaml`) as the hooks and `paracle sync` read it: parsed with
 * the yaml library (YAML 1.2 core schema, aliases bounded), never by pattern. The pre-commit task
 * "roadmap alignment" compares its `current_phase` with the state's; a mismatch is a warning, never
 * a failure. `paracle sync` checks more (see sync/roadmap-check.ts).
 */

/** The parsed roadmap, or one line saying why it could not be read (file:line:column: reason). */
export type RoadmapRead = { roadmap: unknown } | { error: string };

/**
 * null when there is no roadmap file. `keys`: parse only these top-level entries (the hook needs
 * one line of a long file; a cold parse of all of it would cost a commit more than the rest of the
 * hook's YAML work). Anything the cut is unsure of, or an error in it, is parsed whole.
 */
export async function readRoadmap(file: string, keys?: readonly string[]): Promise<RoadmapRead | null> {
  let text: string | null;
  try {
    text = readTextIfExistsSync(file);
  } catch (error) {
    return { error: `${file}: cannot read: ${(error as Error).message}` };
  }
  return text === null ? null : parseRoadmapText(text, file, keys);
}

/** Loaded on first use: a commit touching no watched area never pays for the YAML parser. */
export async function parseRoadmapText(text: string, file: string, keys?: readonly string[]): Promise<RoadmapRead> {
  const { parseDocument } = await import('yaml');
  if (keys !== undefined) {
    const { cutTopLevel } = await import('../document/sections.js');
    const cut = cutTopLevel(text);
    if (cut !== null) {
      const picked = cut.sections
        .filter((section) => keys.includes(section.key))
        .map((section) => text.slice(section.start, section.end).replace(/\r?\n?$/, '\n'))
        .join('');
      const doc = parseDocument(picked, { uniqueKeys: false });
      // An error is reported from the whole file below, with its real line and column.
      if (doc.errors.length === 0) return { roadmap: doc.toJS({ maxAliasCount: 100 }) ?? {} };
    }
  }
  const doc = parseDocument(text, { uniqueKeys: false });
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    return { error: `${file}${at ? `:${at.line}:${at.col}` : ''}: ${error.message.split('\n')[0]}` };
  }
  return { roadmap: doc.toJS({ maxAliasCount: 100 }) };
}

/** The roadmap's top-level `current_phase`, when it is a plain value. */
export function roadmapCurrentPhase(roadmap: unknown): string | null {
  return isRecord(roadmap) ? scalarText(roadmap.current_phase) : null;
}

/** The state's phase id: `current_phase.id`, or `current_phase` itself when it is a plain value. */
export function statePhaseId(data: Record<string, unknown>): string | null {
  const phase = data.current_phase;
  if (typeof phase === 'string' || typeof phase === 'number') return String(phase);
  if (isRecord(phase)) return scalarText(phase.id);
  return null;
}

/** A one-line warning when both name a phase and they differ; null otherwise. */
export function roadmapAlignmentWarning(roadmap: unknown, stateData: Record<string, unknown>): string | null {
  const planned = roadmapCurrentPhase(roadmap);
  const state = statePhaseId(stateData);
  if (planned === null || state === null || planned === state) return null;
  return `roadmap.yaml says current_phase is ${planned} but current_state.yaml is at ${state}; update one of them`;
}

export function scalarText(value: unknown): string | null {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}
