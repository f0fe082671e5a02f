import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AuditEntryError, StateWriteError } from '../src/errors.js';
import {
  appendStateChanges,
  clearOldChanges,
  getRecentChanges,
  logStateChange,
  readAuditLog,
  type StateChangeEntry,
  type StateChangeInput,
} from '../src/log/audit-log.js';
import { auditLogPath, stateFilePath } from '../src/state/paths.js';
import { importBuilt } from './support/built.js';
import { REAL_STATE, tempDir } from './support/fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const children = join(here, 'children');
const long = process.env.PARACLE_STRESS === 'long';
const DAY = 86_400_000;
/** A state folder after a lock hold: the state file, and the Python tooling's lock file, left in place as filelock leaves it (issue 11). */
const STATE_FOLDER_AFTER_LOCK = ['current_state.yaml', 'current_state.yaml.lock'];

/** A fresh `.parac/` in a temp dir; with `withState`, the real state file too (the lock lives beside it). */
function makeParacRoot(withState = true): string {
  const top = tempDir('paracle-log-');
  const root = join(top, '.parac');
  mkdirSync(root);
  if (withState) {
    mkdirSync(dirname(stateFilePath(root)), { recursive: true });
    copyFileSync(REAL_STATE, stateFilePath(root));
  }
  return root;
}

