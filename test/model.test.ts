import { describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { ParacState, localDate } from '../src/state/model.js';
import { applyEditsToState } from '../src/state/state-edits.js';
import { sessionEndEdits } from '../src/sync/session-end.js';
import { readFixture } from './support/fixtures.js';

function realState(): ParacState {
  return new ParacState(parseStateText(readFixture('current_state.yaml'), 'current_state.yaml'));
}

describe('ParacState', () => {
  it('exposes the known fields of the real file', () => {
    const state = realState();
    expect(state.revision).toBe(11);
    expect(state.snapshotDate).toBe('2026-01-10');
    expect(state.projectName).toBe('paracle-lite');
    expect(state.projectVersion).toBe('1.0.1');
    expect(state.currentPhase.id).toBe('phase_10');
    expect(state.currentPhase.progress).toBe('0%');
    expect(state.currentPhase.completed).toEqual([]);
    expect(state.blockers).toEqual([]);
    expect(state.nextActions[0]).toBe('Prepare PyPI packaging (high priority for MVP)');
    expect(state.metrics.test_count).toBe(771);
  });

  it('updateProgress takes integers 0-100 only, and changes nothing otherwise', () => {
    const state = realState();
    for (const bad of [-1, 101, 50.5, Number.NaN]) {
      expect(() => state.updateProgress(bad)).toThrow(RangeError);
    }
    expect(state.data).toEqual(state.original);
    state.updateProgress(75);
    expect(state.currentPhase.progress).toBe('75%');
    expect(state.snapshotDate).toBe(localDate());
    expect(state.changes).toEqual([
      { change_type: 'progress', description: 'Updated phase progress from 0% to 75%', old_value: '0%', new_value: '75%' },
    ]);
  });

  it('addCompleted creates the list once, dedupes, and moves the item out of in_progress', () => {
    const state = realState();
    state.addInProgress('policy_engine');
    expect(state.currentPhase.inProgress).toEqual(['policy_engine']);
    state.addCompleted('policy_engine');
    state.addCompleted('policy_engine');
    expect(state.currentPhase.completed).toEqual(['policy_engine']);
    expect(state.currentPhase.inProgress).toEqual([]);
    expect(state.changes.map((c) => c.change_type)).toEqual(['in_progress', 'completed', 'completed']);
  });

  it('adds blockers with fresh ids and removes them by id', () => {
    const state = realState();
    expect(() => state.addBlocker('x', 'urgent')).toThrow(RangeError);
    const first = state.addBlocker('Waiting on review');
    const second = state.addBlocker('CI is down', 'high');
    expect([first, second]).toEqual(['blocker_1', 'blocker_2']);
    expect(state.removeBlocker(first)).toBe(true);
    expect(state.removeBlocker(first)).toBe(false);
    expect(state.addBlocker('Again')).toBe('blocker_3');
    expect(state.blockers.map((b) => [b.id, b.severity])).toEqual([
      ['blocker_2', 'high'],
      ['blocker_3', 'medium'],
    ]);
  });

  it('getIn/setIn reach any key, create mappings on the way, and never a prototype', () => {
    const state = realState();
    expect(state.getIn('repository.branch')).toBe('develop');
    expect(state.getIn(['current_phase', 'deliverables', 0])).toBe('policy_engine');
    state.setIn('tooling.hooks.enabled', true);
    expect(state.getIn(['tooling', 'hooks', 'enabled'])).toBe(true);
    state.setIn(['__proto__', 'polluted'], 1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(state.getIn('__proto__.polluted')).toBe(1);
    expect(state.changes.at(-1)).toMatchObject({ change_type: 'update', description: 'Set __proto__.polluted' });
  });
});

describe('StateEdit: one edit type, one way to apply it', () => {
  it('applyEditsToState sets each edit, reports the changes and the edits a plain value blocks', () => {
    const state = new ParacState(parseStateText('a: 1\nb: text\nc:\n  d: 2\n', 'state.yaml'));
    const { changes, skipped } = applyEditsToState(state, [
      { path: ['a'], value: 1 },
      { path: ['c', 'd'], value: 3 },
      { path: ['b', 'x'], value: 4 },
      { path: ['e', 'f'], value: 'new' },
    ]);
    expect(changes).toEqual([
      { path: 'c.d', old: 2, new: 3 },
      { path: 'e.f', old: null, new: 'new' },
    ]);
    expect(skipped).toEqual([{ path: ['b', 'x'], value: 4 }]);
    expect(state.data).toEqual({ a: 1, b: 'text', c: { d: 3 }, e: { f: 'new' } });
  });

  it('session end is edits: items move between the phase lists as the Python original moves them', () => {
    const data = { current_phase: { id: 'p', in_progress: ['x', 'y'], pending: ['y', 'z'] }, other: 1 };
    expect(sessionEndEdits(data, { start: ['z'], complete: ['y'], progress: 40 }, '2026-02-03')).toEqual([
      { path: ['current_phase', 'in_progress'], value: ['x', 'z'] },
      { path: ['current_phase', 'pending'], value: [] },
      { path: ['current_phase', 'completed'], value: ['y'] },
      { path: ['current_phase', 'progress'], value: '40%' },
      { path: ['snapshot_date'], value: '2026-02-03' },
    ]);
    expect(sessionEndEdits({}, {}, '2026-02-03')).toEqual([{ path: ['snapshot_date'], value: '2026-02-03' }]);
    expect(() => sessionEndEdits({ current_phase: { completed: 'done' } }, { complete: ['a'] }, '2026-02-03')).toThrow(
      'current_phase.completed is not a list in the state file',
    );
  });

  it('a current_phase that is a plain value is refused, never replaced by a mapping', () => {
    const state = new ParacState(parseStateText('current_phase: phase_3\n', 'state.yaml'));
    expect(() => state.addCompleted('a')).toThrow('current_phase is not a mapping');
    expect(state.data).toEqual({ current_phase: 'phase_3' });
  });
});
