import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { StateParseError } from '../src/errors.js';
import { reconcileStates } from '../src/reconcile/reconcile-states.js';
import { parseStateText, rewriteYaml } from '../src/document/document.js';
import { ParacState, localDate } from '../src/state/model.js';
import { addedLines, historyFiles, INVALID_HISTORY_PREFIX, readFixture } from './support/fixtures.js';

/**
 * reconcileStates on the real files: ours and theirs are real edits of the same base, made with
 * the model exactly as the CLI and the hooks make them, and every case runs in both orders.
 */

const real = readFixture('current_state.yaml');

/** `text` edited through ParacState (optionally saved: revision + 1), rendered as the store renders it. */
function edit(text: string, change: (state: ParacState) => void, options: { saved?: boolean } = {}): string {
  const parsed = parseStateText(text, 'state.yaml');
  const state = new ParacState(parsed);
  change(state);
  if (options.saved) state.data.revision = parsed.revision + 1;
  return rewriteYaml(text, parsed.data, state.data);
}

/** A session end (two items completed, progress) as a hook or another CLI run would have saved it. */
const sessionEnd = (state: ParacState) => {
  state.addCompleted('item-t1');
  state.addCompleted('item-t2');
  state.updateProgress(40);
};

/** A sync: repository facts, a metric, a blocker and a next action, not yet saved. */
const sync = (state: ParacState) => {
  state.setIn(['repository', 'branch'], 'main');
  state.setIn(['metrics', 'total_files'], 1234);
  state.addBlocker('Waiting: upstream review', 'high');
  (state.data.next_actions as string[]).push('Ship the merge driver');
};

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

function expectRepresents(result: { text: string; data: unknown }) {
  expect(parse(result.text)).toEqual(result.data);
  expect(() => parseStateText(result.text, 'merged.yaml')).not.toThrow();
}

