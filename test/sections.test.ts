import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collectLeaves, seededRandom } from './support/random-edits.js';
import { StateParseError } from '../src/errors.js';
import { parseStateText, rewriteYaml } from '../src/document/document.js';
import { stateFilePath } from '../src/state/paths.js';
import { withRevision } from '../src/state/revision.js';
import { cutTopLevel, readWholeBySections, writeSections } from '../src/document/sections.js';
import { updateState } from '../src/store/store.js';
import { historyFiles, INVALID_HISTORY_PREFIX, readFixture, tempParacRoot } from './support/fixtures.js';

const real = readFixture('current_state.yaml');

/**
 * The same update as one rewrite of the whole document (parse, rewriteYaml) and through updateState
 * reading only `keys`: byte-identical results.
 */
async function bothWays(text: string, keys: string[], mutate: (data: Record<string, unknown>) => void): Promise<[string, string]> {
  const root = tempParacRoot(null);
  writeFileSync(stateFilePath(root), text);
  await updateState(root, (state) => mutate(state.data), { sections: keys });
  const partial = readFileSync(stateFilePath(root), 'utf8');
  const { data, revision } = parseStateText(text, 'f');
  const after = structuredClone(data);
  mutate(after);
  return [rewriteYaml(text, data, withRevision(after, revision + 1)), partial];
}

