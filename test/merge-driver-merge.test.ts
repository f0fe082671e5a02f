import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateParseError } from '../src/errors.js';
import { mergeStateTexts } from '../src/merge-driver/merge-state-texts.js';
import { runMergeDriver } from '../src/merge-driver/run-merge-driver.js';
import { parseStateText, rewriteYaml } from '../src/document/document.js';
import { conflictBlocks as blocks, resolveConflicts as resolve } from './support/conflict-blocks.js';
import { HISTORY, INVALID_HISTORY_PREFIX, historyFiles, readFixture, tempDir } from './support/fixtures.js';

/**
 * The driver's merge on the real state file, in process: what goes into %A for clean merges,
 * true conflicts (markers around that key only), the checkout snapshot, and input that cannot be
 * merged key by key. The same merges through a real `git merge` are in merge-driver.test.ts.
 */

const REAL = readFixture('current_state.yaml');

function edit(text: string, mutate: (data: Record<string, any>) => void): string {
  const parsed = parseStateText(text, 'fixture');
  const after = structuredClone(parsed.data) as Record<string, any>;
  mutate(after);
  return rewriteYaml(text, parsed.data, after);
}

function data(text: string): Record<string, any> {
  return parseStateText(text, 'merged').data as Record<string, any>;
}

describe('mergeStateTexts: clean merges', () => {
  it('disjoint edits on both sides all survive; revision = max + 1; the later snapshot_date; comments kept', async () => {
    const current = edit(REAL, (d) => {
      d.revision = 12;
      d.snapshot_date = '2026-01-11';
      d.current_phase.progress = '20%';
      d.blockers = [{ id: 'blocker_1', description: 'ours', severity: 'high' }];
    });
    const other = edit(REAL, (d) => {
      d.revision = 14;
      d.snapshot_date = '2026-01-12';
      d.next_actions.push('from theirs');
      d.blockers = [{ id: 'blocker_2', description: 'theirs', severity: 'low' }];
      d.metrics.new_metric = 3;
    });
    const result = await mergeStateTexts({ base: REAL, current, other });
    expect(result.conflicts).toEqual([]);
    expect(result.revision).toEqual({ current: 12, other: 14, merged: 15 });
    const merged = data(result.text);
    expect(merged.revision).toBe(15);
    expect(merged.snapshot_date).toBe('2026-01-12');
    expect(merged.current_phase.progress).toBe('20%');
    expect(merged.next_actions.at(-1)).toBe('from theirs');
    expect(merged.metrics.new_metric).toBe(3);
    expect(merged.blockers.map((b: { id: string }) => b.id).sort()).toEqual(['blocker_1', 'blocker_2']);
    // The real file's one comment, and every line neither side touched, are still there.
    const comment = REAL.split('\n').find((line) => line.trim().startsWith('#'))!;
    expect(result.text).toContain(comment);
    expect(result.text.split('\n').length).toBeGreaterThan(REAL.split('\n').length);
  });

  it('the same merge whichever branch it is run on, byte for byte', async () => {
    const a = edit(REAL, (d) => {
      d.revision = 12;
      d.current_phase.status = 'review';
    });
    const b = edit(REAL, (d) => {
      d.revision = 12;
      d.next_actions.push('ship it');
    });
    const ab = await mergeStateTexts({ base: REAL, current: a, other: b });
    const ba = await mergeStateTexts({ base: REAL, current: b, other: a });
    expect(ab.conflicts).toEqual([]);
    expect(ab.text).toBe(ba.text);
    expect(data(ab.text).revision).toBe(13);
  });

  it('the side that changed more keeps its text; the smaller side’s edits are rendered into it', async () => {
    const files = historyFiles().filter((f) => !f.includes(`/${INVALID_HISTORY_PREFIX}`));
    const older = readFileSync(files.find((f) => f.includes('/17-'))!, 'utf8');
    const newer = readFileSync(files.find((f) => f.includes('/18-'))!, 'utf8');
    const local = edit(older, (d) => {
      d.local_note = 'added on a branch';
    });
    for (const [current, other] of [
      [local, newer],
      [newer, local],
    ] as const) {
      const result = await mergeStateTexts({ base: older, current, other });
      expect(result.conflicts).toEqual([]);
      // Everything the newer file says, in its own words (folded scalars and all), plus the local key.
      const lines = result.text.split('\n');
      const newerLines = newer.split('\n').filter((line) => !line.startsWith('revision:'));
      expect(newerLines.filter((line) => !lines.includes(line))).toEqual([]);
      expect(data(result.text).local_note).toBe('added on a branch');
    }
  });

  it('repository (the hooks’ snapshot of the checkout) is never a conflict: the current branch’s is kept', async () => {
    const ours = edit(REAL, (d) => {
      d.repository.branch = 'feature';
      d.repository.last_commit = 'aaaaaaa ours';
    });
    const theirs = edit(REAL, (d) => {
      d.repository.branch = 'main';
      d.repository.last_commit = 'bbbbbbb theirs';
      d.next_actions.push('more from theirs, so theirs keeps its text');
      d.next_actions.push('and more');
    });
    for (const [current, other, branch] of [
      [ours, theirs, 'feature'],
      [theirs, ours, 'main'],
    ] as const) {
      const result = await mergeStateTexts({ base: REAL, current, other });
      expect(result.conflicts).toEqual([]);
      expect(data(result.text).repository.branch).toBe(branch);
      expect(result.text).not.toContain('<<<<<<<');
    }
  });
});