function logLines(root: string): string[] {
  const text = readFileSync(auditLogPath(root), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

function entry(revision: number, extra: Partial<StateChangeInput> = {}): StateChangeInput {
  return { change_type: 'progress', description: `change ${revision}`, revision, ...extra };
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function collect(child: ChildProcess): Promise<Finished> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** Starts `count` appender children, waits until each has loaded the library, then releases them together. */
async function runAppenders(args: string[][]): Promise<Finished[]> {
  const started = args.map((argv) => {
    const child = fork(join(children, 'log-append.mjs'), argv, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    return { child, ready: once(child, 'message'), done: collect(child) };
  });
  await Promise.all(started.map((s) => s.ready));
  for (const s of started) s.child.send('go');
  return Promise.all(started.map((s) => s.done));
}

describe('appendStateChanges', () => {
  it('creates the log folder, fills timestamp and process_id, and writes one JSON object per line', async () => {
    const root = makeParacRoot(false);
    const before = Date.now();
    await appendStateChanges(root, [
      entry(7, { old_value: '50%', new_value: '75%' }),
      { change_type: 'update', description: 'set metrics.x', old_value: null, new_value: 3, revision: 7, path: ['metrics', 'x'] },
      {
        change_type: 'merge',
        description: 'given',
        revision: 8,
        timestamp: '2026-01-06T14:30:00.123456',
        process_id: 42,
        old_value: undefined,
      },
    ]);
    const lines = logLines(root);
    expect(lines).toHaveLength(3);
    const [a, b, c] = lines.map((line) => JSON.parse(line) as StateChangeEntry);
    expect(Object.keys(a!)).toEqual(['timestamp', 'process_id', 'change_type', 'description', 'old_value', 'new_value', 'revision']);
    expect(a!.process_id).toBe(process.pid);
    expect(Date.parse(a!.timestamp)).toBeGreaterThanOrEqual(before - 1);
    // A numeric offset, not `Z`: Python 3.10's datetime.fromisoformat (the Python tooling's clear_old_changes) rejects `Z`.
    expect(a!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
    // An explicit null is a value (a key that did not exist); extra fields are kept.
    expect(b).toMatchObject({ old_value: null, new_value: 3, path: ['metrics', 'x'] });
    expect(c).toEqual({ timestamp: '2026-01-06T14:30:00.123456', process_id: 42, change_type: 'merge', description: 'given', revision: 8 });
  });

  it('appends to what is there and writes nothing for an empty batch', async () => {
    const root = makeParacRoot(false);
    await appendStateChanges(root, []);
    expect(existsSync(auditLogPath(root))).toBe(false);
    await appendStateChanges(root, [entry(1)]);
    await appendStateChanges(root, [entry(2), entry(3)]);
    expect(logLines(root).map((l) => (JSON.parse(l) as StateChangeEntry).revision)).toEqual([1, 2, 3]);
  });

  it('rejects a bad entry with a typed error and writes nothing, even when the rest of the batch is fine', async () => {
    const root = makeParacRoot(false);
    const bad: Array<[unknown, string]> = [
      [{ description: 'no type', revision: 1 }, 'change_type'],
      [{ change_type: '  ', description: 'blank type', revision: 1 }, 'change_type'],
      [{ change_type: 'progress', revision: 1 }, 'description'],
      [{ change_type: 'progress', description: 'x', revision: -1 }, 'revision'],
      [{ change_type: 'progress', description: 'x', revision: 1.5 }, 'revision'],
      [{ change_type: 'progress', description: 'x', revision: '3' }, 'revision'],
      [{ change_type: 'progress', description: 'x' }, 'revision'],
      [{ change_type: 'progress', description: 'x', revision: 1, timestamp: 'yesterday-ish' }, 'timestamp'],
      [{ change_type: 'progress', description: 'x', revision: 1, process_id: 'me' }, 'process_id'],
      [null, 'entry'],
      [[1, 2], 'entry'],
    ];
    for (const [input, field] of bad) {
      const error = await appendStateChanges(root, [entry(1), input as StateChangeInput]).catch((e: unknown) => e);
      expect(error, JSON.stringify(input)).toBeInstanceOf(AuditEntryError);
      expect(error).toMatchObject({ code: 'AUDIT_ENTRY_INVALID', field, index: 1 });
    }
    const cyclic: Record<string, unknown> = { change_type: 'update', description: 'cycle', revision: 1 };
    cyclic.self = cyclic;
    await expect(appendStateChanges(root, [cyclic as StateChangeInput])).rejects.toMatchObject({ code: 'AUDIT_ENTRY_INVALID' });
    expect(existsSync(auditLogPath(root))).toBe(false);
  });

  it('keeps non-ASCII and emoji as UTF-8 and escapes the characters other tools treat as line breaks', async () => {
    const root = makeParacRoot(false);
    const descriptions = [
      'Phase 10 ✅ terminée — 日本語 🚀👩‍👩‍👧 Ünïcødé',
      'line\nbreak\r\ninside',
      'sep\u2028and\u2029para',
      '\ud800 lone surrogate',
    ];
    await appendStateChanges(
      root,
      descriptions.map((description, i) => ({ change_type: 'completed', description, revision: i })),
    );
    const raw = readFileSync(auditLogPath(root), 'utf8');
    expect(raw).toContain('terminée — 日本語 🚀👩‍👩‍👧'); // written as UTF-8, not \u escapes
    expect(raw).not.toMatch(/[\u2028\u2029]/);
    expect(raw.split('\n')).toHaveLength(descriptions.length + 1);
    const { entries, skipped } = await readAuditLog(root);
    expect(skipped).toEqual([]);
    // A lone surrogate cannot be UTF-8; JSON.stringify escapes it, so it survives too.
    expect(entries.map((e) => e.description)).toEqual(descriptions);
    expect((await getRecentChanges(root)).map((e) => e.description)).toEqual([...descriptions].reverse());
  });

  it('keeps an extra field named __proto__ as data', async () => {
    const root = makeParacRoot(false);
    const input = JSON.parse('{"change_type":"update","description":"p","revision":1,"__proto__":{"polluted":true}}') as StateChangeInput;
    await appendStateChanges(root, [input]);
    expect(logLines(root)[0]).toContain('"__proto__":{"polluted":true}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('lines from concurrent processes never interleave: every batch lands whole, every entry exactly once', async () => {
    const root = makeParacRoot(false);
    const processes = 6;
    const perProcess = long ? 600 : 60;
    const results = await runAppenders(Array.from({ length: processes }, (_, i) => [root, String(perProcess), `p${i}`, 'append']));
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });

    type Line = StateChangeEntry & { tag: string; seq: number; batch: number; batchSize: number };
    const raw = logLines(root);
    // Without the lock an appender can see another's write still in progress and start its own on a fresh line
    // (see appendStateChanges); that costs a blank line, which readers ignore, never a lost or mixed line.
    const lines = raw.filter((line) => line !== '');
    expect(lines).toHaveLength(processes * perProcess);
    const parsed = lines.map((line) => JSON.parse(line) as Line);
    const seen = new Map<string, number[]>();
    let at = 0;
    while (at < raw.length) {
      if (raw[at] === '') {
        at += 1;
        continue;
      }
      const first = JSON.parse(raw[at]!) as Line;
      // The lines of one call were one write: they must sit together in the file, in order, with nothing between.
      for (let k = 0; k < first.batchSize; k += 1) {
        const line = JSON.parse(raw[at + k]!) as Line;
        expect(line.tag).toBe(first.tag);
        expect(line.batch).toBe(first.batch);
        expect(line.seq).toBe(first.seq + k);
        expect(line.description.startsWith(`${line.tag}#${line.seq} `)).toBe(true);
        const seqs = seen.get(line.tag) ?? [];
        seqs.push(line.seq);
        seen.set(line.tag, seqs);
      }
      at += first.batchSize;
    }
    expect(seen.size).toBe(processes);
    // Each process's appends are awaited one after another, so its entries are in order and none is missing.
    for (const seqs of seen.values()) expect(seqs).toEqual(Array.from({ length: perProcess }, (_, i) => i));
    expect(new Set(parsed.map((p) => p.process_id)).size).toBe(processes);
  });

  it('appenders that hold the state lock (logStateChange) write exactly one line per entry, no blank lines', async () => {
    const root = makeParacRoot();
    const processes = 4;
    const perProcess = long ? 300 : 30;
    const results = await runAppenders(Array.from({ length: processes }, (_, i) => [root, String(perProcess), `l${i}`, 'log']));
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
    const lines = logLines(root);
    expect(lines).toHaveLength(processes * perProcess);
    const parsed = lines.map((line) => JSON.parse(line) as StateChangeEntry & { tag: string; seq: number });
    for (let i = 0; i < processes; i += 1) {
      expect(parsed.filter((p) => p.tag === `l${i}`).map((p) => p.seq)).toEqual(Array.from({ length: perProcess }, (_, s) => s));
    }
  });

  it('a writer killed in the middle of an append never breaks the lines written after it', async () => {
    // Each append is one write() of two ~200 KB lines. The kill is aimed at a write in progress: this
    // process watches the log and kills the writer the moment its last line is incomplete. A kill
    // can still land just after the write ends, so rounds go on until enough appends were really torn.
    const tornWanted = long ? 30 : 3;
    const maxKills = long ? 120 : 20;
    let kills = 0;
    let torn = 0;
    while (torn < tornWanted && kills < maxKills) {
      const round = kills;
      const root = makeParacRoot(false);
      const file = auditLogPath(root);
      const child = spawn(process.execPath, [join(children, 'log-append-forever.mjs'), root, `k${round}`, '8000'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const done = collect(child);
      await once(child.stdout!, 'data');
      killWhenLastLineIsIncomplete(file, child);
      expect(await done).toMatchObject({ signal: 'SIGKILL' });
      kills += 1;

      const before = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
      const endedMidLine = before.length > 0 && before[before.length - 1] !== 0x0a;
      if (endedMidLine) torn += 1;
      await appendStateChanges(root, [entry(round, { change_type: 'marker', description: `after kill ${round}` })]);

      const { entries, skipped } = await readAuditLog(root);
      expect(entries.at(-1)).toMatchObject({ change_type: 'marker', revision: round });
      expect(await getRecentChanges(root, 1)).toEqual([entries.at(-1)]);
      // Only the cut-off line can be unreadable, and it stays on its own line.
      expect(skipped.length).toBe(endedMidLine ? 1 : 0);
      // Each call was one write: its two entries are both there, one after the other, or (cut off) the second is
      // the torn line.
      const written = entries.slice(0, -1);
      for (let i = 0; i < written.length; i += 2) {
        expect(written[i]!.description).toMatch(new RegExp(`^k${round}#${i / 2}a `));
        if (i + 1 < written.length) expect(written[i + 1]!.description).toMatch(new RegExp(`^k${round}#${i / 2}b `));
        else expect(endedMidLine).toBe(true);
      }
      rmSync(dirname(root), { recursive: true, force: true });
    }
    console.log(`audit log, writer killed mid-append: ${torn} of ${kills} kills tore an append (wanted ${tornWanted})`);
    expect(torn, `only ${torn} of ${kills} kills landed inside a write`).toBeGreaterThanOrEqual(tornWanted);
  });
});

/**
 * Watches `file` (blocking this process: nothing else needs to run meanwhile) and SIGKILLs `child`
 * as soon as the file's last byte is not a newline, i.e. while one of its appends is being written.
 * Kills it anyway after 10 s.
 */
function killWhenLastLineIsIncomplete(file: string, child: ChildProcess): void {
  const last = Buffer.alloc(1);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    if (size === 0) continue;
    const fd = openSync(file, 'r');
    try {
      readSync(fd, last, 0, 1, size - 1);
    } finally {
      closeSync(fd);
    }
    if (last[0] !== 0x0a) break;
  }
  child.kill('SIGKILL');
}

describe('readers', () => {
  it('skip a torn last line and report every unparseable line; the next append starts on a fresh line', async () => {
    const root = makeParacRoot(false);
    await appendStateChanges(root, [entry(1), entry(2)]);
    appendFileSync(auditLogPath(root), 'not json at all\n[1,2]\n\n   \n');
    await appendStateChanges(root, [entry(3)]);
    const full = JSON.stringify({
      timestamp: new Date().toISOString(),
      process_id: 1,
      change_type: 'progress',
      description: 'torn',
      revision: 4,
    });
    appendFileSync(auditLogPath(root), full.slice(0, Math.floor(full.length / 2)));

    let log = await readAuditLog(root);
    expect(log.entries.map((e) => e.revision)).toEqual([1, 2, 3]);
    expect(log.skipped).toEqual([
      { line: 3, text: 'not json at all' },
      { line: 4, text: '[1,2]' },
      { line: 8, text: full.slice(0, Math.floor(full.length / 2)) },
    ]);
    expect((await getRecentChanges(root)).map((e) => e.revision)).toEqual([3, 2, 1]);

    await appendStateChanges(root, [entry(5)]);
    log = await readAuditLog(root);
    expect(log.entries.map((e) => e.revision)).toEqual([1, 2, 3, 5]);
    expect(log.skipped.map((s) => s.line)).toEqual([3, 4, 8]);
    expect((await getRecentChanges(root, 2)).map((e) => e.revision)).toEqual([5, 3]);
  });

  it('read a last line without a newline when it is a whole entry', async () => {
    const root = makeParacRoot(false);
    await appendStateChanges(root, [entry(1)]);
    appendFileSync(
      auditLogPath(root),
      JSON.stringify({ timestamp: '2026-01-06T14:30:00.123456', process_id: 9, change_type: 'progress', description: 'py', revision: 2 }),
    );
    expect((await readAuditLog(root)).entries.map((e) => e.revision)).toEqual([1, 2]);
    expect((await getRecentChanges(root, 1)).map((e) => e.revision)).toEqual([2]);
  });

  it('return nothing for a missing log and create nothing', async () => {
    const root = makeParacRoot(false);
    expect(await readAuditLog(root)).toEqual({ entries: [], skipped: [] });
    expect(await getRecentChanges(root)).toEqual([]);
    expect(await clearOldChanges(root)).toBe(0);
    expect(readdirSync(root)).toEqual([]);
  });

  it('getRecentChanges returns the newest first, `limit` of them (100 by default), across read chunks', async () => {
    const root = makeParacRoot(false);
    const total = 260;
    // Descriptions of 0.5-2 KB with 4-byte characters: the ~350 KB log spans several 64 KB chunks, and some chunk
    // boundaries fall inside a UTF-8 sequence.
    const batch = Array.from({ length: total }, (_, i) => entry(i, { description: `#${i} ${'🚀'.repeat(128 + ((i * 53) % 384))}` }));
    await appendStateChanges(root, batch.slice(0, 100));
    await appendStateChanges(root, batch.slice(100));
    appendFileSync(auditLogPath(root), 'garbage line\n');

    const { entries } = await readAuditLog(root);
    const newestFirst = [...entries].reverse();
    const byDefault = await getRecentChanges(root);
    expect(byDefault).toHaveLength(100);
    expect(byDefault).toEqual(newestFirst.slice(0, 100));
    expect(byDefault[0]!.revision).toBe(total - 1);
    for (const limit of [1, 5, 37, 199, total, total + 50]) {
      expect(await getRecentChanges(root, limit)).toEqual(newestFirst.slice(0, limit));
    }
    expect((await getRecentChanges(root, 1000)).map((e) => e.description)).toEqual(batch.map((b) => b.description).reverse());
    expect(await getRecentChanges(root, 0)).toEqual([]);
    await expect(getRecentChanges(root, -1)).rejects.toBeInstanceOf(RangeError);
    await expect(getRecentChanges(root, 2.5)).rejects.toBeInstanceOf(RangeError);
  });
});

describe('clearOldChanges', () => {
  function seedMixedLog(root: string): { lines: string[]; keep: string[] } {
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    // Naive local time with microseconds, as the Python original writes it.
    const pythonStyle = (ms: number) => {
      const d = new Date(ms);
      const pad = (n: number, w = 2) => String(n).padStart(w, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}456`;
    };
    const line = (timestamp: unknown, revision: number, description = `r${revision}`) =>
      JSON.stringify({ timestamp, process_id: 1, change_type: 'progress', description, revision });
    const rows: Array<[string, boolean]> = [
      [line(iso(now - 90 * DAY), 1), false],
      [line(pythonStyle(now - 45 * DAY), 2), false],
      ['{"this is": "not closed"', true],
      [line(iso(now - 31 * DAY), 3, 'vieux 🚀'), false],
      [line(iso(now - 29 * DAY), 4, 'récent 🚀'), true],
      [JSON.stringify({ change_type: 'progress', description: 'no timestamp', revision: 5 }), true],
      [line('not a date', 6), true],
      [line(pythonStyle(now - 2 * DAY), 7), true],
      ['[1,2,3]', true],
      [line(iso(now), 8), true],
    ];
    writeFileSync(auditLogPath(root), rows.map(([l]) => `${l}\n`).join(''));
    return { lines: rows.map(([l]) => l), keep: rows.filter(([, k]) => k).map(([l]) => l) };
  }

  it('removes entries older than keepDays, keeps newer and undatable lines byte for byte, and returns the count', async () => {
    const root = makeParacRoot();
    mkdirSync(dirname(auditLogPath(root)), { recursive: true });
    const { keep } = seedMixedLog(root);
    appendFileSync(auditLogPath(root), '{"torn": "last li');
    const stateBefore = readFileSync(stateFilePath(root));

    expect(await clearOldChanges(root)).toBe(3);
    // The torn last line is kept too (we cannot tell its age), now ended so appends after it stay readable.
    expect(readFileSync(auditLogPath(root), 'utf8')).toBe([...keep, '{"torn": "last li'].map((l) => `${l}\n`).join(''));
    // Rewritten atomically: nothing but the log is left in its folder, and the state folder holds no lock.
    expect(readdirSync(dirname(auditLogPath(root)))).toEqual(['state_changes.jsonl']);
    expect(readdirSync(dirname(stateFilePath(root))).sort()).toEqual(STATE_FOLDER_AFTER_LOCK);
    expect(readFileSync(stateFilePath(root)).equals(stateBefore)).toBe(true);

    // Nothing more to remove: the file is left alone (same inode, same bytes).
    const { ino } = statSync(auditLogPath(root));
    expect(await clearOldChanges(root)).toBe(0);
    expect(statSync(auditLogPath(root)).ino).toBe(ino);

    await appendStateChanges(root, [entry(9)]);
    expect((await getRecentChanges(root, 1))[0]!.revision).toBe(9);
  });

  it('honours keepDays (including fractions and 0) and rejects a bad one', async () => {
    const root = makeParacRoot();
    mkdirSync(dirname(auditLogPath(root)), { recursive: true });
    seedMixedLog(root);
    expect(await clearOldChanges(root, 60)).toBe(1); // only the 90-day-old entry
    expect(await clearOldChanges(root, 30.5)).toBe(2);
    expect(await clearOldChanges(root, 1.5)).toBe(2); // the 29-day-old and the 2-day-old ones
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await clearOldChanges(root, 0)).toBe(1); // the one written "now", a few ms ago
    const { entries, skipped } = await readAuditLog(root);
    expect(entries.map((e) => e.description)).toEqual(['no timestamp', 'r6']);
    expect(skipped.map((s) => s.text)).toEqual(['{"this is": "not closed"', '[1,2,3]']);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(clearOldChanges(root, bad)).rejects.toBeInstanceOf(RangeError);
    }
  });

  it('keeps the mode of the log and writes through a symlinked log', async () => {
    const root = makeParacRoot();
    const logDir = dirname(auditLogPath(root));
    mkdirSync(logDir, { recursive: true });
    const target = join(dirname(root), 'elsewhere.jsonl');
    const { symlinkSync, lstatSync, chmodSync } = await import('node:fs');
    symlinkSync(target, auditLogPath(root));
    await appendStateChanges(root, [entry(1, { timestamp: new Date(Date.now() - 40 * DAY).toISOString() }), entry(2)]);
    chmodSync(target, 0o640);
    expect(await clearOldChanges(root)).toBe(1);
    expect(lstatSync(auditLogPath(root)).isSymbolicLink()).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect((await readAuditLog(root)).entries.map((e) => e.revision)).toEqual([2]);
  });

  it('loses nothing appended by logStateChange in other processes while clears run', async () => {
    const root = makeParacRoot();
    mkdirSync(dirname(auditLogPath(root)), { recursive: true });
    const seeded = 200;
    await appendStateChanges(
      root,
      Array.from({ length: seeded }, (_, i) => entry(i, { timestamp: new Date(Date.now() - 50 * DAY).toISOString(), seeded: true })),
    );
    const appenders = 2;
    const perAppender = long ? 400 : 60;
    const oldEvery = 3; // a third of what they write is dated 60 days back, so every clear has work to do
    const running = runAppenders(
      Array.from({ length: appenders }, (_, i) => [root, String(perAppender), `c${i}`, 'log', String(oldEvery)]),
    );
    let finished = false;
    void running.then(() => (finished = true));

    // This process clears with the same build of the lock the appenders take.
    const built = await importBuilt<typeof import('../src/log/audit-log.js')>('log/audit-log.js');
    let removed = 0;
    let clears = 0;
    while (!finished) {
      removed += await built.clearOldChanges(root);
      clears += 1;
    }
    const results = await running;
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
    removed += await built.clearOldChanges(root);

    const { entries, skipped } = await readAuditLog(root);
    expect(skipped).toEqual([]);
    const oldPerAppender = Math.ceil(perAppender / oldEvery);
    // Every old line was removed by exactly one clear, and every recent line from every appender is still there.
    expect(removed).toBe(seeded + appenders * oldPerAppender);
    expect(clears).toBeGreaterThan(1);
    const recent = entries as Array<StateChangeEntry & { tag: string; seq: number; old: boolean }>;
    expect(recent.every((e) => !e.old)).toBe(true);
    for (let i = 0; i < appenders; i += 1) {
      const seqs = recent.filter((e) => e.tag === `c${i}`).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: perAppender }, (_, s) => s).filter((s) => s % oldEvery !== 0));
    }
    expect(readdirSync(dirname(auditLogPath(root)))).toEqual(['state_changes.jsonl']);
    expect(readdirSync(dirname(stateFilePath(root))).sort()).toEqual(STATE_FOLDER_AFTER_LOCK);
  });
});

describe('logStateChange', () => {
  it('appends one entry under the state lock and leaves no lock behind', async () => {
    const root = makeParacRoot();
    await logStateChange(root, entry(12, { old_value: '50%', new_value: '75%' }));
    const { entries } = await readAuditLog(root);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      change_type: 'progress',
      revision: 12,
      process_id: process.pid,
      old_value: '50%',
      new_value: '75%',
    });
    expect(readdirSync(dirname(stateFilePath(root))).sort()).toEqual(STATE_FOLDER_AFTER_LOCK);
    await expect(logStateChange(root, { change_type: 'progress', description: 'x', revision: -3 })).rejects.toBeInstanceOf(AuditEntryError);
  });

  it('reports a log it cannot write as StateWriteError', async () => {
    const root = makeParacRoot();
    // A directory where the log file should be: the append fails with EISDIR.
    mkdirSync(auditLogPath(root), { recursive: true });
    const error = await logStateChange(root, entry(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateWriteError);
    expect(error).toMatchObject({ code: 'STATE_WRITE', file: auditLogPath(root) });
  });
});
