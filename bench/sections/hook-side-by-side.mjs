// Issue 24, side by side: one `git commit` of one staged file, outside the watched areas and in
// `packages/`, in one scratch repository holding the real state, under each way of hooking it:
//
//   no hooks       core.hooksPath at an empty folder
//   husky alone    husky's runner and its wrappers for every hook, no hook script of ours (.husky/pre-commit moved away),
//                  with husky's own wrappers (as `husky` writes them) and with the quick ones `paracle install` leaves
//   paracle        the hooks `paracle install` wrote (the shell check decides whether node starts), also under
//                  husky's own wrappers
//   skeleton       husky running a node script that asks `git diff --cached`, `git status` and runs `git add`:
//                  the least a node hook that stages a file costs (bench/children/skeleton-hook.cjs --diff)
//   Python hook    paracle's own bash `pre-commit` + `auto-maintain.py` as the Python project installs it
//                  (core.hooksPath at a folder holding only that hook), when PARACLE_BENCH_PYTHON_HOOK names a
//                  folder holding both files and python3 has PyYAML; otherwise that row says why it is missing
//
// Every kind is committed once a round, rounds interleaved, medians compared within the run.
// Targets: paracle with nothing to do ≤ 1.1× husky alone; paracle with work ≤ 1.2× the skeleton.
//
//   npm run build && node bench/sections/hook-side-by-side.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { scratchRepository, timedCommit } from '../hook-commit.mjs';