describe('reconcileStates on the real current_state.yaml', () => {
  const theirs = edit(real, sessionEnd, { saved: true });
  const ours = edit(real, sync);

  it('keeps both sides’ disjoint changes, with no conflict', async () => {
    const result = await reconcileStates(real, ours, theirs);
    expectRepresents(result);
    const data = result.data as any;
    expect(data.current_phase.completed).toEqual(['item-t1', 'item-t2']);
    expect(data.current_phase.progress).toBe('40%');
    expect(data.repository.branch).toBe('main');
    expect(data.metrics.total_files).toBe(1234);
    expect(data.metrics.test_count).toBe(771);
    expect(data.blockers).toEqual([
      { id: 'blocker_1', description: 'Waiting: upstream review', severity: 'high', added_date: localDate() },
    ]);
    expect(data.next_actions.at(-1)).toBe('Ship the merge driver');
    expect(data.revision).toBe(12);
    expect(result.conflicts).toEqual([]);
    expect(result.mergedKeys).toEqual(expect.arrayContaining(['repository.branch', 'metrics.total_files', 'blockers', 'next_actions']));
  });

  it('keeps theirs (the file on disk) byte for byte outside the values ours changed', async () => {
    const result = await reconcileStates(real, ours, theirs);
    // What left theirs: only the lines holding values ours replaced.
    expect(addedLines(result.text, theirs).sort()).toEqual(['  branch: develop', 'blockers: []'].sort());
    // What came in: ours' values, in the file's own style (indented block list, quoted where needed).
    expect(addedLines(theirs, result.text).sort()).toEqual(
      [
        '  branch: main',
        '  total_files: 1234',
        'blockers:',
        '  - id: blocker_1',
        '    description: "Waiting: upstream review"',
        '    severity: high',
        `    added_date: "${localDate()}"`,
        '  - Ship the merge driver',
      ].sort(),
    );
    expect(result.text).toContain('  # Note: 🎉 ADR-022 IMPLEMENTED - MCP Full Coverage via API-First Bridge ✅\n');
    expect(result.text).toContain('  rationale: |\n    ADR-022 IMPLEMENTED: All 4 phases complete in 6 hours.\n');
  });

  it('gives the same data in the other order, now keeping the other file’s formatting', async () => {
    const forward = await reconcileStates(real, ours, theirs);
    const backward = await reconcileStates(real, theirs, ours);
    expectRepresents(backward);
    expect(backward.data).toEqual(forward.data);
    expect(backward.conflicts).toEqual([]);
    expect(addedLines(backward.text, ours).sort()).toEqual(['  progress: 0%', 'revision: 11'].sort());
  });

  it('keeps an item both sides completed once, and each side’s own items, theirs first', async () => {
    const a = edit(real, (s) => ['shared', 'a1', 'a2'].forEach((item) => s.addCompleted(item)), { saved: true });
    const b = edit(real, (s) => ['b1', 'shared', 'b2'].forEach((item) => s.addCompleted(item)));
    const forward = await reconcileStates(real, b, a);
    expect((forward.data as any).current_phase.completed).toEqual(['shared', 'a1', 'a2', 'b1', 'b2']);
    const backward = await reconcileStates(real, a, b);
    expect((backward.data as any).current_phase.completed).toEqual(['b1', 'shared', 'b2', 'a1', 'a2']);
    for (const result of [forward, backward]) {
      expectRepresents(result);
      expect(result.conflicts).toEqual([]);
    }
  });

  it('lets ours win a value both sides set differently, and reports it, in both orders', async () => {
    const a = edit(real, (s) => s.updateProgress(30), { saved: true });
    const b = edit(real, (s) => s.updateProgress(60));
    const forward = await reconcileStates(real, b, a);
    expect((forward.data as any).current_phase.progress).toBe('60%');
    expect(forward.conflicts).toEqual([{ path: ['current_phase', 'progress'], ours: '60%', theirs: '30%', chosen: '60%' }]);
    const backward = await reconcileStates(real, a, b);
    expect((backward.data as any).current_phase.progress).toBe('30%');
    expect(backward.conflicts).toEqual([{ path: ['current_phase', 'progress'], ours: '30%', theirs: '60%', chosen: '30%' }]);
    expect((forward.data as any).revision).toBe(12);
    expect((backward.data as any).revision).toBe(12);
  });

  it('honours a removal on one side while the other adds', async () => {
    const withBlockers = edit(real, (s) => {
      s.addBlocker('first');
      s.addBlocker('second');
    });
    const removed = edit(withBlockers, (s) => s.removeBlocker('blocker_1'), { saved: true });
    const added = edit(withBlockers, (s) => s.addCompleted('done'));
    for (const result of [await reconcileStates(withBlockers, added, removed), await reconcileStates(withBlockers, removed, added)]) {
      expectRepresents(result);
      const data = result.data as any;
      expect(data.blockers.map((b: { id: string }) => b.id)).toEqual(['blocker_2']);
      expect(data.current_phase.completed).toEqual(['done']);
      expect(result.conflicts).toEqual([]);
    }
  });

  it('returns theirs unchanged when ours changed nothing', async () => {
    const result = await reconcileStates(real, real, theirs);
    expect(result.text).toBe(theirs);
    expect(result.mergedKeys).toEqual([]);
  });

  it('merges onto an empty base (a state that had no file when it was loaded)', async () => {
    const result = await reconcileStates('', 'project:\n  name: mine\nextra: 1\n', theirs);
    expectRepresents(result);
    expect((result.data as any).extra).toBe(1);
    expect((result.data as any).current_phase.completed).toEqual(['item-t1', 'item-t2']);
    expect(result.conflicts).toEqual([{ path: ['project', 'name'], ours: 'mine', theirs: 'paracle-lite', chosen: 'mine' }]);
  });
});

