/**
 * Task "roadmap alignment": the roadmap and the state should agree on the current phase. A
 * mismatch is a warning, never a failure. Only the roadmap's top-level `current_phase` line is
 * read (the file is long and nothing else in it is needed).
 */

export function roadmapCurrentPhase(roadmapText: string): string | null {
  const line = /^current_phase:[ \t]*(.*)$/m.exec(roadmapText)?.[1];
  if (line === undefined) return null;
  return scalarValue(line);
}

/** A one-line YAML scalar: plain (up to a ` #` comment), 'single' or "double" quoted; null otherwise. */
export function scalarValue(text: string): string | null {
  const value = text.trim();
  const single = /^'((?:[^']|'')*)'(?:\s+#.*)?$/.exec(value);
  if (single) return single[1]!.replace(/''/g, "'");
  const double = /^"((?:[^"\\]|\\.)*)"(?:\s+#.*)?$/.exec(value);
  if (double) {
    try {
      return JSON.parse(`"${double[1]!}"`) as string;
    } catch {
      return double[1]!;
    }
  }
  const plain = value.replace(/\s+#.*$/, '').trim();
  if (plain === '' || plain.startsWith('#') || /^[[{&*!|>'"%@`]/.test(plain)) return null;
  return plain;
}

/** The state's phase id: `current_phase.id`, or `current_phase` itself when it is a plain value. */
export function statePhaseId(data: Record<string, unknown>): string | null {
  const phase = data.current_phase;
  if (typeof phase === 'string' || typeof phase === 'number') return String(phase);
  if (phase !== null && typeof phase === 'object' && !Array.isArray(phase)) {
    const id = (phase as Record<string, unknown>).id;
    if (typeof id === 'string' || typeof id === 'number') return String(id);
  }
  return null;
}

/** A one-line warning when both name a phase and they differ; null otherwise. */
export function roadmapAlignmentWarning(roadmapText: string, stateData: Record<string, unknown>): string | null {
  const roadmap = roadmapCurrentPhase(roadmapText);
  const state = statePhaseId(stateData);
  if (roadmap === null || state === null || roadmap === state) return null;
  return `roadmap.yaml says current_phase is ${roadmap} but current_state.yaml is at ${state}; update one of them`;
}