export const title = 'hooks side by side';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..', '..');
const skeletonHook = join(here, '..', 'children', 'skeleton-hook.cjs');
/** The hooks a `git commit` runs (husky has a wrapper for each). */
const COMMIT_HOOKS = new Set(['pre-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit']);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const _nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** The folder holding paracle's `pre-commit` and `auto-maintain.py`, or why the Python row is skipped. */
function pythonHook() {
  const dir = process.env.PARACLE_BENCH_PYTHON_HOOK;
  if (!dir) return { skip: 'PARACLE_BENCH_PYTHON_HOOK does not name a folder with paracle’s pre-commit and auto-maintain.py' };
  if (!existsSync(join(dir, 'pre-commit')) || !existsSync(join(dir, 'auto-maintain.py'))) {
    return { skip: `${dir} lacks pre-commit or auto-maintain.py` };
  }
  if (spawnSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' }).status !== 0) return { skip: 'no python3 with PyYAML' };
  if (spawnSync('bash', ['-c', 'exit 0'], { stdio: 'ignore' }).status !== 0) return { skip: 'no bash' };
  return { dir };
}

export async function measureSideBySide({ runs = 15, fixtures } = {}) {
  const { runGit } = await import(pathToFileURL(join(projectRoot, 'dist', 'git', 'run-git.js')).href);
  const dir = await scratchRepository(runGit, fixtures ?? join(projectRoot, 'test', 'fixtures', 'paracle'));
  const folders = mkdtempSync(join(tmpdir(), 'paracle-bench-hookdirs-'));
  let pythonDir = null;
  try {
    const noHooks = join(folders, 'none');
    mkdirSync(noHooks);
    const python = pythonHook();
    // The Python hook rewrites the whole state with PyYAML: it gets a repository of its own, so the
    // other rows keep committing on the real file.
    let pythonHooks = null;
    if (python.dir) {
      pythonDir = await scratchRepository(runGit, fixtures ?? join(projectRoot, 'test', 'fixtures', 'paracle'));
      pythonHooks = join(folders, 'python');
      mkdirSync(pythonHooks);
      copyFileSync(join(python.dir, 'pre-commit'), join(pythonHooks, 'pre-commit'));
      chmodSync(join(pythonHooks, 'pre-commit'), 0o755);
      mkdirSync(join(pythonDir, '.parac', 'tools', 'hooks'), { recursive: true });
      copyFileSync(join(python.dir, 'auto-maintain.py'), join(pythonDir, '.parac', 'tools', 'hooks', 'auto-maintain.py'));
      writeFileSync(join(pythonDir, '.git', 'info', 'exclude'), '.parac/tools/\n');
    }
    const huskyScript = join(dir, '.husky', 'pre-commit');
    const ourScript = join(folders, 'pre-commit.ours');
    copyFileSync(huskyScript, ourScript);
    const runner = join(dir, '.husky', '_');
    const { HUSKY_WRAPPER } = await import(pathToFileURL(join(projectRoot, 'dist', 'hooks-install', 'hook-script.js')).href);
    const quickWrappers = new Map([...COMMIT_HOOKS].map((name) => [name, readFileSync(join(runner, name), 'utf8')]));

    const env = { HUSKY: undefined, PARACLE: undefined, NO_COLOR: '1' };
    let n = 0;
    const commit = (area, gitConfig = [], cwd = dir) => {
      n += 1;
      const file = area === 'packages' ? 'packages/bench/module.py' : 'notes/bench.txt';
      return timedCommit(runGit, { dir: cwd, file, content: `${n}\n`, gitConfig, extraEnv: env });
    };
    const withScript = async (script, fn) => {
      if (script === null) rmSync(huskyScript);
      else writeFileSync(huskyScript, script);
      try {
        return await fn();
      } finally {
        copyFileSync(ourScript, huskyScript);
      }
    };
    const withHuskysOwnWrappers = async (fn) => {
      for (const name of COMMIT_HOOKS) writeFileSync(join(runner, name), HUSKY_WRAPPER);
      try {
        return await fn();
      } finally {
        for (const [name, text] of quickWrappers) writeFileSync(join(runner, name), text);
      }
    };

    const kinds = {
      noHooksOutside: () => commit('notes', ['-c', `core.hooksPath=${noHooks}`]),
      noHooksPackages: () => commit('packages', ['-c', `core.hooksPath=${noHooks}`]),
      huskyOwnOutside: () => withScript(null, () => withHuskysOwnWrappers(() => commit('notes'))),
      huskyQuickOutside: () => withScript(null, () => commit('notes')),
      paracleHuskyOwnOutside: () => withHuskysOwnWrappers(() => commit('notes')),
      paracleOutside: () => commit('notes'),
      paraclePackages: () => commit('packages'),
      skeletonPackages: () => withScript(`node ${JSON.stringify(skeletonHook)} --diff\n`, () => commit('packages')),
      ...(pythonHooks === null
        ? {}
        : {
            pythonOutside: () => commit('notes', ['-c', `core.hooksPath=${pythonHooks}`], pythonDir),
            pythonPackages: () => commit('packages', ['-c', `core.hooksPath=${pythonHooks}`], pythonDir),
          }),
    };
    const samples = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
    const warmup = Math.min(3, runs);
    for (let i = -warmup; i < runs; i += 1) {
      for (const [kind, fn] of Object.entries(kinds)) {
        const ms = await fn();
        if (i >= 0) samples[kind].push(ms);
      }
    }
    const result = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    return { ...result, runs, pythonSkip: python.skip ?? null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (pythonDir !== null) rmSync(pythonDir, { recursive: true, force: true });
    rmSync(folders, { recursive: true, force: true });
  }
}

export function sideBySideRows(r) {
  const ms = (value) => `${value.toFixed(1)} ms`;
  const rows = [
    { measure: 'commit outside the watched areas: no hooks', value: ms(r.noHooksOutside), note: `${r.runs} runs each, interleaved` },
    {
      measure: "commit outside the watched areas: husky alone, husky's own wrappers (no hook script)",
      value: ms(r.huskyOwnOutside),
      note: `husky costs ${(r.huskyOwnOutside - r.noHooksOutside).toFixed(1)} ms a commit (4 hooks)`,
    },
    {
      measure: 'commit outside the watched areas: husky alone, the quick wrappers `paracle install` leaves',
      value: ms(r.huskyQuickOutside),
      note: `husky costs ${(r.huskyQuickOutside - r.noHooksOutside).toFixed(1)} ms a commit`,
    },
    {
      measure: "commit outside the watched areas: paracle (shell check, no node), husky's own wrappers",
      value: ms(r.paracleHuskyOwnOutside),
      note: `${(r.paracleHuskyOwnOutside / r.huskyOwnOutside).toFixed(2)}× husky alone with the same wrappers (target ≤ 1.1×)`,
    },
    {
      measure: 'commit outside the watched areas: paracle as installed (shell check, quick wrappers)',
      value: ms(r.paracleOutside),
      note: `${(r.paracleOutside / r.huskyQuickOutside).toFixed(2)}× husky alone with the same wrappers; ${(r.paracleOutside / r.huskyOwnOutside).toFixed(2)}× husky alone with its own`,
    },
    { measure: 'commit in packages/: no hooks', value: ms(r.noHooksPackages), note: '' },
    {
      measure: 'commit in packages/: skeleton (husky + node: git diff --cached, git status, git add)',
      value: ms(r.skeletonPackages),
      note: '',
    },
    {
      measure: 'commit in packages/: paracle',
      value: ms(r.paraclePackages),
      note: `${(r.paraclePackages / r.skeletonPackages).toFixed(2)}× the skeleton (target ≤ 1.2×)`,
    },
  ];
  if (r.pythonSkip !== null) {
    rows.push({ measure: 'Python hook (paracle’s pre-commit + auto-maintain.py)', value: 'skipped', note: r.pythonSkip });
  } else {
    rows.push(
      {
        measure: 'commit outside the watched areas: Python hook (paracle’s pre-commit + auto-maintain.py)',
        value: ms(r.pythonOutside),
        note: `paracle is ${(r.paracleOutside / r.pythonOutside).toFixed(2)}× it`,
      },
      {
        measure: 'commit in packages/: Python hook',
        value: ms(r.pythonPackages),
        note: `paracle is ${(r.paraclePackages / r.pythonPackages).toFixed(2)}× it`,
      },
    );
  }
  return rows;
}

export async function run({ quick, fixtures }) {
  return sideBySideRows(await measureSideBySide({ runs: quick ? 5 : 21, fixtures }));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--runs');
  const runs = at === -1 ? 15 : Number(process.argv[at + 1]);
  const rows = sideBySideRows(await measureSideBySide({ runs }));
  process.stdout.write(`| measure | median | note |\n| --- | --- | --- |\n`);
  for (const row of rows) process.stdout.write(`| ${row.measure} | ${row.value} | ${row.note} |\n`);
}