describe('mergeStateTexts: true conflicts', () => {
  it('a scalar both sides set differently: markers around that key only, ours first; the rest merged', async () => {
    const current = edit(REAL, (d) => {
      d.revision = 12;
      d.current_phase.progress = '40%';
      d.next_actions.push('ours');
    });
    const other = edit(REAL, (d) => {
      d.revision = 13;
      d.current_phase.progress = '60%';
      d.metrics.theirs_only = true;
    });
    const result = await mergeStateTexts({ base: REAL, current, other, path: '.parac/memory/context/current_state.yaml' });
    expect(result.conflicts).toHaveLength(1);
    expect(result.conflicts[0]!.keys).toEqual(['current_phase.progress']);
    expect(blocks(result.text)).toEqual([
      ['<<<<<<< ours (current_phase.progress)', '  progress: 40%', '=======', '  progress: 60%', '>>>>>>> theirs (current_phase.progress)'],
    ]);
    // Picking either side gives a valid state with that value and everything else merged.
    for (const [side, progress] of [
      ['ours', '40%'],
      ['theirs', '60%'],
    ] as const) {
      const resolved = data(resolve(result.text, side));
      expect(resolved.current_phase.progress).toBe(progress);
      expect(resolved.revision).toBe(14);
      expect(resolved.next_actions.at(-1)).toBe('ours');
      expect(resolved.metrics.theirs_only).toBe(true);
    }
  });

  it('the marker size git asks for (%L) is used', async () => {
    const current = edit(REAL, (d) => void (d.current_phase.status = 'a'));
    const other = edit(REAL, (d) => void (d.current_phase.status = 'b'));
    const result = await mergeStateTexts({ base: REAL, current, other, markerSize: 9 });
    expect(result.text).toContain('\n<<<<<<<<< ours (current_phase.status)\n');
    expect(result.text).toContain('\n=========\n');
    expect(result.text).toContain('\n>>>>>>>>> theirs (current_phase.status)\n');
  });

  it('a multi-line value shows whole on both sides, from its key line', async () => {
    const withText = (value: string) =>
      edit(REAL, (d) => {
        d.strategic_direction.rationale = value;
      });
    const ours = withText('first line\nsecond line, ours\nthird line\n');
    const theirs = withText('first line\nsecond line, theirs\nthird line\n');
    const result = await mergeStateTexts({ base: REAL, current: ours, other: theirs });
    const [block] = blocks(result.text);
    expect(block![0]).toBe('<<<<<<< ours (strategic_direction.rationale)');
    expect(block![1]!.trimStart().startsWith('rationale:')).toBe(true);
    const middle = block!.indexOf('=======');
    expect(block![middle + 1]!.trimStart().startsWith('rationale:')).toBe(true);
    expect(block!.join('\n')).toContain('first line');
    expect(block!.join('\n')).toContain('third line');
    expect(data(resolve(result.text, 'theirs')).strategic_direction.rationale).toBe('first line\nsecond line, theirs\nthird line\n');
  });

  it('a blocker edited differently on both sides while another was added: only that field is in conflict', async () => {
    const base = edit(REAL, (d) => {
      d.blockers = [
        { id: 'blocker_1', description: 'flaky CI', severity: 'medium' },
        { id: 'blocker_2', description: 'docs', severity: 'low' },
      ];
    });
    const current = edit(base, (d) => {
      d.blockers[0].severity = 'high';
      d.blockers.push({ id: 'blocker_3', description: 'ours', severity: 'low' });
    });
    const other = edit(base, (d) => {
      d.blockers.unshift({ id: 'blocker_9', description: 'theirs, first', severity: 'low' });
      d.blockers[1].severity = 'critical';
    });
    const result = await mergeStateTexts({ base, current, other });
    const found = blocks(result.text);
    expect(found).toHaveLength(1);
    expect(found[0]![0]).toMatch(/^<<<<<<< ours \(blockers\[\d\]\.severity\)$/);
    expect(found[0]!.filter((line) => line.includes('severity:')).map((l) => l.trim())).toEqual(['severity: high', 'severity: critical']);
    for (const [side, severity] of [
      ['ours', 'high'],
      ['theirs', 'critical'],
    ] as const) {
      const blockers = data(resolve(result.text, side)).blockers as Array<{ id: string; severity: string }>;
      expect(blockers.map((b) => b.id).sort()).toEqual(['blocker_1', 'blocker_2', 'blocker_3', 'blocker_9']);
      expect(blockers.find((b) => b.id === 'blocker_1')!.severity).toBe(severity);
    }
  });

  it('a blocker edited on one side and removed on the other: the edited one against nothing', async () => {
    const base = edit(REAL, (d) => {
      d.blockers = [
        { id: 'blocker_1', description: 'flaky CI', severity: 'medium' },
        { id: 'blocker_2', description: 'docs', severity: 'low' },
      ];
    });
    const current = edit(base, (d) => void (d.blockers[0].severity = 'high'));
    const other = edit(base, (d) => void d.blockers.shift());
    for (const [a, b, keep] of [
      [current, other, 'ours'],
      [other, current, 'theirs'],
    ] as const) {
      const result = await mergeStateTexts({ base, current: a, other: b });
      expect(blocks(result.text)).toHaveLength(1);
      const kept = data(resolve(result.text, keep)).blockers as Array<{ id: string; severity: string }>;
      expect(kept).toEqual([
        { id: 'blocker_1', description: 'flaky CI', severity: 'high' },
        { id: 'blocker_2', description: 'docs', severity: 'low' },
      ]);
      const dropped = data(resolve(result.text, keep === 'ours' ? 'theirs' : 'ours')).blockers;
      expect(dropped).toEqual([{ id: 'blocker_2', description: 'docs', severity: 'low' }]);
    }
  });

  it('several conflicts: one block each, nothing else between markers', async () => {
    const current = edit(REAL, (d) => {
      d.version = '2.0-ours';
      d.current_phase.status = 'ours';
      d.repository.url = 'https://example.invalid/ours';
    });
    const other = edit(REAL, (d) => {
      d.version = '2.0-theirs';
      d.current_phase.status = 'theirs';
    });
    const result = await mergeStateTexts({ base: REAL, current, other });
    expect(result.conflicts.map((c) => c.keys)).toEqual([['version'], ['current_phase.status']]);
    const all = blocks(result.text);
    expect(all.map((b) => b.length)).toEqual([5, 5]);
    expect(data(resolve(result.text, 'theirs')).repository.url).toBe('https://example.invalid/ours');
  });
});

