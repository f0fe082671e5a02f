import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { stateFilePath } from '../src/state/paths.js';
import { cutTopLevel } from '../src/document/sections.js';
import { updateState } from '../src/store/store.js';
import { readFixture, tempParacRoot } from './support/fixtures.js';

const real = readFixture('current_state.yaml');

/** The same update through a whole-file read and through a read of only `keys`: byte-identical results. */
async function bothWays(text: string, keys: string[], mutate: (data: Record<string, unknown>) => void): Promise<[string, string]> {
  const results: string[] = [];
  for (const sections of [undefined, keys]) {
    const root = tempParacRoot(null);
    writeFileSync(stateFilePath(root), text);
    await updateState(root, (state) => mutate(state.data), { sections });
    results.push(readFileSync(stateFilePath(root), 'utf8'));
  }
  return [results[0]!, results[1]!];
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

  it.each([
    ['a document marker', '---\na: 1\n'],
    ['a sequence at column 0', 'a:\n- x\nb: 2\n'],
    ['a complex key', '? [a]\n: 1\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['anchors and aliases', 'a: &x 1\nb: *x\n'],
    ['conflict markers', 'a: 1\n<<<<<<< HEAD\nb: 2\n=======\nb: 3\n>>>>>>> o\n'],
    ['a quoted key', '"a": 1\n'],
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
