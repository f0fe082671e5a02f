import { STATE_SCRATCH_IGNORE_RULES } from '../hooks-run/state-scratch-paths.js';
import { upsertMarkedBlock } from './marked-block.js';

/** The ignore block `paracle install` adds to the repository's `.gitignore`, once. */

const START = '# >>> paracle-hooks: the state lock and temp files must never be committed';
const END = '# <<< paracle-hooks';

export function ignoreBlock(): string {
  return [START, ...STATE_SCRATCH_IGNORE_RULES, END, ''].join('\n');
}

/** `existing` with the block added or brought up to date; the same text when it already is. */
export function upsertIgnoreRules(existing: string | null): string {
  return upsertMarkedBlock(existing, ignoreBlock(), { start: START, end: END, blankLineBefore: true });
}
