import { AUDIT_LOG_IGNORE_RULE, STATE_SCRATCH_IGNORE_RULES } from '../state/state-scratch-paths.js';
import { upsertMarkedBlock } from './marked-block.js';

/**
 * The ignore block paracle owns: in the repository's `.gitignore` (`paracle install`, patterns that
 * match a `.parac/` at any depth) and in `.parac/.gitignore` (`paracle init`, the same files relative
 * to `.parac/`, so a workspace made before the hooks are installed never commits them either).
 * The state core's lock, waiting line and temp files, and the audit log, a local record.
 */

const START = '# >>> paracle-hooks: the state lock, temp files and the local audit log are never committed';
/** The marker of blocks written before the audit log was ignored: such a block is updated in place. */
const LEGACY_START = '# >>> paracle-hooks: the state lock and temp files must never be committed';
const END = '# <<< paracle-hooks';

const RULES: readonly string[] = [...STATE_SCRATCH_IGNORE_RULES, AUDIT_LOG_IGNORE_RULE];

export function ignoreBlock(): string {
  return [START, ...RULES, END, ''].join('\n');
}

/** The block for `.parac/.gitignore`: each `**\/.parac/x` rule as `/x`, anchored at `.parac/`. */
export function paracIgnoreBlock(): string {
  return [START, ...RULES.map((rule) => rule.replace(/^\*\*\/\.parac\//, '/')), END, ''].join('\n');
}

/** `existing` with the block added or brought up to date; the same text when it already is. */
export function upsertIgnoreRules(existing: string | null, block: string = ignoreBlock()): string {
  const current = existing?.replace(LEGACY_START, START) ?? null;
  return upsertMarkedBlock(current, block, { start: START, end: END, blankLineBefore: true });
}
