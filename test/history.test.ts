import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseStateText } from '../src/document/document.js';
import { keyHistory, replayState, revertRevision, stateAt } from '../src/history/history.js';
import { readAuditLog } from '../src/log/audit-log.js';
import { isSnapshot, isTrailEntry, type TrailEntry } from '../src/log/trail.js';
import { auditLogPath, stateFilePath } from '../src/state/paths.js';
import { loadState, saveState, updateState, updateWithRetry } from '../src/store/store.js';
import { startChild } from './support/children.js';
import { FIXTURES, tempDir, tempParacRoot } from './support/fixtures.js';
import { CLI, runNode } from './support/git-repo.js';

/** The data a revision wrote, as the file held it: the test's copy to compare `show` with. */
type Copies = Map<number, Record<string, unknown>>;

function fileData(root: string): { revision: number; data: Record<string, unknown> } {
  const file = stateFilePath(root);
  const parsed = parseStateText(readFileSync(file, 'utf8'), file);
  return { revision: parsed.revision, data: parsed.data };
}

function keep(root: string, copies: Copies): number {
  const { revision, data } = fileData(root);
  copies.set(revision, data);
  return revision;
}

async function trail(root: string): Promise<TrailEntry[]> {
  return (await readAuditLog(root)).entries.filter(isTrailEntry);
}

async function paracle(args: string[], cwd: string) {
  return runNode([CLI, ...args], cwd, { NO_COLOR: '1' });
}

/** Log lines (bytes) of the revisions written by plain saves: the trail's growth per save. */
function lineSizes(root: string): Array<{ entry: Record<string, unknown>; bytes: number }> {
  return readFileSync(auditLogPath(root), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ entry: JSON.parse(line) as Record<string, unknown>, bytes: Buffer.byteLength(line) + 1 }));
}