describe('cutTopLevel', () => {
  it('cuts the real file into its top-level entries, in order, tiling the text', () => {
    const cut = cutTopLevel(real)!;
    const keys = Object.keys(parseStateText(real, 'f').data);
    expect(cut.sections.map((s) => s.key)).toEqual(keys);
    expect(cut.sections[0]!.start).toBe(cut.headerEnd);
    for (let i = 1; i < cut.sections.length; i += 1) expect(cut.sections[i]!.start).toBe(cut.sections[i - 1]!.end);
    expect(cut.sections.at(-1)!.end).toBe(real.length);
  });

  it("keeps a list written at its key's indentation (PyYAML's style) in that key's entry", () => {
    const text = 'a:\n- x\n- y: 1\n  z: 2\nb: 2\n';
    const cut = cutTopLevel(text)!;
    expect(cut.sections.map((s) => [s.key, text.slice(s.start, s.end)])).toEqual([
      ['a', 'a:\n- x\n- y: 1\n  z: 2\n'],
      ['b', 'b: 2\n'],
    ]);
    expect(readWholeBySections(text, 'f').parsed.data).toEqual(parseStateText(text, 'f').data);
  });

  it.each([
    ['a document marker', '---\na: 1\n'],
    ['a sequence before the first key', '- x\na: 1\n'],
    ['a plain scalar at column 0 that starts with a dash', 'a: x\n-y\nb: 2\n'],
    ['a complex key', '? [a]\n: 1\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['anchors and aliases', 'a: &x 1\nb: *x\n'],
    ['conflict markers', 'a: 1\n<<<<<<< HEAD\nb: 2\n=======\nb: 3\n>>>>>>> o\n'],
    ['a quoted key', '"a": 1\n'],
    ['indented content before the first key', '# head\n  a: 1\nb: 2\n'],
  ])('refuses to cut a file with %s', (_name, text) => {
    expect(cutTopLevel(text)).toBeNull();
  });
});

describe('updateState with sections', () => {
  it('writes exactly what a whole-file update writes, on the real file (changed, new and revision keys)', async () => {
    const [whole, partial] = await bothWays(real, ['snapshot_date', 'repository', 'recent_changes', 'current_phase'], (d) => {
      d.snapshot_date = '2026-11-27';
      (d.repository as Record<string, unknown>).branch = 'main';
      d.recent_changes = [{ area: 'packages', count: 2, files: ['packages/a.py', 'packages/b py.py'] }];
    });
    expect(partial).toBe(whole);
    expect(partial).toContain('revision: 12\n');
  });

  it('adds revision after snapshot_date in a file that had none, and handles a missing final newline', async () => {
    const text = '# head\nversion: "1.0"\nsnapshot_date: "2026-01-01"\nproject:\n  name: x\nrepository:\n  branch: dev';
    const [whole, partial] = await bothWays(text, ['snapshot_date', 'repository'], (d) => {
      (d.repository as Record<string, unknown>).branch = 'main';
      d.recent_changes = [];
    });
    expect(partial).toBe(whole);
    expect(partial).toBe(
      '# head\nversion: "1.0"\nsnapshot_date: "2026-01-01"\nrevision: 1\nproject:\n  name: x\nrepository:\n  branch: main\nrecent_changes: []\n',
    );
  });

  it('falls back to the whole file when it cannot be cut (anchors), with the same result', async () => {
    const text = 'defaults: &d\n  owner: team\nsnapshot_date: "2026-01-01"\nrevision: 3\nphase: *d\n';
    const [whole, partial] = await bothWays(text, ['snapshot_date'], (d) => {
      d.snapshot_date = '2026-02-02';
    });
    expect(partial).toBe(whole);
    expect(partial).toBe(text.replace('2026-01-01', '2026-02-02').replace('revision: 3', 'revision: 4'));
  });

  it('gives the mutate only the entries it asked for, and refuses a change to an entry it did not read', async () => {
    const root = tempParacRoot();
    const before = readFileSync(stateFilePath(root), 'utf8');
    await expect(
      updateState(
        root,
        (state) => {
          expect(Object.keys(state.data).sort()).toEqual(['repository', 'revision', 'snapshot_date']);
          state.data.metrics = {};
        },
        { sections: ['snapshot_date', 'repository'] },
      ),
    ).rejects.toThrow(/metrics was changed but not read/);
    expect(readFileSync(stateFilePath(root), 'utf8')).toBe(before);
  });

  it('refuses a file with indented content before the first key, naming the line, as a whole read does', async () => {
    const root = tempParacRoot(null);
    const text = '# head\n  stray: 1\nsnapshot_date: "2026-01-01"\nrevision: 3\n';
    writeFileSync(stateFilePath(root), text);
    let whole = '';
    try {
      parseStateText(text, stateFilePath(root));
    } catch (error) {
      whole = (error as Error).message;
    }
    expect(whole).toMatch(/current_state\.yaml:\d+:\d+: /);
    await expect(updateState(root, (s) => s.setIn(['snapshot_date'], 'x'), { sections: ['snapshot_date'] })).rejects.toThrow(whole);
    expect(readFileSync(stateFilePath(root), 'utf8')).toBe(text);
  });

  it('still refuses a file with conflict markers, naming the line', async () => {
    const root = tempParacRoot(null);
    const text = 'snapshot_date: "2026-01-01"\n<<<<<<< HEAD\nrevision: 3\n=======\nrevision: 4\n>>>>>>> side\n';
    writeFileSync(stateFilePath(root), text);
    await expect(updateState(root, (s) => s.setIn(['snapshot_date'], 'x'), { sections: ['snapshot_date'] })).rejects.toThrow(
      /current_state\.yaml:2:1: git conflict marker/,
    );
    expect(readFileSync(stateFilePath(root), 'utf8')).toBe(text);
  });
});

describe('whole reads entry by entry (readWholeBySections)', () => {
  const versions = historyFiles()
    .filter((file) => !file.includes(`/${INVALID_HISTORY_PREFIX}`))
    .map((file) => readFileSync(file, 'utf8'));

  it('reads every committed version of the real history as a whole parse does, each after the one before', () => {
    let cutCount = 0;
    for (const text of [...versions, real, real]) {
      const { parsed, cut } = readWholeBySections(text, 'f');
      const whole = parseStateText(text, 'f');
      expect(parsed.data).toEqual(whole.data);
      expect(Object.keys(parsed.data)).toEqual(Object.keys(whole.data));
      expect(parsed.revision).toBe(whole.revision);
      if (cut !== null) cutCount += 1;
    }
    // Not a vacuous pass: the versions are cut, and the reads after the first find known entries.
    expect(cutCount).toBe(versions.length + 2);
  });

  it('shares the values of unchanged entries between reads, frozen so no reader can change them for the next', () => {
    const first = readWholeBySections(real, 'f').parsed.data;
    const edited = real.replace(/^snapshot_date: .*$/m, 'snapshot_date: "2031-01-01"');
    const second = readWholeBySections(edited, 'f').parsed.data;
    expect(second.snapshot_date).toBe('2031-01-01');
    expect(second.current_phase).toBe(first.current_phase);
    expect(Object.isFrozen(second.current_phase)).toBe(true);
    expect(() => {
      (second.current_phase as Record<string, unknown>).id = 'changed';
    }).toThrow(TypeError);
  });

  it('names the real line and column of a broken entry, even when the entries before it are known', () => {
    readWholeBySections(real, 'f');
    const lines = real.split('\n');
    const at = lines.findIndex((line) => line.startsWith('metrics:'));
    lines.splice(at + 1, 0, '  broken: [unclosed');
    const broken = lines.join('\n');
    let error: unknown;
    try {
      readWholeBySections(broken, 'state.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StateParseError);
    expect((error as StateParseError).line).toBeGreaterThanOrEqual(at + 2);
    let wholeError: unknown;
    try {
      parseStateText(broken, 'state.yaml');
    } catch (caught) {
      wholeError = caught;
    }
    expect((error as StateParseError).message).toBe((wholeError as StateParseError).message);
  });

  it.each([
    ['the first line ends in CRLF, the edited entry in LF', '# head\r\na: 1\nb:\n  x: 1\n'],
    ["the first list is at its key's column, the edited one is not", 'a:\n- 1\nb:\n  x:\n    - 1\n'],
  ])("writes an entry in the whole file's style when %s", (_name, text) => {
    const { parsed, cut } = readWholeBySections(text, 'f');
    const after = structuredClone(parsed.data) as Record<string, any>;
    after.b.y = ['new', { z: 2 }];
    expect(writeSections(text, cut!, parsed.data, after)).toBe(rewriteYaml(text, parseStateText(text, 'f').data, after));
  });

  it('reads as a whole parse does when something precedes the first key besides comments', () => {
    const text = '  indented: 1\nkey: 2\n';
    expect(() => parseStateText(text, 'f')).toThrow(StateParseError);
    expect(() => readWholeBySections(text, 'f')).toThrow(StateParseError);
  });

  it.each([
    ['the real file', real],
    ["a version with lists at their key's indentation (PyYAML's style)", versions.find((v) => /^- id: risk_1$/m.test(v))!],
  ])('writes back byte for byte what a whole rewrite writes, over random edits of %s (new and removed keys too)', (_name, start) => {
    const random = seededRandom(7);
    let text = start;
    let spliced = 0;
    for (let round = 0; round < 60; round += 1) {
      const { parsed, cut } = readWholeBySections(text, 'f');
      const whole = parseStateText(text, 'f');
      expect(parsed.data).toEqual(whole.data);
      const after = structuredClone(whole.data) as Record<string, any>;
      const keys = Object.keys(after);
      const leaves = collectLeaves(after);
      for (let k = 0; k < 2; k += 1) {
        const [holder, key] = leaves[Math.floor(random() * leaves.length)]!;
        const choice = random();
        if (choice < 0.5) holder[key] = `value ${round}-${k}`;
        else if (Array.isArray(holder)) holder.splice(Number(key), 0, `inserted ${round}`);
        else holder[`new_key_${round}_${k}`] = { nested: [round] };
      }
      const top = random();
      if (top < 0.15 && keys.length > 3) delete after[keys[1 + Math.floor(random() * (keys.length - 1))]!];
      else if (top < 0.3) after[`top_${round}`] = ['added', round];
      const expected = rewriteYaml(text, whole.data, after);
      const got = cut === null ? null : writeSections(text, cut, parsed.data, after);
      if (got !== null) {
        spliced += 1;
        expect(got).toBe(expected);
      }
      text = expected;
    }
    expect(spliced).toBeGreaterThan(50);
  });
});
