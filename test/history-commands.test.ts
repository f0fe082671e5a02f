import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { replayState, stateAt } from '../src/history/history.js';
import { readAuditLog } from '../src/log/audit-log.js';
import { readRevisionHighWater } from '../src/log/revision-high-water.js';
import { isSnapshot, isTrailEntry, type TrailEntry } from '../src/log/trail.js';
import { ParacState } from '../src/state/model.js';
import { auditLogPath, stateFilePath } from '../src/state/paths.js';
import { loadState, saveState, updateState } from '../src/store/store.js';
import { tempDir, tempParacRoot } from './support/fixtures.js';
import { CLI, runNode } from './support/git-repo.js';

async function paracle(args: string[], cwd: string) {
  return runNode([CLI, ...args], cwd, { NO_COLOR: '1' });
}

function fileData(root: string): Record<string, unknown> {
  const file = stateFilePath(root);
  return parseStateText(readFileSync(file, 'utf8'), file).data;
}

async function trail(root: string): Promise<TrailEntry[]> {
  return (await readAuditLog(root)).entries.filter(isTrailEntry);
}

function logLines(root: string): string[] {
  return readFileSync(auditLogPath(root), 'utf8').split('\n').filter(Boolean);
}

describe('paracle revert', () => {
  it('undoes one revision and leaves later changes alone; a value changed since is exit 4 with nothing written', async () => {
    const root = tempParacRoot();
    const dir = resolve(root, '..');
    await updateState(root, (s) => s.updateProgress(20));
    const blockerRevision = (
      await updateState(root, (s) => {
        s.addBlocker('waiting on review', 'high');
      })
    ).revision;
    const progressRevision = (await updateState(root, (s) => s.updateProgress(30))).revision;
    await updateState(root, (s) => s.addCompleted('later-item'));
    await updateState(root, (s) => s.setIn(['metrics', 'later'], { a: 1 }));

    const dry = await paracle(['revert', String(blockerRevision), '--dry-run'], dir);
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toBe(`paracle: reverting revision ${blockerRevision} would change blockers\n`);

    const before = fileData(root);
    const run = await paracle(['revert', String(blockerRevision)], dir);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const after = fileData(root);
    const revertRevision = after.revision as number;
    expect(run.stdout).toBe(`paracle: revision ${revertRevision} reverts revision ${blockerRevision}: blockers\n`);
    expect(after.blockers).toEqual(fileData(root).blockers);
    expect((after.blockers as Array<{ description: string }>).some((b) => b.description === 'waiting on review')).toBe(false);
    // Everything else as it was, later changes included.
    expect({ ...after, blockers: null, revision: null }).toEqual({ ...before, blockers: null, revision: null });
    expect((after.current_phase as { completed: string[] }).completed).toContain('later-item');
    const entry = (await trail(root)).at(-1)!;
    expect(entry).toMatchObject({ change_type: 'revert', reverted_revision: blockerRevision, revision: revertRevision });

    // Progress changed again since revision `progressRevision`: that revert is refused, nothing written.
    await updateState(root, (s) => s.updateProgress(35));
    const text = readFileSync(stateFilePath(root), 'utf8');
    const log = readFileSync(auditLogPath(root), 'utf8');
    const refused = await paracle(['revert', String(progressRevision)], dir);
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toBe(
      `paracle: ${stateFilePath(root)}: cannot revert revision ${progressRevision}: later revisions changed the same values since (current_phase.progress is now "35%"); nothing was written\n`,
    );
    expect(readFileSync(stateFilePath(root), 'utf8')).toBe(text);
    expect(readFileSync(auditLogPath(root), 'utf8')).toBe(log);

    // The revert replays like any save.
    expect((await paracle(['replay', '--check'], dir)).exitCode).toBe(0);
    // A revert is itself revertable: the blocker comes back.
    expect((await paracle(['revert', String(revertRevision)], dir)).exitCode).toBe(0);
    expect((fileData(root).blockers as Array<{ description: string }>).some((b) => b.description === 'waiting on review')).toBe(true);
  }, 60_000);
});

