import { type ChildProcess, execFile } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { StateConflictError, StateParseError } from '../src/errors.js';
import { clearLock, readLockStatus } from '../src/lock/lock.js';
import { readAuditLog } from '../src/log/audit-log.js';
import { parseStateText } from '../src/document/document.js';
import { stateFilePath } from '../src/state/paths.js';
import { loadState, saveState, updateState, updateWithRetry } from '../src/store/store.js';
import { localDate } from '../src/state/model.js';
import { holdStateLock } from './support/children.js';
import { changedLines, readFixture, tempParacRoot } from './support/fixtures.js';

const run = promisify(execFile);
const CHILDREN = join(import.meta.dirname, 'children');

function stateText(root: string): string {
  return readFileSync(stateFilePath(root), 'utf8');
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').indexOf(needle) + 1;
}

describe('store: load and save on the real file', () => {
  it('updateProgress(75) + save changes only the progress, snapshot_date and revision lines', async () => {
    const root = tempParacRoot();
    const before = stateText(root);
    const state = (await loadState(root))!;
    expect(state.revision).toBe(11);
    state.updateProgress(75);
    expect(state.revision).toBe(11);
    expect(await saveState(state, root)).toBe(12);
    expect(state.revision).toBe(12);
    const after = stateText(root);
    expect(changedLines(before, after)).toEqual([2, 3, lineOf(before, '  progress: 0%')]);
    expect(after.split('\n').slice(1, 3)).toEqual([`snapshot_date: "${localDate()}"`, 'revision: 12']);

    const { entries } = await readAuditLog(root);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      change_type: 'progress',
      old_value: '0%',
      new_value: '75%',
      revision: 12,
      process_id: process.pid,
    });
  });

  it('returns null only when the file does not exist', async () => {
    const root = tempParacRoot(null);
    expect(await loadState(root)).toBeNull();
  });

  it('a second save of the same object goes on from the revision it wrote', async () => {
    const root = tempParacRoot();
    const state = (await loadState(root))!;
    state.addCompleted('one');
    await saveState(state, root);
    state.addCompleted('two');
    expect(await saveState(state, root)).toBe(13);
    expect((await loadState(root))!.currentPhase.completed).toEqual(['one', 'two']);
  });

  it('adds revision to a file that had none, after snapshot_date, starting from 0', async () => {
    const root = tempParacRoot(null);
    writeFileSync(stateFilePath(root), '# mine\nversion: "1.0"\nsnapshot_date: "2026-01-01"\nproject:\n  name: demo\n');
    const state = (await loadState(root))!;
    expect(state.revision).toBe(0);
    state.setIn('project.version', '0.1.0');
    expect(await saveState(state, root)).toBe(1);
    expect(stateText(root)).toBe(
      '# mine\nversion: "1.0"\nsnapshot_date: "2026-01-01"\nrevision: 1\nproject:\n  name: demo\n  version: 0.1.0\n',
    );
  });

  it('rejects a stale save with the revisions and the way out, leaving the file as the other writer left it', async () => {
    const root = tempParacRoot();
    const stale = (await loadState(root))!;
    const fresh = (await loadState(root))!;
    fresh.updateProgress(10);
    await saveState(fresh, root);
    const written = stateText(root);

    stale.updateProgress(90);
    const error = await saveState(stale, root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateConflictError);
    expect((error as StateConflictError).code).toBe('STATE_CONFLICT');
    expect((error as Error).message).toContain('expected revision=11, got revision=12');
    expect((error as Error).message).toMatch(/reload the state and retry/i);
    expect(stale.revision).toBe(11);
    expect(stateText(root)).toBe(written);
  });

  it('treats a hand edit that kept the revision as a conflict too', async () => {
    const root = tempParacRoot();
    const state = (await loadState(root))!;
    writeFileSync(stateFilePath(root), stateText(root).replace('open_prs: 0', 'open_prs: 3'));
    state.updateProgress(20);
    await expect(saveState(state, root)).rejects.toThrow(/expected revision=11, got revision=11.*edited/);
  });

  it('checkConflict: false writes over the other change, on top of the file as it is now', async () => {
    const root = tempParacRoot();
    const stale = (await loadState(root))!;
    const fresh = (await loadState(root))!;
    fresh.setIn('metrics.open_prs', 5);
    await saveState(fresh, root);

    stale.updateProgress(50);
    expect(await saveState(stale, root, { checkConflict: false })).toBe(13);
    const now = (await loadState(root))!;
    expect(now.currentPhase.progress).toBe('50%');
    expect(now.metrics.open_prs).toBe(0);
  });

  it('updateWithRetry re-applies the change after a conflict', async () => {
    const root = tempParacRoot();
    let calls = 0;
    await updateWithRetry(root, async (state) => {
      calls += 1;
      if (calls === 1) {
        // Another writer lands between this load and its save.
        await updateState(root, (s) => s.addCompleted('theirs'));
      }
      state.addCompleted('ours');
    });
    expect(calls).toBe(2);
    const state = (await loadState(root))!;
    expect(state.currentPhase.completed).toEqual(['theirs', 'ours']);
    expect(state.revision).toBe(13);
  });

  it('updateState with no change writes nothing and logs nothing', async () => {
    const root = tempParacRoot();
    const before = stateText(root);
    const state = await updateState(root, (s) => s.addCompleted('x'));
    expect(state.revision).toBe(12);
    await updateState(root, (s) => s.addCompleted('x'));
    await updateState(root, () => undefined);
    expect(stateText(root)).not.toBe(before);
    expect((await loadState(root))!.revision).toBe(12);
    expect((await readAuditLog(root)).entries).toHaveLength(1);
  });

  it('leaves nothing new in the state folder after a save: no temp file, no lock', async () => {
    const root = tempParacRoot();
    const folder = dirname(stateFilePath(root));
    // The Python tooling leaves a plain lock file behind; it must neither block nor be removed.
    writeFileSync(join(folder, 'current_state.yaml.lock'), '');
    const before = readdirSync(folder).sort();
    await updateState(root, (s) => s.updateProgress(5));
    expect(readdirSync(folder).sort()).toEqual(before);
  });

  it('keeps the file mode and writes through a symlink, which stays a link', async () => {
    const root = tempParacRoot();
    const file = stateFilePath(root);
    const real = join(dirname(root), 'elsewhere.yaml');
    renameSync(file, real);
    symlinkSync(real, file);
    chmodSync(real, 0o600);
    await updateState(root, (s) => s.updateProgress(33));
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readlinkSync(file)).toBe(real);
    expect(statSync(real).mode & 0o777).toBe(0o600);
    expect(readFileSync(real, 'utf8')).toContain('  progress: 33%\n');
  });

  it("adds blockers to the real file's empty flow list in block style", async () => {
    const root = tempParacRoot();
    await updateState(root, (s) => {
      s.addBlocker('Waiting on the release: tag', 'high');
    });
    expect(stateText(root)).toContain(
      `blockers:\n  - id: blocker_1\n    description: "Waiting on the release: tag"\n    severity: high\n    added_date: "${localDate()}"\nnext_actions:`,
    );
  });
});

