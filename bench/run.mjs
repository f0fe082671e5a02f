// `npm run bench`: the figures recorded in BENCHMARKS.md, all measured in one run so that ratios
// compare like with like on a shared, noisy machine. Never part of `npm test`.
//
// Sections: node start-up (the yardstick), lock + unlock, load, load + update + save against a
// floor, 8 processes × 50 contended updates, save cost vs file size, and any extra sections in
// bench/sections/*.mjs (each exports `title` and `async function run(context) → rows`).
import { execFile, execFileSync } from 'node:child_process';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { loadState, saveState } from '../dist/index.js';
import { acquireStateLock } from '../dist/lock/lock.js';
import { scaledStateText } from './scaled-state.mjs';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..');
const fixtures = resolve(projectRoot, 'test/fixtures/paracle');
const realStatePath = join(fixtures, 'current_state.yaml');
const realText = readFileSync(realStatePath, 'utf8');
const quick = process.argv.includes('--quick');
// The CLI and the hooks keep their V8 code cache in the user's cache folder: the bench's own, here,
// inherited by every process it starts, and removed at the end.
const codeCacheHome = mkdtempSync(join(tmpdir(), 'paracle-bench-cache-'));
process.env.XDG_CACHE_HOME = codeCacheHome;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

async function timeRuns(runs, fn, warmup = Math.min(5, runs)) {
  for (let i = 0; i < warmup; i += 1) await fn(i);
  const samples = [];
  for (let i = 0; i < runs; i += 1) {
    const start = nowMs();
    await fn(i);
    samples.push(nowMs() - start);
  }
  return median(samples);
}

function tempRoot(text = realText) {
  const root = join(mkdtempSync(join(tmpdir(), 'paracle-bench-')), '.parac');
  mkdirSync(join(root, 'memory', 'context'), { recursive: true });
  writeFileSync(join(root, 'memory', 'context', 'current_state.yaml'), text);
  return root;
}
const stateFileOf = (root) => join(root, 'memory', 'context', 'current_state.yaml');

/** The floor: what any "parse, edit, write safely" must pay, with no lock, no log, no care for formatting. */
async function floorSave(file) {
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text);
  doc.setIn(['current_phase', 'progress'], '75%');
  const out = doc.toString();
  const temp = `${file}.floor.tmp`;
  const fd = openSync(temp, 'w');
  writeSync(fd, out);
  fsyncSync(fd);
  closeSync(fd);
  renameSync(temp, file);
  const dirFd = openSync(dirname(file), 'r');
  fsyncSync(dirFd);
  closeSync(dirFd);
}

const rows = [];
const record = (section, measure, value, note = '') => {
  rows.push({ section, measure, value, note });
  process.stdout.write(`${section} | ${measure} | ${value}${note ? ` | ${note}` : ''}\n`);
};

// --- node start-up, the yardstick for every start-up figure
const nodeStartMs = await timeRuns(quick ? 5 : 15, () => run(process.execPath, ['-e', '0']), 2);
record('start-up', 'node -e 0 (median)', `${nodeStartMs.toFixed(1)} ms`);