describe('paracle show / history errors and the trail start', () => {
  it('a revision the trail cannot rebuild is one clear line and exit 1; older entries without patches are kept and shown', async () => {
    const root = tempParacRoot();
    const dir = resolve(root, '..');
    // A log from before the trail: entries without patches, which `paracle log` keeps showing.
    mkdirSync(dirname(auditLogPath(root)), { recursive: true });
    const legacy = {
      timestamp: '2026-01-05T10:00:00.000+00:00',
      process_id: 7,
      change_type: 'progress',
      description: 'old entry',
      revision: 11,
    };
    writeFileSync(auditLogPath(root), `${JSON.stringify(legacy)}\n`);
    expect((await paracle(['replay', '--check'], dir)).stdout).toContain('holds no trail yet');
    const none = await paracle(['show'], dir);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toBe(
      'paracle: cannot rebuild the latest revision from the audit trail: the audit log holds no trail (no entry with a snapshot or a patch)\n',
    );

    await updateState(root, (s) => s.updateProgress(5));
    const entries = (await readAuditLog(root)).entries;
    expect(entries[0]).toEqual(legacy);
    // The first save with a trail is its own snapshot: the trail starts at revision 12.
    expect(entries.slice(1).map((e) => [e.change_type, e.revision, isTrailEntry(e) && isSnapshot(e)])).toEqual([['progress', 12, true]]);
    const log = await paracle(['log', '--json'], dir);
    expect(JSON.parse(log.stdout).map((e: { description: string }) => e.description)).toContain('old entry');
    const missing = await paracle(['show', '--revision', '3'], dir);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe(
      'paracle: cannot rebuild revision 3 from the audit trail: revision 3 is not in the trail (it holds revisions 12 to 12; numbers may skip)\n',
    );

    // A lost entry breaks the chain from there on, and says so.
    await updateState(root, (s) => s.updateProgress(6));
    await updateState(root, (s) => s.updateProgress(7));
    const lines = logLines(root);
    writeFileSync(auditLogPath(root), `${lines.filter((line) => !line.includes('"revision":13')).join('\n')}\n`);
    const broken = await paracle(['show', '--revision', '14'], dir);
    expect(broken.stderr).toBe(
      'paracle: cannot rebuild revision 14 from the audit trail: revision 14 is a change on revision 13, but the trail before it ends at revision 12 (an entry is missing)\n',
    );
    const check = await paracle(['replay', '--check', '--json'], dir);
    expect(check.exitCode).toBe(1);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: false, gap: expect.stringContaining('an entry is missing') });
  }, 60_000);

  it('a tampered line is found by replay --check, naming the key', async () => {
    const root = tempParacRoot();
    const dir = resolve(root, '..');
    await updateState(root, (s) => s.updateProgress(60));
    await updateState(root, (s) => s.updateProgress(61));
    const log = readFileSync(auditLogPath(root), 'utf8');
    writeFileSync(auditLogPath(root), log.replace('"value":"61%"', '"value":"16%"'));
    const check = await paracle(['replay', '--check'], dir);
    expect(check.exitCode).toBe(1);
    expect(check.stderr).toContain('\n  current_phase.progress\n');
    // The file is what the last save wrote, so verify knows the log, not the file, is wrong.
    const verify = await paracle(['verify'], dir);
    expect(verify.exitCode).toBe(1);
    expect(verify.stderr).toContain(
      'current_state.yaml: is what revision 13 wrote, but the audit trail rebuilds it differently at current_phase.progress: a log entry was lost, altered or reordered',
    );
  });

  it('init writes the first snapshot; history follows a key through saves and a removal', async () => {
    const dir = tempDir('paracle-history-init-');
    expect((await paracle(['init', '--name', 'demo'], dir)).exitCode).toBe(0);
    const root = resolve(dir, '.parac');
    const [init] = await trail(root);
    expect(init).toMatchObject({ change_type: 'init', revision: 0 });
    expect(isSnapshot(init!)).toBe(true);
    await updateState(root, (s) => s.setIn(['metrics', 'coverage'], 80));
    await updateState(root, (s) => s.setIn(['metrics', 'coverage'], 85));
    await updateState(root, (s) => {
      s.deleteIn(['metrics', 'coverage']);
    });
    const history = await paracle(['history', 'metrics.coverage'], dir);
    expect(history.exitCode).toBe(0);
    const rows = history.stdout.split('\n').filter((line) => line.startsWith('  ') && line.includes('→'));
    expect(rows).toEqual(['  85 → (absent)', '  80 → 85', '  (absent) → 80']);
    expect(history.stdout).toContain('Removed metrics.coverage');
    expect((await paracle(['history', 'metrics', '--limit', '1', '--json'], dir)).stdout).toContain('"revision": 3');
    expect((await stateAt(root, 0)).data).toMatchObject({ revision: 0, metrics: {}, project: { name: 'demo' } });
    expect((await stateAt(root, 2)).data.metrics).toEqual({ coverage: 85 });
    expect(Object.hasOwn((await stateAt(root, 3)).data.metrics as object, 'coverage')).toBe(false);
  }, 60_000);
});

