// The Python tooling's lock (issue 11): what holding `current_state.yaml.lock` (flock) costs a lock and a
// save, by each way of taking it (the shipped flock binding, util-linux flock(1), none), the
// cold cost of loading the binding in a fresh process, and a race of 2 Python and 2 of our writers.
import { execFile, spawnSync } from 'node:child_process';
import { closeSync, constants, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadState, saveState } from '../../dist/index.js';
import { forgetFlockChoice } from '../../dist/lock/flock.js';
import { acquireStateLock } from '../../dist/lock/lock.js';

const exec = promisify(execFile);
export const title = 'python lock';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function tempRoot(realStatePath) {
  const root = join(mkdtempSync(join(tmpdir(), 'paracle-bench-pylock-')), '.parac');
  mkdirSync(join(root, 'memory', 'context'), { recursive: true });
  copyFileSync(realStatePath, join(root, 'memory', 'context', 'current_state.yaml'));
  return root;
}

function useMethod(setting) {
  if (setting === undefined) delete process.env.PARACLE_PYTHON_LOCK;
  else process.env.PARACLE_PYTHON_LOCK = setting;
  forgetFlockChoice();
}

const METHODS = [
  ['native binding', 'native'],
  ['flock(1) command', 'flock'],
  ['none (PARACLE_PYTHON_LOCK=off)', 'off'],
];