// --- lock + unlock, uncontended
{
  const root = tempRoot();
  const file = stateFileOf(root);
  const lockRuns = quick ? 200 : 2000;
  const samples = [];
  for (let i = 0; i < lockRuns + 50; i += 1) {
    const start = process.hrtime.bigint();
    const lock = await acquireStateLock(file, { timeoutMs: 1000 });
    await lock.release();
    if (i >= 50) samples.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  record('lock', 'uncontended lock + unlock (median)', `${median(samples).toFixed(0)} µs`, 'target < 1 ms, the spec’s promise');
}

// --- load, load + update + save, and the floor, interleaved so drift hits both alike
{
  const runs = quick ? 15 : 60;
  const root = tempRoot();
  const floorRoot = tempRoot();
  const load = [];
  const save = [];
  const floor = [];
  for (let i = 0; i < runs + 5; i += 1) {
    let start = nowMs();
    await loadState(root);
    const loadMs = nowMs() - start;

    start = nowMs();
    const state = await loadState(root);
    state.updateProgress(i % 100);
    await saveState(state, root);
    const saveMs = nowMs() - start;

    start = nowMs();
    await floorSave(stateFileOf(floorRoot));
    const floorMs = nowMs() - start;
    if (i >= 5) {
      load.push(loadMs);
      save.push(saveMs);
      floor.push(floorMs);
    }
  }
  const [l, s, f] = [median(load), median(save), median(floor)];
  record('real file', 'load (median)', `${l.toFixed(2)} ms`, 'Python original: 77 ms');
  record('real file', 'load + update + save (median)', `${s.toFixed(2)} ms`, 'Python original: 308 ms');
  record('real file', 'floor: parseDocument + toString + write + fsync + rename + dir fsync (median)', `${f.toFixed(2)} ms`);
  record('real file', 'load + update + save ÷ floor', `${(s / f).toFixed(2)}×`, 'target ≤ 1.5×');
}

// --- 8 processes × 50 contended updateState
{
  const processes = 8;
  const each = quick ? 20 : 50;
  const root = tempRoot();
  const child = join(projectRoot, 'test', 'children', 'state-update-many.mjs');
  const start = nowMs();
  const outcomes = await Promise.allSettled(
    Array.from({ length: processes }, (_, p) => run(process.execPath, [child, root, `p${p}`, String(each)])),
  );
  const seconds = (nowMs() - start) / 1000;
  const failures = outcomes.filter((o) => o.status === 'rejected');
  const timeouts = failures.filter(
    (o) => String(o.reason?.stderr ?? o.reason).includes('STATE_LOCK_TIMEOUT') || String(o.reason?.stderr).includes('StateLockError'),
  ).length;
  const state = await loadState(root);
  const present = new Set(state.currentPhase.completed);
  let lost = 0;
  for (let p = 0; p < processes; p += 1) for (let i = 0; i < each; i += 1) if (!present.has(`p${p}-${i}`)) lost += 1;
  record(
    'contention',
    `${processes} processes × ${each} updateState`,
    `${seconds.toFixed(2)} s, ${((processes * each) / seconds).toFixed(0)} saves/s`,
    `lock timeouts ${timeouts}, failed processes ${failures.length}, lost updates ${lost}, revision ${state.revision} (expected ${11 + processes * each}); Python original: 99 s, 41 timeouts, 41 lost`,
  );
}

// --- cost vs size
{
  const factors = quick ? [1, 10] : [1, 10, 100];
  let base;
  for (const factor of factors) {
    const root = tempRoot(scaledStateText(realText, factor));
    const runs = factor >= 100 ? 3 : factor >= 10 ? 10 : 40;
    const ms = await timeRuns(
      runs,
      async (i) => {
        const state = await loadState(root);
        state.updateProgress(i % 100);
        await saveState(state, root);
      },
      factor >= 100 ? 1 : 5,
    );
    base ??= ms;
    record(
      'size',
      `load + update + save, ${factor}× the real file (${(Buffer.byteLength(scaledStateText(realText, factor)) / 1024).toFixed(0)} KiB)`,
      `${ms.toFixed(1)} ms`,
      `${(ms / base).toFixed(1)}× the 1× cost`,
    );
  }
}

// --- sections contributed by other parts (hooks, CLI)
const sectionsDir = join(here, 'sections');
let sectionFiles = [];
try {
  sectionFiles = readdirSync(sectionsDir)
    .filter((f) => f.endsWith('.mjs'))
    .sort();
} catch {
  // no extra sections
}
for (const file of sectionFiles) {
  const section = await import(join(sectionsDir, file));
  const extra = await section.run({ nodeStartMs, quick, projectRoot, fixtures, realStatePath, record });
  for (const row of extra ?? []) record(section.title, row.measure, row.value, row.note ?? '');
}

const gitVersion = execFileSync('git', ['--version']).toString().trim();
process.stdout.write(`\nnode ${process.version}, ${gitVersion}, ${new Date().toISOString()}\n\n`);
process.stdout.write('| section | measure | value | note |\n| --- | --- | --- | --- |\n');
for (const row of rows) process.stdout.write(`| ${row.section} | ${row.measure} | ${row.value} | ${row.note} |\n`);
rmSync(codeCacheHome, { recursive: true, force: true });
