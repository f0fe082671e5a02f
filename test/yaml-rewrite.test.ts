import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { collectLeaves, seededRandom } from './support/random-edits.js';
import { parse } from 'yaml';
import { parseStateText, rewriteYaml } from '../src/document/document.js';
import { alignSequences } from '../src/document/yaml-rewrite.js';
import { addedLines, changedLines, historyFiles, INVALID_HISTORY_PREFIX, readFixture } from './support/fixtures.js';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const real = readFixture('current_state.yaml');

function edit(text: string, change: (data: any) => void): { out: string; after: unknown } {
  const { data } = parseStateText(text, 'state.yaml');
  const after = structuredClone(data);
  change(after);
  const out = rewriteYaml(text, data, after);
  expect(parse(out)).toEqual(after);
  return { out, after };
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').indexOf(needle) + 1;
}

describe('rewriteYaml on the real state file', () => {
  it('reproduces the file byte for byte when nothing changed', () => {
    const { data } = parseStateText(real, 'state.yaml');
    expect(rewriteYaml(real, data, structuredClone(data))).toBe(real);
  });

  it('a progress update changes only the progress, snapshot_date and revision lines', () => {
    const { out } = edit(real, (d) => {
      d.current_phase.progress = '75%';
      d.snapshot_date = '2026-11-27';
      d.revision = 12;
    });
    expect(changedLines(real, out)).toEqual([2, 3, lineOf(real, '  progress: 0%')]);
    expect(out.split('\n')[lineOf(real, '  progress: 0%') - 1]).toBe('  progress: 75%');
    expect(out.split('\n')[1]).toBe('snapshot_date: "2026-11-27"');
    expect(out).toContain('  # Note: 🎉 ADR-022 IMPLEMENTED');
  });

  it("creates a missing list under current_phase in the file's own style and keeps everything else", () => {
    const { out } = edit(real, (d) => {
      d.current_phase.completed = ['item one', 'yes'];
    });
    expect(addedLines(real, out).sort()).toEqual(['  completed:', '    - item one', '    - "yes"'].sort());
    expect(out.replace('  completed:\n    - item one\n    - "yes"\n', '')).toBe(real);
  });

  it('turns an empty flow list into a block list when a blocker is added', () => {
    const { out } = edit(real, (d) => {
      d.blockers.push({ id: 'blocker_1', description: 'Waiting: review', severity: 'high', added: '2026-11-27' });
    });
    expect(out).toContain(
      'blockers:\n  - id: blocker_1\n    description: "Waiting: review"\n    severity: high\n    added: "2026-11-27"\nnext_actions:\n',
    );
    expect(changedLines(real, out)[0]).toBe(lineOf(real, 'blockers: []'));
  });

  it('quotes strings that would otherwise read back as numbers, booleans or null', () => {
    const { out } = edit(real, (d) => {
      d.metrics.open_prs = '12';
      d.metrics.open_issues = 'true';
      d.metrics.documentation_files = '';
      d.current_phase.name = 'null';
    });
    expect(out).toContain('  open_prs: "12"\n');
    expect(out).toContain('  open_issues: "true"\n');
    expect(out).toContain('  documentation_files: ""\n');
    expect(out).toContain('  name: "null"\n');
  });

  it('keeps block and folded scalars and their siblings when a neighbour changes', () => {
    const { out } = edit(real, (d) => {
      d.strategic_direction.focus = 'Changed focus';
    });
    expect(changedLines(real, out)).toEqual([lineOf(real, '  focus: MCP Full Coverage - COMPLETE ✅')]);
  });

  it('rewrites a block scalar in its own style', () => {
    const { out } = edit(real, (d) => {
      d.strategic_direction.rationale = 'Line one\nLine two\n';
    });
    expect(out).toContain('  rationale: |\n    Line one\n    Line two\n  phases:');
  });

  it('removes, prepends and edits list items without touching other items', () => {
    const { data } = parseStateText(real, 'state.yaml');
    const actions = data.completed_actions as string[];
    const { out } = edit(real, (d) => {
      d.completed_actions.shift();
      d.completed_actions.unshift('A new first action');
      d.completed_actions[3] = 'Edited fourth';
      d.completed_actions.splice(6, 1);
    });
    const block = out.slice(out.indexOf('completed_actions:'), out.indexOf('\nmetrics:'));
    expect(block.split('\n').slice(0, 3)).toEqual(['completed_actions:', '  - A new first action', `  - ${actions[1]}`]);
    expect(block).toContain('  - Edited fourth\n');
    expect(block).not.toContain(`  - ${actions[6]}\n`);
  });

  it('deletes the first key of a nested mapping and keeps the indentation right', () => {
    const { out } = edit(real, (d) => {
      delete d.project.name;
      delete d.metrics.code_coverage;
    });
    expect(out).toContain('project:\n  version: 1.0.1\n');
    expect(out).toContain('metrics:\n  documentation_coverage: 100%\n');
  });

  it('appends at the end of a file that has no final newline', () => {
    const text = 'a: 1\nlist:\n  - x';
    const { out } = edit(text, (d) => {
      d.list.push('z');
      d.b = 2;
    });
    expect(out).toBe('a: 1\nlist:\n  - x\n  - z\nb: 2\n');
  });

  it('keeps comments next to the values it edits', () => {
    const text = '# head\na: 1 # one\n# before b\nb:\n  - x # ex\n  # tail of b\nc: {d: 1}\n';
    const { out } = edit(text, (d) => {
      d.a = 2;
      d.b.push('z');
      d.c.e = 2;
    });
    expect(out).toBe('# head\na: 2 # one\n# before b\nb:\n  - x # ex\n  # tail of b\n  - z\nc: { d: 1, e: 2 }\n');
  });

  it('edits a file that uses anchors and aliases (checked as a whole, since sections share anchors)', () => {
    const text = 'defaults: &d\n  owner: team\nphase_a:\n  <<: *d\n  progress: 1%\nphase_b: *d\n';
    const { out } = edit(text, (d) => {
      d.phase_a.progress = '2%';
    });
    expect(out).toBe(text.replace('1%', '2%'));
  });

  it('edits the template whose project name is a flow mapping with a mapping key', () => {
    const text = readFixture('template-lite-current_state.yaml');
    const { out } = edit(text, (d) => {
      d.current_phase.progress = '20%';
      d.in_progress.push('Second step');
    });
    expect(out).toContain('  name: { { PROJECT_NAME } }\n');
    expect(addedLines(text, out)).toEqual(['  progress: 20%', '  - Second step']);
    expect(addedLines(out, text)).toEqual(['  progress: 10%']);
  });

  it('moves each committed version of the history onto the previous one, keeping unchanged sections verbatim', () => {
    const versions = historyFiles()
      .filter((f) => !basename(f).startsWith(INVALID_HISTORY_PREFIX))
      .map((f) => parseStateText(readFileSync(f, 'utf8'), f));
    expect(versions.length).toBeGreaterThanOrEqual(18);
    for (let i = 1; i < versions.length; i += 1) {
      const prev = versions[i - 1]!;
      const next = versions[i]!;
      const out = rewriteYaml(prev.text, prev.data, next.data);
      expect(isDeepStrictEqual(parse(out), next.data)).toBe(true);
      // Every top-level section that did not change is copied through verbatim.
      for (const key of Object.keys(next.data)) {
        if (!isDeepStrictEqual(prev.data[key], next.data[key])) continue;
        const section = topLevelSection(prev.text, key);
        expect(out.includes(section), `version ${i + 1}: section ${key}`).toBe(true);
      }
    }
  });

  it('survives many random edits of the real file, each reading back exactly and keeping every comment', () => {
    const random = seededRandom(42);
    const comments = real.split('\n').filter((l) => l.trim().startsWith('#'));
    let text = real;
    for (let round = 0; round < 60; round += 1) {
      const { data } = parseStateText(text, 'state.yaml');
      const after = structuredClone(data) as any;
      const leaves = collectLeaves(after);
      for (let k = 0; k < 3; k += 1) {
        const [holder, key] = leaves[Math.floor(random() * leaves.length)]!;
        const choice = random();
        if (choice < 0.4) holder[key] = `value ${round}-${k}: ${random() < 0.5 ? '#tag' : 'plain'}`;
        else if (choice < 0.6) holder[key] = Math.floor(random() * 1000);
        else if (choice < 0.8 && Array.isArray(holder)) holder.splice(Number(key), 0, `inserted ${round}`);
        else if (!Array.isArray(holder)) holder[`new_key_${round}_${k}`] = ['a', { b: round }];
      }
      text = rewriteYaml(text, data, after);
      expect(parse(text)).toEqual(after);
    }
    for (const comment of comments) expect(text).toContain(comment);
  });
});

describe('alignSequences', () => {
  it('keeps equal items, pairs replaced ones as changes, and inserts or deletes the rest', () => {
    expect(alignSequences(['a', 'b', 'c'], ['a', 'x', 'c', 'd'])).toEqual([
      { op: 'keep', from: 0, to: 0 },
      { op: 'change', from: 1, to: 1 },
      { op: 'keep', from: 2, to: 2 },
      { op: 'insert', to: 3 },
    ]);
    expect(alignSequences(['a', 'b'], ['b'])).toEqual([
      { op: 'delete', from: 0 },
      { op: 'keep', from: 1, to: 0 },
    ]);
  });
});

function topLevelSection(text: string, key: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${key}:`));
  let end = start + 1;
  while (end < lines.length && (lines[end] === '' || /^[\s#-]/.test(lines[end]!))) end += 1;
  // Blank and comment lines at column 0 before the next key belong to that key.
  while (end > start + 1 && (lines[end - 1] === '' || lines[end - 1]!.startsWith('#'))) end -= 1;
  return lines.slice(start, end).join('\n');
}
