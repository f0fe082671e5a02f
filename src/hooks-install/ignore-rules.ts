import { STATE_SCRATCH_IGNORE_RULES } from '../hooks-run/state-scratch-paths.js';

/** The ignore block `paracle install` adds to the repository's `.gitignore`, once. */

const START = '# >>> paracle-hooks: the state lock and temp files must never be committed';
const END = '# <<< paracle-hooks';

export function ignoreBlock(): string {
  return [START, ...STATE_SCRATCH_IGNORE_RULES, END, ''].join('\n');
}

/** `existing` with the block added or brought up to date; the same text when it already is. */
export function upsertIgnoreRules(existing: string | null): string {
  const block = ignoreBlock();
  if (existing === null || existing === '') return block;
  const start = existing.indexOf(START);
  const end = start === -1 ? -1 : existing.indexOf(END, start);
  if (start !== -1 && end !== -1) {
    let stop = end + END.length;
    if (existing[stop] === '\n') stop += 1;
    return existing.slice(0, start) + block + existing.slice(stop);
  }
  const separator = existing.endsWith('\n') ? '\n' : '\n\n';
  return `${existing}${separator}${block}`;
}
