// What the git hooks cost a commit: median wall time of `git commit` of one staged file in a
// scratch repository holding the real state file, with the hooks installed by `paracle install`
// and with them skipped (`--no-verify`), and `node -e 0` measured in the same run as the yardstick.
// Target: the hook adds at most 2× a bare node start-up.
//
//   node bench/hook-commit.mjs [--runs N]      (needs a built dist/; `npm run build`)
//
// The staged file is in a watched area (`packages/`), so every run does the whole job: status,
// lock, read, edit, write, changelog, stage, log. A commit touching no watched area is measured
// too (the hook then runs `git status`, with HEAD's subject asked for alongside, and stops).
//
// Three floors, in the same rounds, show what any pre-commit hook written for node costs here before
// it does its own work: husky's wrappers alone (our script sees PARACLE=0 and stops), husky running
// `node -e 0` as the whole hook, and husky running a node script that only asks `git status` and
// stages one file with `git add -u` (bench/children/skeleton-hook.cjs), the two git calls a hook
// that stages what it writes cannot do without.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..');
const cli = join(projectRoot, 'dist', 'cli', 'bin.js');
const skeletonHook = join(here, 'children', 'skeleton-hook.cjs');

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

export function runNode(args, cwd) {
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, args, { cwd }, (error, stdout, stderr) =>
      error ? reject(new Error(`${args.join(' ')}: ${stderr || error.message}`)) : resolvePromise(stdout),
    );
  });
}

