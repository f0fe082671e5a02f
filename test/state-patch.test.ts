import { applyPatch } from 'rfc6902';
import { describe, expect, it } from 'vitest';
import { statePatch } from '../src/log/state-patch.js';
import { parseStateText } from '../src/document/document.js';
import { readFixture } from './support/fixtures.js';

/** Applies the patch to a copy of `input`: it must give `output` exactly. */
function roundTrip(input: unknown, output: unknown) {
  const patch = statePatch(input, output);
  const copy = structuredClone(input);
  const results = applyPatch(copy, patch);
  expect(results.filter((r) => r !== null)).toEqual([]);
  expect(copy).toEqual(output);
  return patch;
}

describe('statePatch: RFC 6902 patches of state data', () => {
  it('random edits of lists (adds, removes, replaces at the ends and inside, nested lists) apply back exactly', () => {
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let checked = 0;
    for (let round = 0; round < 400; round += 1) {
      const input = Array.from({ length: random(12) }, (_, i) => (random(4) === 0 ? { id: i, tags: [i, i + 1] } : `item-${i}`));
      const output = structuredClone(input) as unknown[];
      for (let edit = random(4); edit >= 0; edit -= 1) {
        const at = random(output.length + 1);
        const kind = random(4);
        if (kind === 0) output.splice(at, 0, `new-${round}-${edit}`);
        else if (kind === 1 && output.length > 0) output.splice(Math.min(at, output.length - 1), 1);
        else if (kind === 2 && at < output.length) output[at] = { id: -at, tags: [round] };
        else if (at < output.length && typeof output[at] === 'object') (output[at] as { tags: number[] }).tags.push(edit);
      }
      roundTrip({ list: input, other: 1 }, { list: output, other: 1 });
      checked += 1;
    }
    expect(checked).toBe(400);
  });

  it('an item appended to a long list is one small operation, and 20 000 items do not exhaust the stack', () => {
    const long = Array.from({ length: 20_000 }, (_, i) => `done-${i}`);
    const patch = roundTrip({ completed: long }, { completed: [...long, 'one more'] });
    expect(patch).toEqual([{ op: 'add', path: '/completed/-', value: 'one more' }]);
    const inside = [...long];
    inside.splice(10_000, 1, 'changed');
    expect(roundTrip({ completed: long }, { completed: inside })).toEqual([{ op: 'replace', path: '/completed/10000', value: 'changed' }]);
    // A middle too large to diff pair by pair is replaced whole, and still applies exactly.
    const reversed = [...long].reverse();
    expect(roundTrip({ completed: long }, { completed: reversed })).toEqual([{ op: 'replace', path: '/completed', value: reversed }]);
  });

  it('an insertion before the end of a list gets its real index', () => {
    expect(roundTrip({ a: ['x', 'y', 'z'] }, { a: ['x', 'y', 'new', 'z'] })).toEqual([{ op: 'add', path: '/a/2', value: 'new' }]);
  });

  it('on the real state file: a progress change and a completed item are the only operations', () => {
    const data = parseStateText(readFixture('current_state.yaml'), 'state').data as Record<string, any>;
    const next = structuredClone(data);
    expect(data.previous_phase.completed.length).toBeGreaterThan(40);
    next.current_phase.progress = 99;
    next.previous_phase.completed.push('shipped');
    next.recent_updates.splice(3, 1);
    const patch = roundTrip(data, next);
    expect(patch.map((op) => op.path).sort()).toEqual(['/current_phase/progress', '/previous_phase/completed/-', '/recent_updates/3']);
  });
});
