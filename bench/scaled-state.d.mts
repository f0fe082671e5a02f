/** A state file `factor` times the size of the real one (see scaled-state.mjs). */
export function scaledStateText(realText: string, factor: number): string;
export function scaledStateFromFile(path: string, factor: number): string;