describe('history: every revision of the real file rebuilt from the trail', () => {
  it('a long mixed sequence, racing processes, a hand edit and a replaced file: every revision shown as written, replay --check, history, revert', async () => {
    const root = tempParacRoot();
    const dir = resolve(root, '..');
    const copies: Copies = new Map();

    // 1. Saves of every kind, one process. The first starts the trail: its entry is a snapshot.
    await updateState(root, (s) => s.updateProgress(41));
    const first = keep(root, copies);
    expect(first).toBe(12);
    await updateState(root, (s) => s.addCompleted('history-item-a'));
    keep(root, copies);
    await updateState(root, (s) => s.addInProgress('history-item-b'));
    keep(root, copies);
    await updateState(root, (s) => {
      s.addBlocker('waiting for the history review', 'high');
    });
    keep(root, copies);
    await updateState(root, (s) => s.setIn(['metrics', 'history_test', 'nested', 'depth'], 3));
    keep(root, copies);
    await updateState(root, (s) => s.setIn(['metrics', 'history_test', 'other'], ['x', 'y']));
    keep(root, copies);
    await updateState(root, (s) => {
      expect(s.deleteIn(['metrics', 'history_test', 'nested'])).toBe(true);
    });
    keep(root, copies);
    // Items removed from a list, a whole top-level key removed and added back.
    await updateState(root, (s) => {
      const list = s.getIn(['current_phase', 'in_progress']) as unknown[];
      list.splice(0, 1);
      s.deleteIn(['repository']);
    });
    keep(root, copies);
    // A partial (sections) save, as the hooks make.
    await updateState(root, (s) => s.updateProgress(44), { sections: ['current_phase', 'snapshot_date'] });
    const progressRevision = keep(root, copies);
    // A stale save, reconciled with one made since.
    const stale = (await loadState(root))!;
    await updateState(root, (s) => s.addCompleted('history-item-c'));
    keep(root, copies);
    stale.setIn(['metrics', 'history_test', 'stale'], true);
    await saveState(stale, root, { onConflict: 'reconcile' });
    keep(root, copies);
    await updateWithRetry(root, (s) => s.addCompleted('history-item-d'));
    keep(root, copies);

    // 2. Processes racing: every save of every kind, each child keeping a copy of what it wrote.
    const racedCopies = join(tempDir('paracle-history-copies-'), 'copies');
    mkdirSync(racedCopies);
    const racers = ['r1', 'r2', 'r3'].map((name) => startChild('state-history-racer.mjs', [root, racedCopies, name, '9']));
    await Promise.all(racers.map((racer) => racer.succeed(120_000)));
    const raced = readdirSync(racedCopies);
    expect(raced).toHaveLength(27);
    for (const name of raced) copies.set(Number(name.replace('.json', '')), JSON.parse(readFileSync(join(racedCopies, name), 'utf8')));
    const afterRace = fileData(root).revision;

    // 3. A hand edit between saves (the revision line untouched, as people do), then a save.
    const file = stateFilePath(root);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('  progress: 44%');
    writeFileSync(file, `${text.replace('  progress: 44%', '  progress: 47%')}# edited by hand\n`);
    const handEdited = fileData(root).data;
    expect((await replayState(root)).differing).toEqual(['current_phase.progress']);
    const failed = await paracle(['replay', '--check'], dir);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('current_phase.progress');
    // verify leaves a change not recorded yet to the next save (git merges and checkouts make them all the time).
    expect((await paracle(['verify'], dir)).exitCode).toBe(0);
    await updateState(root, (s) => s.addCompleted('history-item-e'));
    // The edit left `revision:` as it was: it is logged at the number of the save that found it, before it.
    const handEditRevision = keep(root, copies);
    expect(handEditRevision).toBe(afterRace + 1);

    // 4. The whole file replaced by another valid state (a checkout or merge; this one has no revision), then a save.
    writeFileSync(file, readFileSync(join(FIXTURES, 'history', '10-2026-01-06-80ec537.yaml')));
    const replaced = fileData(root).data;
    await updateState(root, (s) => s.updateProgress(12));
    const afterReplace = keep(root, copies);
    // And replaced by a state another clone wrote at a higher revision: that revision is its own, showable.
    const other = readFileSync(file, 'utf8')
      .replace(/^revision: \d+$/m, 'revision: 500')
      .replace('  progress: 12%', '  progress: 13%');
    writeFileSync(file, other);
    copies.set(500, fileData(root).data);
    await updateState(root, (s) => s.addCompleted('history-item-f'));
    const last = keep(root, copies);
    expect(last).toBe(501);

    // Every revision shown exactly as it was written.
    expect(copies.size).toBe(43);
    for (const [revision, data] of copies) {
      const shown = await stateAt(root, revision);
      expect(shown.revision).toBe(revision);
      expect(shown.data, `revision ${revision}`).toEqual(data);
    }
    // The CLI too, both ways, for the first and a raced revision.
    const racedRevision = Number(raced[0]!.replace('.json', ''));
    const json = await paracle(['show', '--revision', String(racedRevision), '--json'], dir);
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ revision: racedRevision, data: copies.get(racedRevision) });
    const yaml = await paracle(['show', '--revision', String(first)], dir);
    expect(yaml.exitCode).toBe(0);
    expect(parse(yaml.stdout)).toEqual(copies.get(first));
    expect(parse((await paracle(['show'], dir)).stdout)).toEqual(copies.get(last));

    // replay --check agrees with the file.
    const check = await paracle(['replay', '--check'], dir);
    expect(check.stderr).toBe('');
    expect(check.exitCode).toBe(0);
    expect(check.stdout).toBe(`paracle: revision ${last} rebuilt from the audit trail matches the state file\n`);
    expect((await paracle(['verify'], dir)).exitCode).toBe(0);

    // Snapshots only where the trail could not otherwise continue: the first save, the hand edit, the replaced files.
    const entries = await trail(root);
    const snapshots = entries.filter(isSnapshot);
    expect(snapshots.map((e) => [e.change_type, e.revision])).toEqual([
      ['progress', first],
      ['external_edit', handEditRevision],
      ['external_edit', afterReplace],
      ['external_edit', 500],
    ]);
    expect(snapshots[1]!.patch).toEqual([{ op: 'replace', path: '/current_phase/progress', value: '47%' }]);
    expect(snapshots[1]!.data).toEqual(handEdited);
    expect(snapshots[2]!.data).toEqual(replaced);
    // One trail entry per revision, plus one for each change found outside paracle; every raced revision among them.
    expect(entries.length).toBe(copies.size + 2);
    expect(new Set(entries.map((e) => e.revision)).size).toBe(copies.size);
    expect(afterRace).toBeGreaterThan(progressRevision);

    // The hand edit in history, with the saves around it.
    const progress = await keyHistory(root, 'current_phase.progress');
    expect(progress.map((c) => [c.revision, c.before, c.after])).toEqual(
      expect.arrayContaining([
        [handEditRevision, '44%', '47%'],
        [progressRevision, '41%', '44%'],
      ]),
    );
    const handRow = progress.find((c) => c.revision === handEditRevision)!;
    expect(handRow.change_type).toBe('external_edit');
    const cliHistory = await paracle(['history', 'current_phase.progress', '--limit', '3', '--json'], dir);
    expect(JSON.parse(cliHistory.stdout)).toHaveLength(3);
    expect(JSON.parse(cliHistory.stdout).map((c: { revision: number }) => c.revision)).toEqual([500, afterReplace, afterReplace]);

    // Sizes: a plain save adds under 2 KB.
    const plain = lineSizes(root).filter(({ entry }) => Array.isArray(entry.patch) && entry.data === undefined);
    expect(plain.length).toBe(copies.size - 2);
    expect(Math.max(...plain.map((p) => p.bytes))).toBeLessThan(2048);

    // Revert of one revision, a later one left alone: 500 (the other clone's) set the progress, 501 added an item.
    const beforeRevert = fileData(root);
    const reverted = await revertRevision(root, 500);
    expect(reverted.keys).toEqual(['current_phase.progress']);
    const now = fileData(root);
    expect(now.revision).toBe(502);
    const phase = now.data.current_phase as { progress: string; completed: string[] };
    expect(phase.progress).toBe('12%');
    expect(phase.completed).toContain('history-item-f');
    expect({ ...now.data, revision: 0, current_phase: { ...phase, progress: '13%' } }).toEqual({ ...beforeRevert.data, revision: 0 });
    expect((await replayState(root)).ok).toBe(true);
    expect((await stateAt(root, 502)).data).toEqual(now.data);
  }, 180_000);
});