function findPython() {
  for (const candidate of ['python3', '/usr/bin/python3', 'python']) {
    if (spawnSync(candidate, ['-c', 'import yaml, filelock'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return null;
}

export async function run({ quick, projectRoot, realStatePath }) {
  const rows = [];
  const before = process.env.PARACLE_PYTHON_LOCK;
  try {
    // Lock + unlock of the state lock, with the Python lock taken each way; rounds interleave the methods.
    const root = tempRoot(realStatePath);
    const file = join(root, 'memory', 'context', 'current_state.yaml');
    const rounds = quick ? 3 : 10;
    const perRound = quick ? 30 : 100;
    const lock = Object.fromEntries(METHODS.map(([, m]) => [m, []]));
    for (let round = 0; round < rounds; round += 1) {
      for (const [, method] of METHODS) {
        useMethod(method);
        const warm = await acquireStateLock(file, { timeoutMs: 1000 });
        await warm.release();
        for (let i = 0; i < perRound; i += 1) {
          const start = process.hrtime.bigint();
          const held = await acquireStateLock(file, { timeoutMs: 1000 });
          await held.release();
          lock[method].push(Number(process.hrtime.bigint() - start) / 1e3);
        }
      }
    }
    const none = median(lock.off);
    for (const [label, method] of METHODS) {
      const m = median(lock[method]);
      rows.push({
        measure: `uncontended lock + unlock, Python lock by ${label} (median)`,
        value: `${m.toFixed(0)} µs`,
        note: method === 'off' ? 'our lock alone' : `+${(m - none).toFixed(0)} µs for the Python lock; target ≤ 300 µs in all`,
      });
    }

    // The flock itself: open + flock(LOCK_EX|LOCK_NB) + close, what the binding adds per save.
    {
      // The binding as the package ships it (dist/flock-binding, copied by the build).
      const { default: binding } = await import('../../dist/flock-binding/index.cjs');
      const path = join(root, 'memory', 'context', 'raw.lock');
      const samples = [];
      for (let i = 0; i < (quick ? 500 : 5000); i += 1) {
        const start = process.hrtime.bigint();
        const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC);
        binding.flockSync(fd, 'exnb');
        closeSync(fd);
        samples.push(Number(process.hrtime.bigint() - start) / 1e3);
      }
      rows.push({ measure: 'open + flock(LOCK_EX|LOCK_NB) + close by the binding (median)', value: `${median(samples).toFixed(1)} µs` });
    }

    // Load + update + save on the real file, with and without the Python lock, interleaved.
    {
      const runs = quick ? 10 : 40;
      const saves = { native: [], off: [] };
      for (let i = 0; i < runs + 3; i += 1) {
        for (const method of ['native', 'off']) {
          useMethod(method);
          const start = nowMs();
          const state = await loadState(root);
          state.updateProgress(i % 100);
          await saveState(state, root);
          if (i >= 3) saves[method].push(nowMs() - start);
        }
      }
      const [withLock, without] = [median(saves.native), median(saves.off)];
      rows.push({ measure: 'load + update + save with the Python lock (native, median)', value: `${withLock.toFixed(2)} ms` });
      rows.push({
        measure: 'load + update + save without it (median)',
        value: `${without.toFixed(2)} ms`,
        note: `the Python lock adds ${(withLock - without).toFixed(2)} ms (${((withLock / without - 1) * 100).toFixed(1)} %)`,
      });
    }

    // Cold: what a fresh process (a git hook, whose bundle requires it) pays to load the binding.
    {
      const runs = quick ? 5 : 15;
      const wall = [];
      const cpu = [];
      const bare = [];
      const script =
        "const c=process.cpuUsage(),t=process.hrtime.bigint();require('./dist/flock-binding/index.cjs');" +
        'const d=process.cpuUsage(c);process.stdout.write(JSON.stringify([Number(process.hrtime.bigint()-t)/1e6,(d.user+d.system)/1000]))';
      for (let i = 0; i < runs; i += 1) {
        const { stdout } = await exec(process.execPath, ['-e', script], { cwd: projectRoot });
        const [w, c] = JSON.parse(stdout);
        wall.push(w);
        cpu.push(c);
        const start = nowMs();
        await exec(process.execPath, ['-e', '0']);
        bare.push(nowMs() - start);
      }
      rows.push({
        measure: 'require of the binding in a fresh process (median wall, CPU)',
        value: `${median(wall).toFixed(1)} ms, ${median(cpu).toFixed(1)} ms CPU`,
        note: `node -e 0 in the same loop: ${median(bare).toFixed(0)} ms`,
      });
    }

    // A race on the real file: 2 Python writers (filelock, PyYAML) and 2 of ours.
    const python = findPython();
    if (python === null) {
      rows.push({ measure: 'race with the Python tooling', value: 'skipped', note: 'no Python with PyYAML and filelock' });
    } else {
      const each = quick ? 10 : 30;
      const raceRoot = tempRoot(realStatePath);
      useMethod(undefined);
      const script = join(projectRoot, 'test', 'support', 'python', 'paracle_state.py');
      const child = join(projectRoot, 'test', 'children', 'state-update-report.mjs');
      const start = nowMs();
      const outputs = await Promise.all([
        exec(python, [script, 'race', raceRoot, 'py-a', String(each)]),
        exec(process.execPath, [child, raceRoot, 'js-a', String(each)]),
        exec(python, [script, 'race', raceRoot, 'py-b', String(each)]),
        exec(process.execPath, [child, raceRoot, 'js-b', String(each)]),
      ]);
      const seconds = (nowMs() - start) / 1000;
      const saves = outputs.flatMap(({ stdout }) =>
        stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line)),
      );
      const retries = saves.reduce((sum, s) => sum + (s.retries ?? 0), 0);
      const text = readFileSync(join(raceRoot, 'memory', 'context', 'current_state.yaml'), 'utf8');
      const lost = saves.filter((s) => !text.includes(`- ${s.item}\n`)).length;
      const revisions = new Set(saves.map((s) => s.revision));
      rows.push({
        measure: `2 Python + 2 of our writers × ${each} saves on the real file`,
        value: `${seconds.toFixed(1)} s`,
        note: `lost ${lost} of ${saves.length}, distinct revisions ${revisions.size}, Python retries ${retries} (conflicts or its 10 s lock timeout); issue 11 measured 2–32 % lost before`,
      });
    }
  } finally {
    useMethod(before);
  }
  return rows;
}