describe('reconcileStates on consecutive commits of the real history', () => {
  const files = historyFiles();
  const pairs = files
    .slice(0, -1)
    .map((file, i) => [file, files[i + 1]!] as const)
    .filter(([a, b]) => !basename(a).startsWith(INVALID_HISTORY_PREFIX) && !basename(b).startsWith(INVALID_HISTORY_PREFIX));

  /** A local edit made on the older file: a new key, a blocker, a next action. */
  const localEdit = (state: ParacState) => {
    state.setIn('local_note', 'edited while upstream moved on');
    state.addBlocker('Local: waiting for review', 'low');
    const next = state.data.next_actions;
    if (Array.isArray(next)) next.push('Local next action');
  };

  it.each(pairs.map(([a, b]) => [basename(a), basename(b), a, b]))(
    '%s + upstream %s: every upstream change and the local edit survive, in both orders',
    async (_a, _b, olderFile, newerFile) => {
      const older = readFileSync(olderFile, 'utf8');
      const upstream = readFileSync(newerFile, 'utf8');
      const local = edit(older, localEdit);
      const upstreamData = parseStateText(upstream, 'upstream').data as any;
      const olderData = parseStateText(older, 'older').data as any;

      const expected = structuredClone(upstreamData);
      expected.local_note = 'edited while upstream moved on';
      expected.blockers = [
        ...(upstreamData.blockers ?? []),
        { id: 'blocker_1', description: 'Local: waiting for review', severity: 'low', added_date: localDate() },
      ];
      if (Array.isArray(olderData.next_actions)) {
        const upstreamActions = Array.isArray(upstreamData.next_actions) ? upstreamData.next_actions : [];
        const stillThere = upstreamActions.length > 0 || olderData.next_actions.length === 0;
        expected.next_actions =
          stillThere || !Object.hasOwn(upstreamData, 'next_actions') ? [...upstreamActions, 'Local next action'] : upstreamActions;
      }
      expected.snapshot_date = localDate();

      const forward = await reconcileStates(older, local, upstream);
      const backward = await reconcileStates(older, upstream, local);
      for (const result of [forward, backward]) {
        expectRepresents(result);
        expect(result.conflicts).toEqual([]);
      }
      expect(forward.data).toEqual(expected);
      // Where upstream replaced every next action, the local one (theirs, in this order) comes first.
      const { next_actions: backwardActions, ...backwardRest } = backward.data as any;
      const { next_actions: expectedActions, ...expectedRest } = expected;
      expect(backwardRest).toEqual(expectedRest);
      expect(backwardActions === undefined ? undefined : [...backwardActions].sort(byJson)).toEqual(
        expectedActions === undefined ? undefined : [...expectedActions].sort(byJson),
      );
      // Forward writes onto the upstream file: none of its lines is lost except those ours replaced.
      const lost = addedLines(forward.text, upstream);
      expect(
        lost.every((line) => /^(snapshot_date|blockers):/.test(line)),
        lost.join('\n'),
      ).toBe(true);
    },
  );
});

describe('reconcileStates on bad input', () => {
  it('rejects conflict markers in any of the three texts, naming which one and the line', async () => {
    const marked = real.replace('revision: 11\n', '<<<<<<< HEAD\nrevision: 11\n=======\nrevision: 12\n>>>>>>> other\n');
    await expect(reconcileStates(real, real, marked, { theirs: '/x/current_state.yaml' })).rejects.toThrow(
      /^\/x\/current_state\.yaml:3:1: git conflict marker/,
    );
    await expect(reconcileStates(real, marked, real)).rejects.toBeInstanceOf(StateParseError);
    await expect(reconcileStates(marked, real, real)).rejects.toThrow(/^base:3:1/);
  });

  it('rejects the invalid history file as ours with its line', async () => {
    const invalid = historyFiles().find((f) => basename(f).startsWith(INVALID_HISTORY_PREFIX))!;
    await expect(reconcileStates(real, readFileSync(invalid, 'utf8'), real)).rejects.toThrow(/^ours:131:/);
  });
});
