import { describe, expect, it } from 'vitest';
import { mergeData } from '../src/reconcile/merge-data.js';
import { reconcileAuditEntry, formatPath } from '../src/reconcile/reconcile-states.js';

/** The merge rules on small data, each case also run with the two sides swapped where the rule is symmetric. */

type Data = Record<string, unknown>;

function both(base: Data, a: Data, b: Data) {
  return [mergeData(base, a, b), mergeData(base, b, a)] as const;
}

describe('mergeData: mappings', () => {
  it('keeps disjoint changes from both sides', () => {
    const base = { a: 1, b: { c: 2, d: 3 }, e: 'x' };
    for (const result of both(base, { a: 2, b: { c: 2, d: 3 }, e: 'x' }, { a: 1, b: { c: 2, d: 4 }, e: 'y' })) {
      expect(result.merged).toEqual({ a: 2, b: { c: 2, d: 4 }, e: 'y' });
      expect(result.conflicts).toEqual([]);
    }
  });

  it('merges identical changes without a conflict', () => {
    const [r1, r2] = both({ a: 1 }, { a: 5, n: [1] }, { a: 5, n: [1] });
    expect(r1.merged).toEqual({ a: 5, n: [1] });
    expect(r2.merged).toEqual({ a: 5, n: [1] });
    expect(r1.conflicts).toEqual([]);
  });

  it('honours a removed key the other side did not touch, and keeps keys added on either side', () => {
    for (const result of both({ gone: 1, keep: 2 }, { keep: 2 }, { gone: 1, keep: 2, added: 3 })) {
      expect(result.merged).toEqual({ keep: 2, added: 3 });
      expect(Object.hasOwn(result.merged, 'gone')).toBe(false);
    }
  });

  it('lets ours win a scalar both sides changed, and reports both values', () => {
    const base = { current_phase: { progress: '10%' } };
    const ours = { current_phase: { progress: '50%' } };
    const theirs = { current_phase: { progress: '40%' } };
    const forward = mergeData(base, ours, theirs);
    expect(forward.merged).toEqual(ours);
    expect(forward.conflicts).toEqual([{ path: ['current_phase', 'progress'], ours: '50%', theirs: '40%', chosen: '50%' }]);
    const backward = mergeData(base, theirs, ours);
    expect(backward.merged).toEqual(theirs);
    expect(backward.conflicts[0]!.chosen).toBe('40%');
  });

  it('lets ours win an edit against a removal, either way round, and reports it', () => {
    const base = { note: 'a', other: 1 };
    const removedByOurs = mergeData(base, { other: 1 }, { note: 'b', other: 1 });
    expect(removedByOurs.merged).toEqual({ other: 1 });
    expect(removedByOurs.conflicts).toEqual([{ path: ['note'], ours: undefined, theirs: 'b', chosen: undefined }]);
    const editedByOurs = mergeData(base, { note: 'c', other: 1 }, { other: 1 });
    expect(editedByOurs.merged).toEqual({ note: 'c', other: 1 });
    expect(editedByOurs.conflicts).toEqual([{ path: ['note'], ours: 'c', theirs: undefined, chosen: 'c' }]);
  });

  it('takes the larger revision and the later snapshot_date at the top level, with no conflict', () => {
    const base = { revision: 3, snapshot_date: '2026-01-05' };
    for (const result of both(base, { revision: 4, snapshot_date: '2026-01-07' }, { revision: 9, snapshot_date: '2026-01-06' })) {
      expect(result.merged).toEqual({ revision: 9, snapshot_date: '2026-01-07' });
      expect(result.conflicts).toEqual([]);
    }
  });

  it('does not apply the larger-wins rule to a nested key of the same name', () => {
    const result = mergeData({ x: { revision: 1 } }, { x: { revision: 2 } }, { x: { revision: 5 } });
    expect(result.merged).toEqual({ x: { revision: 2 } });
    expect(result.conflicts).toHaveLength(1);
  });

  it('treats a type change both sides made differently as a conflict ours wins', () => {
    const result = mergeData({ m: { a: 1 } }, { m: [1, 2] }, { m: { a: 2 } });
    expect(result.merged).toEqual({ m: [1, 2] });
    expect(result.conflicts[0]).toMatchObject({ path: ['m'], chosen: [1, 2] });
  });

  it('reports the paths ours changed as merged keys (revision left out)', () => {
    const result = mergeData(
      { revision: 1, a: { b: 1, c: 2 }, l: [1] },
      { revision: 1, a: { b: 2, c: 2 }, l: [1, 2], n: true },
      { revision: 2, a: { b: 1, c: 3 }, l: [1] },
    );
    expect(result.mergedKeys).toEqual(['a.b', 'l', 'n']);
  });

  it('keeps a __proto__ key as data and never touches a prototype', () => {
    const base = JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}') as Data;
    const ours = JSON.parse('{"__proto__": {"polluted": 2}, "a": 1}') as Data;
    const theirs = JSON.parse('{"__proto__": {"polluted": 1}, "a": 2}') as Data;
    const result = mergeData(base, ours, theirs);
    expect(Object.hasOwn(result.merged, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(result.merged, '__proto__')!.value).toEqual({ polluted: 2 });
    expect(result.merged.a).toBe(2);
    expect(({} as Data).polluted).toBeUndefined();
  });
});