describe('mergeStateTexts: comments', () => {
  /** `text` with `comment` written on the line above the top-level `key`. */
  const commentAbove = (text: string, key: string, comment: string) => {
    const at = text.search(new RegExp(`^${key}:`, 'm'));
    return `${text.slice(0, at)}${comment}\n${text.slice(at)}`;
  };
  const lineBefore = (text: string, line: string) => {
    const lines = text.split('\n');
    return lines[lines.indexOf(line) - 1];
  };

  it('each side added a comment above a different key: both kept above their keys, whichever side changed more', async () => {
    const a = commentAbove(
      edit(REAL, (d) => {
        d.revision = 12;
        d.current_phase.progress = '40%';
      }),
      'blockers',
      '# Blockers: waiting on legal',
    );
    const b = commentAbove(
      edit(REAL, (d) => {
        d.revision = 13;
        d.next_actions.push('one', 'two', 'three', 'four');
        d.metrics.extra = 1;
      }),
      'risks',
      '# Risks are reviewed weekly',
    );
    const ab = await mergeStateTexts({ base: REAL, current: a, other: b });
    const ba = await mergeStateTexts({ base: REAL, current: b, other: a });
    for (const result of [ab, ba]) {
      expect(result.conflicts).toEqual([]);
      expect(lineBefore(result.text, 'blockers: []')).toBe('# Blockers: waiting on legal');
      expect(lineBefore(result.text, 'risks:')).toBe('# Risks are reviewed weekly');
      const merged = data(result.text);
      expect(merged.current_phase.progress).toBe('40%');
      expect(merged.next_actions.slice(-4)).toEqual(['one', 'two', 'three', 'four']);
      expect(merged.revision).toBe(14);
    }
    expect(ab.text).toBe(ba.text);
  });

  it('a comment inside an entry the other side changed more: the comment and both sides’ values kept', async () => {
    const small = edit(REAL, (d) => void (d.revision = 12)).replace('  progress: ', '  # measured by closed tasks\n  progress: ');
    const large = edit(REAL, (d) => {
      d.revision = 12;
      d.current_phase.status = 'review';
      d.current_phase.focus_areas = ['one', 'two', 'three'];
      d.next_actions.push('one', 'two', 'three');
    });
    expect(data(small).current_phase).toEqual(data(REAL).current_phase);
    for (const [current, other] of [
      [small, large],
      [large, small],
    ] as const) {
      const result = await mergeStateTexts({ base: REAL, current, other });
      expect(result.conflicts).toEqual([]);
      expect(result.text).toContain('  # measured by closed tasks\n  progress: ');
      expect(data(result.text).current_phase).toEqual(data(large).current_phase);
    }
  });

  it('the same comment added on both sides is kept once; a comment the smaller side added at the end of the file is kept', async () => {
    const large = commentAbove(
      edit(REAL, (d) => {
        d.version = '2.0';
        d.next_actions.push('x', 'y', 'z');
      }),
      'blockers',
      '# see the tracker',
    );
    const small = `${commentAbove(REAL, 'blockers', '# see the tracker')}# end of state\n`;
    for (const [current, other] of [
      [large, small],
      [small, large],
    ] as const) {
      const result = await mergeStateTexts({ base: REAL, current, other });
      expect(result.conflicts).toEqual([]);
      expect(result.text.split('# see the tracker')).toHaveLength(2);
      expect(result.text.endsWith('# end of state\n')).toBe(true);
      expect(data(result.text)).toMatchObject({ version: '2.0' });
    }
  });

  it('both sides wrote a different comment above the same key: a conflict around that entry, either side resolves it', async () => {
    const a = commentAbove(
      edit(REAL, (d) => {
        d.blockers = [{ id: 'blocker_1', description: 'legal', severity: 'high' }];
      }),
      'blockers',
      '# ours: ask legal first',
    );
    const b = commentAbove(
      edit(REAL, (d) => {
        d.next_actions.push('from theirs');
      }),
      'blockers',
      '# theirs: nothing blocks us',
    );
    const result = await mergeStateTexts({ base: REAL, current: a, other: b });
    expect(result.conflicts.map((c) => c.keys)).toEqual([['comments of blockers']]);
    expect(blocks(result.text)).toEqual([
      [
        '<<<<<<< ours (comments of blockers)',
        '# ours: ask legal first',
        'blockers:',
        '  - id: blocker_1',
        '    description: legal',
        '    severity: high',
        '=======',
        '# theirs: nothing blocks us',
        'blockers:',
        '  - id: blocker_1',
        '    description: legal',
        '    severity: high',
        '>>>>>>> theirs (comments of blockers)',
      ],
    ]);
    for (const side of ['ours', 'theirs'] as const) {
      const resolved = resolve(result.text, side);
      expect(resolved).toContain(side === 'ours' ? '# ours: ask legal first\nblockers:' : '# theirs: nothing blocks us\nblockers:');
      expect(data(resolved).blockers).toEqual([{ id: 'blocker_1', description: 'legal', severity: 'high' }]);
      expect(data(resolved).next_actions.at(-1)).toBe('from theirs');
    }
  });

  it('a comment clash and a value clash in one entry: one block, each side as it wrote it', async () => {
    const a = commentAbove(
      edit(REAL, (d) => void (d.current_phase.progress = '40%')),
      'current_phase',
      '# ours',
    );
    const b = commentAbove(
      edit(REAL, (d) => void (d.current_phase.progress = '60%')),
      'current_phase',
      '# theirs',
    );
    const result = await mergeStateTexts({ base: REAL, current: a, other: b });
    expect(result.conflicts.map((c) => c.keys)).toEqual([['comments of current_phase', 'current_phase.progress']]);
    expect(data(resolve(result.text, 'ours')).current_phase.progress).toBe('40%');
    expect(data(resolve(result.text, 'theirs')).current_phase.progress).toBe('60%');
    expect(resolve(result.text, 'theirs')).toContain('# theirs\ncurrent_phase:');
  });
});

