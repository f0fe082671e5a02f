import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadState, saveState, updateState } from '../src/store/store.js';
import { stateFilePath } from '../src/state/paths.js';
import { readFixture, tempParacRoot } from './support/fixtures.js';
import { CLI } from './support/git-repo.js';
import { findPython, pyYamlRead } from './support/python.js';

/**
 * Issue 11, point 6: a state file with CRLF line endings (written on Windows, or checked out with
 * core.autocrlf) keeps them on every line a save writes, new or changed, and a byte-order mark stays.
 */

const BIN = CLI;
const BOM = '\uFEFF';
const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');
const real = readFixture('current_state.yaml');
const made: string[] = [];
afterAll(() => {
  for (const root of made) rmSync(dirname(root), { recursive: true, force: true });
});

function rootWith(text: string): string {
  const root = tempParacRoot(null);
  made.push(root);
  writeFileSync(stateFilePath(root), text);
  return root;
}

/** Line numbers (1-based) of line breaks that are a bare LF. */
function bareLineFeeds(text: string): number[] {
  const lines: number[] = [];
  text.split('\n').forEach((line, i, all) => {
    if (i < all.length - 1 && !line.endsWith('\r')) lines.push(i + 1);
  });
  return lines;
}

/** Every edit the store can make in one save: scalars, new keys, new and removed list items, a block scalar, a new blocker. */
async function editEverything(root: string): Promise<void> {
  await updateState(root, (state) => {
    state.updateProgress(42);
    state.addCompleted('crlf_item_one');
    state.addInProgress('crlf_item_two');
    state.setIn(['repository', 'branch'], 'feature/crlf');
    state.setIn(['strategic_direction', 'rationale'], 'First line\nSecond line\n');
    state.setIn(['new_section'], { list: ['a', 'yes'], text: 'two\nlines' });
    state.addBlocker('Waiting: CRLF review', 'high');
    const actions = state.getIn(['next_actions']) as unknown[];
    actions.splice(0, 1);
  });
}

describe('CRLF and byte-order mark', () => {
  it('every line a save writes into a CRLF file ends with CRLF, and only the edited lines change', async () => {
    const text = crlf(real);
    const root = rootWith(text);
    await editEverything(root);
    const out = readFileSync(stateFilePath(root), 'utf8');
    expect(bareLineFeeds(out)).toEqual([]);
    const data = parse(out) as any;
    expect(data.current_phase.progress).toBe('42%');
    expect(data.current_phase.completed).toContain('crlf_item_one');
    expect(data.strategic_direction.rationale).toBe('First line\nSecond line\n');
    expect(data.new_section).toEqual({ list: ['a', 'yes'], text: 'two\nlines' });
    expect(data.blockers).toHaveLength(1);
    // The same edit on the LF original, turned into CRLF afterwards, is byte for byte what the CRLF save wrote.
    const lfRoot = rootWith(real);
    await editEverything(lfRoot);
    expect(out).toBe(crlf(readFileSync(stateFilePath(lfRoot), 'utf8')));
  });

  it('a partial (hook) update of a CRLF file writes CRLF too', async () => {
    const root = rootWith(crlf(real));
    await updateState(
      root,
      (state) => {
        state.setIn(['repository', 'branch'], 'hook-branch');
        state.setIn(['recent_changes'], [{ area: 'packages', count: 2, files: ['a.py', 'b.py'] }]);
      },
      { sections: ['repository', 'recent_changes', 'snapshot_date'] },
    );
    const out = readFileSync(stateFilePath(root), 'utf8');
    expect(bareLineFeeds(out)).toEqual([]);
    expect((parse(out) as any).recent_changes).toEqual([{ area: 'packages', count: 2, files: ['a.py', 'b.py'] }]);
  });

  it('a byte-order mark stays at the start, in an LF and in a CRLF file', async () => {
    for (const text of [BOM + real, BOM + crlf(real)]) {
      const root = rootWith(text);
      const state = (await loadState(root))!;
      state.addCompleted('after_bom');
      await saveState(state, root);
      const out = readFileSync(stateFilePath(root), 'utf8');
      expect(out.startsWith(`${BOM}version: "1.17"`)).toBe(true);
      expect(out.indexOf(BOM, 1)).toBe(-1);
      if (text.includes('\r\n')) expect(bareLineFeeds(out)).toEqual([]);
      else expect(out).not.toContain('\r');
      expect((parse(out) as any).current_phase.completed).toEqual(['after_bom']);
    }
  });

  it('the CLI keeps CRLF and the BOM, and PyYAML reads the result (when installed)', async () => {
    const root = rootWith(BOM + crlf(real));
    const run = spawnSync(process.execPath, [BIN, '--root', root, 'session', 'end', '--complete', 'from_cli', '--progress', '10'], {
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const out = readFileSync(stateFilePath(root), 'utf8');
    expect(out.startsWith(BOM)).toBe(true);
    expect(bareLineFeeds(out)).toEqual([]);
    if (findPython() !== null) {
      const read = await pyYamlRead(stateFilePath(root));
      expect(read.ok).toBe(true);
    }
  });
});