describe('store: bad input is refused and the file left byte for byte', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['invalid YAML from the history', readFixture('history/05-2026-01-05-6243e89.yaml'), /current_state\.yaml:131:\d+: /],
    [
      'conflict markers',
      'a: 1\n<<<<<<< HEAD\nrevision: 2\n=======\nrevision: 3\n>>>>>>> b\n',
      /current_state\.yaml:2:1: git conflict marker/,
    ],
    ['an empty file', '', /current_state\.yaml: the file is empty/],
    ['a list root', '- a\n', /current_state\.yaml: the top level must be a mapping/],
    ['a bad revision', 'revision: seven\n', /current_state\.yaml:1:11: revision must be a non-negative integer/],
  ];

  it.each(cases)('%s: load, update and save all raise StateParseError', async (_name, text, pattern) => {
    const root = tempParacRoot(null);
    const file = stateFilePath(root);
    writeFileSync(file, text);
    await expect(loadState(root)).rejects.toThrow(pattern);
    await expect(updateState(root, (s) => s.updateProgress(1))).rejects.toBeInstanceOf(StateParseError);

    // A state loaded before the file went bad must not be saved over it either.
    const good = tempParacRoot();
    const state = (await loadState(good))!;
    writeFileSync(stateFilePath(good), text);
    state.updateProgress(2);
    await expect(saveState(state, good, { checkConflict: false })).rejects.toBeInstanceOf(StateParseError);
    expect(readFileSync(stateFilePath(good), 'utf8')).toBe(text);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});

