import { isDeepStrictEqual } from 'node:util';
import { isRecord } from '../document/plain-data.js';
import type { StateEdit } from '../state/state-edits.js';
import { roadmapCurrentPhase, scalarText, statePhaseId } from '../tasks/roadmap-alignment.js';

/**
 * Roadmap alignment for `paracle sync`: does the state agree with `.parac/roadmap/roadmap.yaml`?
 * Everything found is a warning. A few have a *safe fix* — one that only copies a fact the roadmap
 * or the state itself already states into a place that is missing it or contradicts it, and never
 * drops anything a person wrote — which `--auto-fix` applies:
 *
 *  - `project.phase` differs from `current_phase.id` → set to `current_phase.id` (the state's own
 *    current phase is the authority for its summary line);
 *  - `current_phase.name` missing → the roadmap phase's name;
 *  - roadmap deliverables of the current phase missing from `current_phase.deliverables` → appended.
 *
 * Which phase is current, its status and its progress are left for a person to decide: a warning.
 * Pure: data in, findings out.
 */

export interface RoadmapFinding {
  message: string;
  /** Present when `--auto-fix` may apply it. */
  fix?: StateEdit;
}

export function checkRoadmapAlignment(state: Record<string, unknown>, roadmap: unknown): RoadmapFinding[] {
  if (!isRecord(roadmap)) return [{ message: 'roadmap.yaml is not a mapping of keys; nothing to compare' }];
  const findings: RoadmapFinding[] = [];
  const stateId = statePhaseId(state);
  const phase = isRecord(state.current_phase) ? state.current_phase : {};
  const roadmapCurrent = roadmapCurrentPhase(roadmap);

  if (roadmapCurrent !== null && stateId !== null && roadmapCurrent !== stateId) {
    findings.push({ message: `roadmap.yaml says current_phase is ${roadmapCurrent} but the state is at ${stateId}; update one of them` });
  }
  const project = isRecord(state.project) ? state.project : null;
  if (project && stateId !== null && project.phase !== undefined && scalarText(project.phase) !== stateId) {
    findings.push({
      message: `project.phase is ${scalarText(project.phase) ?? JSON.stringify(project.phase)} but current_phase.id is ${stateId}`,
      fix: { path: ['project', 'phase'], value: stateId },
    });
  }
  if (stateId === null) return findings;

  const phases = Array.isArray(roadmap.phases) ? roadmap.phases.filter(isRecord) : [];
  const planned = phases.find((p) => scalarText(p.id) === stateId);
  if (!planned) {
    if (phases.length > 0) findings.push({ message: `current phase ${stateId} is not among the roadmap's phases` });
    return findings;
  }
  const plannedName = scalarText(planned.name);
  if (plannedName !== null && (phase.name === undefined || phase.name === null || phase.name === '')) {
    findings.push({
      message: `current_phase.name is missing; the roadmap calls ${stateId} "${plannedName}"`,
      fix: { path: ['current_phase', 'name'], value: plannedName },
    });
  }
  const plannedStatus = scalarText(planned.status);
  const status = scalarText(phase.status);
  if (plannedStatus !== null && status !== null && plannedStatus !== status) {
    findings.push({ message: `current_phase.status is ${status} but the roadmap has ${stateId} as ${plannedStatus}` });
  }
  const plannedProgress = percent(planned.completion ?? planned.progress);
  const progress = percent(phase.progress);
  if (plannedProgress !== null && progress !== null && plannedProgress !== progress) {
    findings.push({ message: `current_phase.progress is ${progress}% but the roadmap has ${stateId} at ${plannedProgress}%` });
  }
  const plannedDeliverables = Array.isArray(planned.deliverables) ? planned.deliverables : [];
  const deliverables = Array.isArray(phase.deliverables) ? phase.deliverables : phase.deliverables === undefined ? [] : null;
  if (deliverables !== null) {
    const missing = plannedDeliverables.filter((d) => !deliverables.some((have) => isDeepStrictEqual(have, d)));
    if (missing.length > 0) {
      findings.push({
        message: `current_phase.deliverables lacks ${missing.length} the roadmap lists for ${stateId}: ${missing.map((d) => scalarText(d) ?? JSON.stringify(d)).join(', ')}`,
        fix: { path: ['current_phase', 'deliverables'], value: [...deliverables, ...missing] },
      });
    }
  }
  return findings;
}

/** `98%`, `98` or 98 → 98; anything else null. */
function percent(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(value);
  return match ? Number(match[1]) : null;
}