/** A repository as a paracle-hooks user has it: hooks installed, the real state, one commit made. */
export async function scratchRepository(runGit, fixtures) {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'paracle-bench-hooks-')));
  const git = (args) => runGit(args, { cwd: dir, env: 'clean' });
  await git(['init', '-q', '-b', 'main']);
  for (const [key, value] of [
    ['user.name', 'Paracle Bench'],
    ['user.email', 'bench@paracle.invalid'],
    ['commit.gpgsign', 'false'],
    ['gc.auto', '0'],
    ['maintenance.auto', 'false'],
  ]) {
    await git(['config', key, value]);
  }
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'bench-project', private: true, devDependencies: { 'paracle-hooks': '*' } }, null, 2)}\n`,
  );
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(projectRoot, join(dir, 'node_modules', 'paracle-hooks'), 'dir');
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
  for (const [from, to] of [
    ['current_state.yaml', '.parac/memory/context/current_state.yaml'],
    ['changelog.md', '.parac/changelog.md'],
    ['roadmap.yaml', '.parac/roadmap/roadmap.yaml'],
  ]) {
    mkdirSync(dirname(join(dir, to)), { recursive: true });
    copyFileSync(join(fixtures, from), join(dir, to));
  }
  await runNode([cli, 'install', '--quiet'], dir);
  await git(['add', '-A']);
  await runGit(['commit', '-q', '-m', 'initial'], { cwd: dir, env: 'clean', fixedFlags: false });
  return dir;
}

/**
 * Writes `content` to `file` in `dir`, stages it, and times `git commit` of it alone (the write and
 * the `git add` are not timed): `args` go after `commit`, `gitConfig` (`-c` pairs) before it.
 */
export async function timedCommit(runGit, { dir, file, content, args = [], gitConfig = [], extraEnv }) {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), content);
  await runGit(['add', '--', file], { cwd: dir, env: 'clean' });
  const start = nowMs();
  await runGit([...gitConfig, 'commit', '-q', '-m', `bench ${content.trim()}`, ...args], {
    cwd: dir,
    env: 'clean',
    fixedFlags: false,
    extraEnv,
  });
  return nowMs() - start;
}

export async function benchHookCommit({ runs = 15, fixtures } = {}) {
  const { runGit } = await import(pathToFileURL(join(projectRoot, 'dist', 'git', 'run-git.js')).href);
  const fixturesDir = fixtures ?? resolve(projectRoot, 'test/fixtures/paracle');
  const dir = await scratchRepository(runGit, fixturesDir);
  try {
    // Never a surrounding hook's GIT_INDEX_FILE, never a switch that turns the hooks off.
    const env = { HUSKY: undefined, PARACLE: undefined, NO_COLOR: '1' };
    const commit = (file, content, args, extraEnv = env) => timedCommit(runGit, { dir, file, content, args, extraEnv });
    const nodeStart = async () => {
      const start = nowMs();
      await runNode(['-e', '0'], dir);
      return nowMs() - start;
    };
    // The floors swap the project's .husky/pre-commit for a stand-in, and put it back after.
    const huskyScript = join(dir, '.husky', 'pre-commit');
    const ourScript = readFileSync(huskyScript, 'utf8');
    const withStandIn = async (script, file, content) => {
      writeFileSync(huskyScript, script);
      try {
        return await commit(file, content, []);
      } finally {
        writeFileSync(huskyScript, ourScript);
      }
    };
    const samples = { withHooks: [], withoutHooks: [], unwatched: [], huskyOnly: [], bareNode: [], skeleton: [], nodeStart: [] };
    const warmup = Math.min(3, runs);
    // Interleaved, so a noisy neighbour slows every kind of run alike. The yardstick is sampled
    // three times a round, between the commits: it is the divisor of every ratio, and on a shared
    // machine one sample a round left it the noisiest figure of the run.
    for (let i = -warmup; i < runs; i += 1) {
      const starts = [await nodeStart()];
      const round = {
        withHooks: await commit('packages/bench/module.py', `with ${i}\n`, []),
        withoutHooks: await commit('packages/bench/module.py', `without ${i}\n`, ['--no-verify']),
      };
      starts.push(await nodeStart());
      round.unwatched = await commit('notes/bench.txt', `unwatched ${i}\n`, []);
      // husky's own wrappers still run, ours stops at once: husky's share of the cost.
      round.huskyOnly = await commit('packages/bench/module.py', `husky ${i}\n`, [], { ...env, PARACLE: '0' });
      starts.push(await nodeStart());
      round.bareNode = await withStandIn('node -e 0\n', 'packages/bench/module.py', `bare ${i}\n`);
      round.skeleton = await withStandIn(`node ${JSON.stringify(skeletonHook)}\n`, 'packages/bench/module.py', `skeleton ${i}\n`);
      if (i < 0) continue;
      for (const [key, ms] of Object.entries(round)) samples[key].push(ms);
      samples.nodeStart.push(...starts);
    }
    return {
      withHooksMs: median(samples.withHooks),
      withoutHooksMs: median(samples.withoutHooks),
      nodeStartMs: median(samples.nodeStart),
      withHooksUnwatchedMs: median(samples.unwatched),
      huskyOnlyMs: median(samples.huskyOnly),
      bareNodeMs: median(samples.bareNode),
      skeletonMs: median(samples.skeleton),
      runs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The hook's cost as a multiple of a bare node start-up (the target is ≤ 2). */
export function hookCostRatio(result) {
  return (result.withHooksMs - result.withoutHooksMs) / result.nodeStartMs;
}

/** What a floor (a stand-in hook) adds to the commit, as a multiple of a bare node start-up. */
export function floorRatio(result, key) {
  return (result[key] - result.withoutHooksMs) / result.nodeStartMs;
}

export function formatHookCommit(result) {
  const added = result.withHooksMs - result.withoutHooksMs;
  const unwatched = result.withHooksUnwatchedMs - result.withoutHooksMs;
  return [
    `git commit, hooks installed (staged file in packages/): ${result.withHooksMs.toFixed(1)} ms median of ${result.runs}`,
    `git commit, hooks skipped (--no-verify):                 ${result.withoutHooksMs.toFixed(1)} ms`,
    `git commit, hooks installed, no watched area touched:    ${result.withHooksUnwatchedMs.toFixed(1)} ms`,
    `git commit, hooks installed but PARACLE=0 (husky only):  ${result.huskyOnlyMs.toFixed(1)} ms = ${floorRatio(result, 'huskyOnlyMs').toFixed(2)}×`,
    `git commit, husky running \`node -e 0\` as the hook:      ${result.bareNodeMs.toFixed(1)} ms = ${floorRatio(result, 'bareNodeMs').toFixed(2)}×`,
    `git commit, husky running node + git status + git add:  ${result.skeletonMs.toFixed(1)} ms = ${floorRatio(result, 'skeletonMs').toFixed(2)}×`,
    `node -e 0:                                               ${result.nodeStartMs.toFixed(1)} ms`,
    `the hook adds ${added.toFixed(1)} ms = ${hookCostRatio(result).toFixed(2)}× a node start-up (target ≤ 2×); ` +
      `${unwatched.toFixed(1)} ms = ${(unwatched / result.nodeStartMs).toFixed(2)}× when no watched area is touched`,
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--runs');
  const runs = at === -1 ? 15 : Number(process.argv[at + 1]);
  const result = await benchHookCommit({ runs });
  process.stdout.write(`${formatHookCommit(result)}\n`);
}