describe('mergeStateTexts: a virtual merge base (two merge bases merged, criss-cross history)', () => {
  it('where the bases clash (a value, comments) their own ancestor’s stays; no markers; the rest merged; revision the larger', async () => {
    const a = edit(REAL, (d) => {
      d.revision = 12;
      d.current_phase.progress = '40%';
      d.next_actions.push('from a');
    }).replace('\nblockers: []\n', '\n# a: ask legal\nblockers: []\n');
    const b = edit(REAL, (d) => {
      d.revision = 13;
      d.current_phase.progress = '60%';
      d.metrics.from_b = 1;
    }).replace('\nblockers: []\n', '\n# b: nothing blocks us\nblockers: []\n');
    for (const [current, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const result = await mergeStateTexts({ base: REAL, current, other, virtualBase: true });
      expect(result.conflicts).toEqual([]);
      expect(result.text).not.toMatch(/^<{7}/m);
      expect(result.text).not.toContain('# a: ask legal');
      expect(result.text).not.toContain('# b: nothing blocks us');
      const merged = data(result.text);
      expect(merged.current_phase.progress).toBe(data(REAL).current_phase.progress);
      expect(merged.next_actions.at(-1)).toBe('from a');
      expect(merged.metrics.from_b).toBe(1);
      expect(merged.revision).toBe(13);
    }
  });
});

describe('mergeStateTexts: input that cannot be merged key by key', () => {
  it('a side that is not valid YAML (the real history has one) is refused with its position', async () => {
    const invalid = readFileSync(join(HISTORY, '05-2026-01-05-6243e89.yaml'), 'utf8');
    const previous = readFileSync(join(HISTORY, '04-2025-12-31-d42dc9e.yaml'), 'utf8');
    await expect(mergeStateTexts({ base: previous, current: previous, other: invalid, path: 'state.yaml' })).rejects.toThrow(
      /state\.yaml \(theirs\):131:\d+: /,
    );
    await expect(mergeStateTexts({ base: previous, current: invalid, other: previous })).rejects.toBeInstanceOf(StateParseError);
  });

  it('the driver then writes git’s line merge into %A and reports a conflict', async () => {
    const dir = tempDir('paracle-driver-');
    const invalid = readFileSync(join(HISTORY, '05-2026-01-05-6243e89.yaml'), 'utf8');
    const previous = readFileSync(join(HISTORY, '04-2025-12-31-d42dc9e.yaml'), 'utf8');
    const ours = previous.replace(/^snapshot_date: .*$/m, 'snapshot_date: "2099-01-01"');
    const theirs = invalid.replace(/^snapshot_date: .*$/m, 'snapshot_date: "2099-02-02"');
    const files = { base: join(dir, 'O'), current: join(dir, 'A'), other: join(dir, 'B') };
    writeFileSync(files.base, previous);
    writeFileSync(files.current, ours);
    writeFileSync(files.other, theirs);
    const outcome = await runMergeDriver(files, { path: 'state.yaml', cwd: dir });
    expect(outcome).toMatchObject({ kind: 'text-merge', path: 'state.yaml' });
    expect(outcome.kind === 'text-merge' && outcome.reason).toMatch(/state\.yaml \(theirs\):131/);
    const written = readFileSync(files.current, 'utf8');
    // git's own line merge (whole-line hunks, both sides' lines), labelled as the driver's fallback.
    const top = written.split('\n').indexOf('<<<<<<< ours (line merge)');
    const middle = written.split('\n').indexOf('=======');
    const bottom = written.split('\n').indexOf('>>>>>>> theirs (line merge)');
    expect(top).toBeGreaterThanOrEqual(0);
    expect(written.split('\n').slice(top, middle)).toContain('snapshot_date: "2099-01-01"');
    expect(written.split('\n').slice(middle, bottom)).toContain('snapshot_date: "2099-02-02"');
    expect(readFileSync(files.other, 'utf8')).toBe(theirs);
    expect(readFileSync(files.base, 'utf8')).toBe(previous);
  });

  it('the driver writes nothing but %A', async () => {
    const dir = mkdtempSync(join(tempDir('paracle-driver-'), 'x'));
    const files = { base: join(dir, 'O'), current: join(dir, 'A'), other: join(dir, 'B') };
    writeFileSync(files.base, REAL);
    writeFileSync(
      files.current,
      edit(REAL, (d) => void (d.current_phase.status = 'x')),
    );
    writeFileSync(
      files.other,
      edit(REAL, (d) => void d.next_actions.push('y')),
    );
    const { readdirSync } = await import('node:fs');
    const outcome = await runMergeDriver(files, { cwd: dir });
    expect(outcome.kind).toBe('merged');
    expect(readdirSync(dir).sort()).toEqual(['A', 'B', 'O']);
    expect(data(readFileSync(files.current, 'utf8')).next_actions.at(-1)).toBe('y');
  });
});