describe('store: concurrency across processes', () => {
  it('8 processes × 40 updateState calls: every item present, revision = initial + 320, one audit entry each', async () => {
    const root = tempParacRoot();
    const processes = 8;
    const each = 40;
    // The point is that no update is lost, not how long a waiter waits: on a busy shared runner a
    // waiter behind seven others can wait longer than the default 10 s, so the children wait longer.
    const env = { ...process.env, PARACLE_TIMEOUT: '120' };
    // Every child is waited for, even when one fails, so none writes on after the test has ended.
    const outcomes = await Promise.allSettled(
      Array.from({ length: processes }, (_, p) =>
        run(process.execPath, [join(CHILDREN, 'state-update-many.mjs'), root, `p${p}`, String(each)], { env }),
      ),
    );
    expect(outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []))).toEqual([]);
    const state = (await loadState(root))!;
    const completed = new Set(state.currentPhase.completed);
    for (let p = 0; p < processes; p += 1) {
      for (let i = 0; i < each; i += 1) expect(completed.has(`p${p}-${i}`)).toBe(true);
    }
    expect(completed.size).toBe(processes * each);
    expect(state.revision).toBe(11 + processes * each);
    const { entries } = await readAuditLog(root);
    expect(entries).toHaveLength(processes * each);
    expect(new Set(entries.map((e) => e.revision)).size).toBe(processes * each);
    // A generous limit: 320 saves by 8 processes on a shared 2-core runner take minutes when it is busy.
  }, 300_000);

  it('a save whose lock another process took over while it worked is abandoned before the rename: no lost update', async () => {
    const root = tempParacRoot();
    const file = stateFilePath(root);
    const before = stateText(root);
    const logBefore = (await readAuditLog(root)).entries.length;
    let taker: ChildProcess | undefined;
    try {
      const saving = updateState(root, async (state) => {
        state.updateProgress(77);
        // Mid-save, the lock is forced away and another process takes it (and will save from the old file).
        await clearLock(file, { force: true });
        taker = await holdStateLock(file, 'taker');
      });
      await expect(saving).rejects.toThrow(/the state lock was lost .*held by pid \d+ \(taker\).*the write was abandoned/);
      expect(stateText(root)).toBe(before);
      expect(readdirSync(dirname(file)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
      expect((await readAuditLog(root)).entries).toHaveLength(logBefore);
      expect(await readLockStatus(file)).toMatchObject({ state: 'held', holder: { pid: taker?.pid, command: 'taker' } });
    } finally {
      taker?.kill('SIGKILL');
    }
  });

  it('a stale save in another process is refused with the conflict message', async () => {
    const root = tempParacRoot();
    const mine = (await loadState(root))!;
    const { stdout } = await run(process.execPath, [join(CHILDREN, 'state-save-once.mjs'), root, '40']);
    expect(JSON.parse(stdout)).toEqual({ ok: true, revision: 12 });
    mine.updateProgress(41);
    await expect(saveState(mine, root)).rejects.toThrow('expected revision=11, got revision=12');
  });
});

describe('store: parse check of the written file', () => {
  it('what a save writes always parses back to what was saved', async () => {
    const root = tempParacRoot();
    const state = await updateState(root, (s) => {
      s.setIn('odd', { 'key: with colon': ['#not a comment', '- dash', 'yes', '0x10', '', 'multi\nline'] });
    });
    expect(parseStateText(stateText(root), 'f').data).toEqual(state.data);
  });

  it('creates the folder layout for a brand-new state', async () => {
    const root = tempParacRoot(null);
    mkdirSync(dirname(stateFilePath(root)), { recursive: true });
    await updateState(root, (s) => s.updateProgress(0));
    expect((await loadState(root))!.revision).toBe(1);
  });
});

describe('store: warnings are handed to the caller, never printed', () => {
  it('a save whose audit entry cannot be written stands, and says so through onWarning (else process.emitWarning)', async () => {
    const root = tempParacRoot();
    // The log is a link into a folder that does not exist: it reads as missing, and an append fails.
    mkdirSync(join(root, 'memory', 'logs'), { recursive: true });
    symlinkSync(join(root, 'no-such-folder', 'log.jsonl'), join(root, 'memory', 'logs', 'state_changes.jsonl'));
    const warnings: string[] = [];
    const state = await updateState(root, (s) => s.addCompleted('warned'), { onWarning: (warning) => warnings.push(warning) });
    expect(state.revision).toBe(12);
    expect(warnings).toEqual([expect.stringMatching(/^the state was saved but its audit entry was not: /)]);

    const emitted = new Promise<Error>((resolve) => process.once('warning', resolve));
    await updateState(root, (s) => s.addCompleted('emitted'));
    const warning = await emitted;
    expect(warning.message).toMatch(/^the state was saved but its audit entry was not: /);
    expect((warning as Error & { code?: string }).code).toBe('PARACLE_WARNING');
    expect(stateText(root)).toContain('- emitted');
  });
});

describe('store: allOrNothing', () => {
  it('an afterWrite that throws puts the state file and audit log back byte for byte, and the next update writes the same revision', async () => {
    const root = tempParacRoot();
    await updateState(root, (state) => state.updateProgress(10));
    const logFile = join(root, 'memory', 'logs', 'state_changes.jsonl');
    const before = { state: readFileSync(stateFilePath(root)), log: readFileSync(logFile) };
    const revision = parseStateText(before.state.toString('utf8'), 'state').revision;

    const failing = updateState(root, (state) => state.updateProgress(20), {
      allOrNothing: true,
      afterWrite: () => {
        throw new Error('staging failed');
      },
    });
    await expect(failing).rejects.toThrow('staging failed');
    expect(readFileSync(stateFilePath(root)).equals(before.state)).toBe(true);
    expect(readFileSync(logFile).equals(before.log)).toBe(true);

    const next = await updateState(root, (state) => state.updateProgress(20));
    expect(next.revision).toBe(revision + 1);
  });

  it('without it, the write stays (afterWrite runs after the rename)', async () => {
    const root = tempParacRoot();
    const before = stateText(root);
    const failing = updateState(root, (state) => state.updateProgress(20), {
      afterWrite: () => {
        throw new Error('staging failed');
      },
    });
    await expect(failing).rejects.toThrow('staging failed');
    expect(stateText(root)).not.toBe(before);
  });
});