describe('mergeData: lists', () => {
  it('keeps items appended on both sides, theirs first, without duplicates', () => {
    const base = { l: ['a', 'b'] };
    const result = mergeData(base, { l: ['a', 'b', 'o1', 'both', 'o2'] }, { l: ['a', 'b', 't1', 'both'] });
    expect(result.merged.l).toEqual(['a', 'b', 't1', 'both', 'o1', 'o2']);
    expect(result.conflicts).toEqual([]);
    const swapped = mergeData(base, { l: ['a', 'b', 't1', 'both'] }, { l: ['a', 'b', 'o1', 'both', 'o2'] });
    expect(swapped.merged.l).toEqual(['a', 'b', 'o1', 'both', 'o2', 't1']);
  });

  it('places items inserted mid-list after the item that preceded them', () => {
    const result = mergeData({ l: ['a', 'b', 'c'] }, { l: ['o', 'a', 'b', 'x', 'c'] }, { l: ['t', 'a', 'b', 'c', 'z'] });
    expect(result.merged.l).toEqual(['t', 'o', 'a', 'b', 'x', 'c', 'z']);
  });

  it('honours removals on either side while keeping the other side’s additions', () => {
    for (const result of both({ l: ['a', 'b', 'c'] }, { l: ['a', 'c', 'new'] }, { l: ['b', 'c'] })) {
      expect(result.merged.l).toEqual(['c', 'new']);
      expect(result.conflicts).toEqual([]);
    }
  });

  it('counts repeated values as separate items', () => {
    const result = mergeData({ l: ['x'] }, { l: ['x', 'x'] }, { l: ['x', 'y'] });
    expect(result.merged.l).toEqual(['x', 'y', 'x']);
  });

  it('keeps null items as values', () => {
    const result = mergeData({ l: [null, 1] }, { l: [null, 1, 2] }, { l: [null, 1, 3] });
    expect(result.merged.l).toEqual([null, 1, 3, 2]);
  });

  it('matches mappings with an id by id and merges their fields', () => {
    const base = { blockers: [{ id: 'b1', description: 'old', severity: 'low' }] };
    const ours = {
      blockers: [
        { id: 'b1', description: 'old', severity: 'high' },
        { id: 'b3', description: 'o' },
      ],
    };
    const theirs = {
      blockers: [
        { id: 'b1', description: 'new', severity: 'low' },
        { id: 'b2', description: 't' },
      ],
    };
    const result = mergeData(base, ours, theirs);
    expect(result.merged.blockers).toEqual([
      { id: 'b1', description: 'new', severity: 'high' },
      { id: 'b2', description: 't' },
      { id: 'b3', description: 'o' },
    ]);
    expect(result.conflicts).toEqual([]);
  });

  it('reports a conflict inside an id item with the item’s index in the file', () => {
    const base = { blockers: [{ id: 'z' }, { id: 'b1', severity: 'low' }] };
    const result = mergeData(
      base,
      { blockers: [{ id: 'z' }, { id: 'b1', severity: 'high' }] },
      { blockers: [{ id: 'z' }, { id: 'b1', severity: 'critical' }] },
    );
    expect(result.conflicts).toEqual([{ path: ['blockers', 1, 'severity'], ours: 'high', theirs: 'critical', chosen: 'high' }]);
    expect(formatPath(result.conflicts[0]!.path)).toBe('blockers[1].severity');
  });

  it('keeps an id item ours edited although theirs removed it, and reports it', () => {
    const base = { blockers: [{ id: 'b1', severity: 'low' }, { id: 'b2' }] };
    const result = mergeData(base, { blockers: [{ id: 'b1', severity: 'high' }, { id: 'b2' }] }, { blockers: [{ id: 'b2' }] });
    expect(result.merged.blockers).toEqual([{ id: 'b1', severity: 'high' }, { id: 'b2' }]);
    expect(result.conflicts).toHaveLength(1);
    expect(result.conflicts[0]).toMatchObject({ path: ['blockers', 0], theirs: undefined });
  });

  it('follows a reorder made on one side only', () => {
    for (const result of both({ l: ['a', 'b', 'c'] }, { l: ['c', 'b', 'a'] }, { l: ['a', 'b', 'c', 'd'] })) {
      expect(result.merged.l).toEqual(['c', 'b', 'a', 'd']);
      expect(result.conflicts).toEqual([]);
    }
  });

  it('lets ours’ order win when both sides reordered differently, and reports it', () => {
    const result = mergeData({ l: ['a', 'b', 'c'] }, { l: ['c', 'a', 'b'] }, { l: ['b', 'a', 'c'] });
    expect(result.merged.l).toEqual(['c', 'a', 'b']);
    expect(result.conflicts).toEqual([{ path: ['l'], ours: ['c', 'a', 'b'], theirs: ['b', 'a', 'c'], chosen: ['c', 'a', 'b'] }]);
  });

  it('merges lists that both sides created', () => {
    const result = mergeData({}, { l: ['o', 'both'] }, { l: ['t', 'both'] });
    expect(result.merged.l).toEqual(['t', 'both', 'o']);
  });
});

describe('reconcileAuditEntry', () => {
  it('lists the merged keys and every override with both values', () => {
    const merge = mergeData({ a: 1, b: 1, c: 'x' }, { a: 2, b: 2, c: 'x' }, { a: 3, b: 1 });
    const entry = reconcileAuditEntry(merge, { loaded: 4, found: 6 });
    expect(entry).toMatchObject({
      change_type: 'reconcile',
      keys: ['a', 'b'],
      overrides: [{ path: 'a', ours: 2, theirs: 3, chosen: 2 }],
      loaded_revision: 4,
      merged_revision: 6,
    });
    expect(entry.description).toContain('revision 4');
    expect(entry.description).toContain('a, b');
    const removal = reconcileAuditEntry(mergeData({ n: 1 }, {}, { n: 2 }), { loaded: 1, found: 2 });
    expect(removal.overrides).toEqual([{ path: 'n', ours: undefined, theirs: 2, chosen: undefined, removed_by: 'ours' }]);
    expect(JSON.parse(JSON.stringify(removal.overrides))).toEqual([{ path: 'n', theirs: 2, removed_by: 'ours' }]);
  });
});