describe('log prune keeps what replay needs', () => {
  it('the last dropped revision becomes a snapshot; later revisions still show; the next save continues the trail', async () => {
    const root = tempParacRoot();
    const dir = resolve(root, '..');
    for (const percent of [10, 20, 30, 40, 50]) await updateState(root, (s) => s.updateProgress(percent));
    // The first four saves are 40 days old.
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString().replace('Z', '+00:00');
    const lines = logLines(root).map((line, i) => (i < 4 ? line.replace(/"timestamp":"[^"]+"/, `"timestamp":"${old}"`) : line));
    writeFileSync(auditLogPath(root), `${lines.join('\n')}\n`);
    const revisions = (await trail(root)).map((e) => e.revision);
    expect(revisions).toEqual([12, 13, 14, 15, 16]);

    const prune = await paracle(['log', 'prune', '--keep-days', '30', '--json'], dir);
    expect(prune.exitCode).toBe(0);
    expect(JSON.parse(prune.stdout)).toEqual({ success: true, removed: 4, keep_days: 30, snapshot_revision: 16, dropped: null });
    // The first entry kept now holds its revision's data too (its patch stays, for history).
    const kept = await trail(root);
    expect(kept.map((e) => [e.change_type, e.revision, isSnapshot(e), Array.isArray(e.patch)])).toEqual([['progress', 16, true, true]]);
    expect(((await stateAt(root, 16)).data.current_phase as { progress: string }).progress).toBe('50%');
    expect((await paracle(['replay', '--check'], dir)).exitCode).toBe(0);
    expect((await paracle(['show', '--revision', '15'], dir)).exitCode).toBe(1);
    await updateState(root, (s) => s.updateProgress(60));
    expect((await trail(root)).filter(isSnapshot)).toHaveLength(1);
    expect((await paracle(['replay', '--check'], dir)).exitCode).toBe(0);
    // Pruning again changes nothing more.
    expect(JSON.parse((await paracle(['log', 'prune', '--keep-days', '30', '--json'], dir)).stdout)).toMatchObject({ removed: 0 });

    // Everything older: the latest revision is kept as the snapshot the next save continues from.
    const all = logLines(root).map((line) => line.replace(/"timestamp":"[^"]+"/, `"timestamp":"${old}"`));
    writeFileSync(auditLogPath(root), `${all.join('\n')}\n`);
    const text = await paracle(['log', 'prune', '--keep-days', '30'], dir);
    expect(text.stdout).toBe('paracle: removed 1 entry older than 30 days; the history now starts at a snapshot of revision 17\n');
    await updateState(root, (s) => s.updateProgress(70));
    expect((await trail(root)).map((e) => [e.change_type, e.revision, isSnapshot(e)])).toEqual([
      ['progress', 17, true],
      ['progress', 18, false],
    ]);
    expect((await paracle(['replay', '--check'], dir)).exitCode).toBe(0);
  }, 60_000);
});

describe('the trail in the store', () => {
  it('the high-water mark is found past a snapshot line longer than the tail it reads', async () => {
    const root = tempParacRoot();
    await updateState(root, (s) => s.updateProgress(10));
    const [snapshot] = logLines(root);
    expect(Buffer.byteLength(snapshot!)).toBeGreaterThan(16 * 1024);
    writeFileSync(auditLogPath(root), `${snapshot}\n`);
    expect(await readRevisionHighWater(root)).toBe(12);
  });

  it('a formatting-only hand edit (a comment) is no revision of its own; the next save continues the trail', async () => {
    const root = tempParacRoot();
    await updateState(root, (s) => s.updateProgress(10));
    writeFileSync(stateFilePath(root), `# a comment added by hand\n${readFileSync(stateFilePath(root), 'utf8')}`);
    await updateState(root, (s) => s.updateProgress(11));
    expect((await trail(root)).map((e) => [e.change_type, e.revision])).toEqual([
      ['progress', 12],
      ['progress', 13],
    ]);
    expect(readFileSync(stateFilePath(root), 'utf8').startsWith('# a comment added by hand\n')).toBe(true);
    expect((await replayState(root)).ok).toBe(true);
  });

  it('a new file saved for the first time is its own snapshot', async () => {
    const root = tempParacRoot(null);
    const state = new ParacState({ text: '', revision: 0, data: {} });
    state.setIn(['project', 'name'], 'fresh');
    await saveState(state, root);
    const [entry] = await trail(root);
    expect(entry).toMatchObject({ revision: 1, data: { revision: 1, project: { name: 'fresh' } } });
    expect((await loadState(root))!.revision).toBe(1);
  });
});

describe('ParacState.deleteIn and setIn(path, undefined)', () => {
  it('deleteIn removes a key or a list item and records it; setIn(path, undefined) is a TypeError pointing at deleteIn', async () => {
    const root = tempParacRoot();
    await updateState(root, (s) => s.updateProgress(1)); // the trail's first snapshot
    const state = (await loadState(root))!;
    expect(() => state.setIn(['metrics', 'x'], undefined)).toThrow(
      new TypeError('setIn(metrics.x, undefined): a state file cannot hold undefined; use deleteIn to remove the key'),
    );
    expect(state.changes).toEqual([]);
    expect(state.deleteIn('no.such.key')).toBe(false);
    const firstAction = state.nextActions[0];
    expect(state.deleteIn(['next_actions', 0])).toBe(true);
    expect(state.deleteIn('current_phase.planned_duration')).toBe(true);
    expect(state.changes.map((c) => c.description)).toEqual(['Removed next_actions.0', 'Removed current_phase.planned_duration']);
    await saveState(state, root);
    const data = fileData(root);
    expect(Object.hasOwn(data.current_phase as object, 'planned_duration')).toBe(false);
    expect((data.next_actions as string[])[0]).not.toBe(firstAction);
    const patch = (await trail(root)).at(-1)!.patch!;
    expect(patch).toEqual(
      expect.arrayContaining([
        { op: 'remove', path: '/current_phase/planned_duration' },
        expect.objectContaining({ path: expect.stringMatching(/^\/next_actions\//) }),
      ]),
    );
  });
});
