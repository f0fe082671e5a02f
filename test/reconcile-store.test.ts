import { readFileSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateConflictError } from '../src/errors.js';
import { readAuditLog } from '../src/log/audit-log.js';
import { parseStateText } from '../src/document/document.js';
import { stateFilePath } from '../src/state/paths.js';
import { loadState, saveState } from '../src/store/store.js';
import { addedLines, tempParacRoot } from './support/fixtures.js';

/** saveState(…, { onConflict: 'reconcile' }) on real files in a temp dir, through the real lock. */

describe('saveState with onConflict: reconcile', () => {
  it('merges a stale save into the newer file, writes the next revision and logs a reconcile entry', async () => {
    const root = tempParacRoot();
    const file = stateFilePath(root);
    const slow = (await loadState(root))!;
    const hook = (await loadState(root))!;
    hook.addCompleted('from-the-hook');
    expect(await saveState(hook, root)).toBe(12);
    const afterHook = readFileSync(file, 'utf8');

    slow.setIn(['repository', 'branch'], 'main');
    slow.addCompleted('from-the-slow-run');
    expect(await saveState(slow, root, { onConflict: 'reconcile' })).toBe(13);

    const text = readFileSync(file, 'utf8');
    const data = parseStateText(text, file).data as any;
    expect(data.revision).toBe(13);
    expect(data.current_phase.completed).toEqual(['from-the-hook', 'from-the-slow-run']);
    expect(data.repository.branch).toBe('main');
    expect(addedLines(text, afterHook).sort()).toEqual(['  branch: develop', 'revision: 12'].sort());
    // The state object now stands for what was written.
    expect(slow.revision).toBe(13);
    expect(slow.source).toBe(text);

    const { entries } = await readAuditLog(root);
    const reconcile = entries.filter((e) => e.change_type === 'reconcile');
    expect(reconcile).toHaveLength(1);
    expect(reconcile[0]).toMatchObject({
      revision: 13,
      loaded_revision: 11,
      merged_revision: 12,
      keys: expect.arrayContaining(['repository.branch', 'current_phase.completed']),
      overrides: [],
    });
    expect(
      entries
        .filter((e) => e.revision === 13)
        .map((e) => e.change_type)
        .sort(),
    ).toEqual(['completed', 'reconcile', 'update']);
    // Besides the state file only the Python tooling's lock file, left in place as filelock leaves it (issue 11).
    expect(readdirSync(dirname(file)).sort()).toEqual(['current_state.yaml', 'current_state.yaml.lock']);
  });

  it('logs an override with both values when both changed the same value', async () => {
    const root = tempParacRoot();
    const slow = (await loadState(root))!;
    const other = (await loadState(root))!;
    other.updateProgress(30);
    await saveState(other, root);
    slow.updateProgress(80);
    expect(await saveState(slow, root, { onConflict: 'reconcile' })).toBe(13);
    expect((await loadState(root))!.currentPhase.progress).toBe('80%');
    const { entries } = await readAuditLog(root);
    const reconcile = entries.find((e) => e.change_type === 'reconcile')!;
    expect(reconcile.overrides).toEqual([{ path: 'current_phase.progress', ours: '80%', theirs: '30%', chosen: '80%' }]);
    expect(reconcile.description).toContain('current_phase.progress');
    // Every revision written is in the log.
    expect([...new Set(entries.map((e) => e.revision))].sort()).toEqual([12, 13]);
  });

  it('still throws by default, and writes nothing', async () => {
    const root = tempParacRoot();
    const slow = (await loadState(root))!;
    const other = (await loadState(root))!;
    other.addCompleted('x');
    await saveState(other, root);
    const before = readFileSync(stateFilePath(root), 'utf8');
    slow.addCompleted('y');
    await expect(saveState(slow, root)).rejects.toBeInstanceOf(StateConflictError);
    await expect(saveState(slow, root, { onConflict: 'throw' })).rejects.toThrow(/expected revision=11, got revision=12/);
    expect(readFileSync(stateFilePath(root), 'utf8')).toBe(before);
  });

  it('refuses to merge into a corrupt file and leaves it as it is', async () => {
    const root = tempParacRoot();
    const slow = (await loadState(root))!;
    const { writeFileSync } = await import('node:fs');
    const broken = readFileSync(stateFilePath(root), 'utf8').replace('revision: 11\n', '<<<<<<< HEAD\nrevision: 11\n');
    writeFileSync(stateFilePath(root), broken);
    slow.addCompleted('y');
    await expect(saveState(slow, root, { onConflict: 'reconcile' })).rejects.toThrow(/current_state\.yaml:3:1: git conflict marker/);
    expect(readFileSync(stateFilePath(root), 'utf8')).toBe(broken);
  });
});

describe('saveState with onConflict: reconcile when the file is gone', () => {
  it('does not recreate a removed state file from a partial merge', async () => {
    const root = tempParacRoot();
    const slow = (await loadState(root))!;
    const { rmSync, existsSync } = await import('node:fs');
    rmSync(stateFilePath(root));
    slow.addCompleted('y');
    await expect(saveState(slow, root, { onConflict: 'reconcile' })).rejects.toThrow(/removed since it was loaded/);
    expect(existsSync(stateFilePath(root))).toBe(false);
  });
});
