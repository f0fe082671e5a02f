import { describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { ParacState, localDate } from '../src/state/model.js';
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
