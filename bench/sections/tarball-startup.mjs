// `npm run bench` section: start-up as users get it. `npm pack` of this checkout, installed from the
// tarball (a `file:` devDependency) into a scratch project with the real state file, hooks installed
// by the installed `paracle-hooks install`. Measured there, interleaved with `node -e 0`:
//
//   - `paracle status`: the bundle chosen by build id, its code cache warm (target ≤ 2× node -e 0);
//     the same with the code cache removed before each run, and from a copy whose module tree was
//     rebuilt without the bundle (so the module tree runs): what the bundle and the cache each buy;
//   - the pre-commit hook: `git commit` of a file in packages/ with the hooks, minus the same commit
//     with --no-verify (target ≤ 2× node -e 0).
//
// Which path ran is checked, not assumed: the bundle leaves its code cache in XDG_CACHE_HOME.
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const title = 'tarball install';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function exec(command, args, cwd, env = {}) {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { cwd, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr || error.message}`)) : resolvePromise(stdout),
    );
  });
}

async function timed(command, args, cwd, env) {
  const start = nowMs();
  await exec(command, args, cwd, env);
  return nowMs() - start;
}

/** The scratch project: the tarball installed as a devDependency, a git repository, the real state, hooks installed. */
async function installedProject(projectRoot, fixtures, scratch) {
  const packDir = join(scratch, 'pack');
  mkdirSync(packDir);
  // With its scripts, as `npm publish` packs: prepack leaves this checkout's own `prepare` out (scripts/pack-manifest.mjs).
  execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: projectRoot, stdio: 'ignore' });
  const tarball = join(
    packDir,
    readdirSync(packDir).find((file) => file.endsWith('.tgz')),
  );
  const dir = join(scratch, 'project');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'bench-user-project', private: true, devDependencies: { 'paracle-hooks': `file:${tarball}` } }, null, 2)}\n`,
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: dir, stdio: 'ignore' });
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore', env: { ...process.env, PARACLE: '0' } });
  git('init', '-q', '-b', 'main');
  for (const [key, value] of [
    ['user.name', 'Paracle Bench'],
    ['user.email', 'bench@paracle.invalid'],
    ['commit.gpgsign', 'false'],
    ['gc.auto', '0'],
    ['maintenance.auto', 'false'],
  ]) {
    git('config', key, value);
  }
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
  for (const [from, to] of [
    ['current_state.yaml', '.parac/memory/context/current_state.yaml'],
    ['changelog.md', '.parac/changelog.md'],
    ['roadmap.yaml', '.parac/roadmap/roadmap.yaml'],
  ]) {
    mkdirSync(dirname(join(dir, to)), { recursive: true });
    copyFileSync(join(fixtures, from), join(dir, to));
  }
  const bin = join(dir, 'node_modules', 'paracle-hooks', 'dist', 'cli', 'bin.js');
  execFileSync(process.execPath, [bin, 'install', '--quiet'], { cwd: dir, stdio: 'ignore' });
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return { dir, bin };
}

/** A copy of the installed package whose module tree was rebuilt without the bundle (a bare tsc): the tree runs. */
function treeOnlyCopy(dir, scratch) {
  const copy = join(scratch, 'tree-only');
  cpSync(dir, copy, { recursive: true, verbatimSymlinks: true });
  const main = join(copy, 'node_modules', 'paracle-hooks', 'dist', 'cli', 'main.js');
  writeFileSync(main, readFileSync(main, 'utf8').replace(/\/\/ paracle-build-id: .*\n$/, ''));
  return { dir: copy, bin: join(copy, 'node_modules', 'paracle-hooks', 'dist', 'cli', 'bin.js') };
}

export async function measure({ projectRoot, fixtures, quick }) {
  const scratch = mkdtempSync(join(tmpdir(), 'paracle-bench-tarball-'));
  try {
    const cache = join(scratch, 'cache');
    // Never a switch that turns the hooks off.
    const env = { XDG_CACHE_HOME: cache, HUSKY: '', PARACLE: '', NO_COLOR: '1' };
    const project = await installedProject(projectRoot, fixtures, scratch);
    const tree = treeOnlyCopy(project.dir, scratch);
    const statusCaches = () => {
      const root = join(cache, 'paracle-hooks');
      if (!existsSync(root)) return [];
      return readdirSync(root)
        .map((build) => join(root, build, 'cli-bundle-status.v8-cache'))
        .filter((file) => existsSync(file));
    };
    const clearStatusCache = () => {
      for (const file of statusCaches()) rmSync(file);
    };

    let counter = 0;
    const commit = async (extra) => {
      counter += 1;
      const file = join(project.dir, 'packages', 'bench', 'module.py');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `round ${counter}\n`);
      await exec('git', ['add', '--', 'packages/bench/module.py'], project.dir, env);
      return timed('git', ['commit', '-q', '-m', `bench ${counter}`, ...extra], project.dir, env);
    };

    const runs = quick ? 7 : 21;
    const samples = { node: [], version: [], status: [], statusCold: [], statusTree: [], hook: [], noHook: [] };
    let bundleRan = true;
    for (let i = -2; i < runs; i += 1) {
      const round = {
        node: [await timed(process.execPath, ['-e', '0'], project.dir, env)],
        version: await timed(process.execPath, [project.bin, '--version'], project.dir, env),
        status: await timed(process.execPath, [project.bin, 'status'], project.dir, env),
      };
      bundleRan &&= statusCaches().length === 1;
      round.node.push(await timed(process.execPath, ['-e', '0'], project.dir, env));
      round.hook = await commit([]);
      round.noHook = await commit(['--no-verify']);
      round.node.push(await timed(process.execPath, ['-e', '0'], project.dir, env));
      clearStatusCache();
      round.statusCold = await timed(process.execPath, [project.bin, 'status'], project.dir, env);
      round.statusTree = await timed(process.execPath, [tree.bin, 'status'], tree.dir, env);
      await exec(process.execPath, [project.bin, 'status'], project.dir, env); // warm the cache again
      if (i < 0) continue;
      samples.node.push(...round.node);
      for (const key of ['version', 'status', 'statusCold', 'statusTree', 'hook', 'noHook']) samples[key].push(round[key]);
    }
    const m = Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, median(values)]));
    const ratio = (ms) => `${(ms / m.node).toFixed(2)}× node start-up`;
    const hookCost = m.hook - m.noHook;
    return [
      { measure: 'node -e 0, interleaved (median)', value: `${m.node.toFixed(1)} ms`, note: `${runs} rounds, 3 samples a round` },
      { measure: 'paracle --version from the tarball install', value: `${m.version.toFixed(1)} ms`, note: ratio(m.version) },
      {
        measure: 'paracle status from the tarball install (bundle, code cache warm)',
        value: `${m.status.toFixed(1)} ms`,
        note: `${ratio(m.status)} (target ≤ 2×); bundle ran: ${bundleRan ? 'yes (its code cache was written)' : 'NO'}`,
      },
      { measure: 'the same, code cache removed before each run', value: `${m.statusCold.toFixed(1)} ms`, note: ratio(m.statusCold) },
      {
        measure: 'the same from a module tree rebuilt without the bundle (tree runs)',
        value: `${m.statusTree.toFixed(1)} ms`,
        note: ratio(m.statusTree),
      },
      { measure: 'git commit of a file in packages/, hooks from the tarball install', value: `${m.hook.toFixed(1)} ms`, note: '' },
      { measure: 'the same commit with --no-verify', value: `${m.noHook.toFixed(1)} ms`, note: '' },
      {
        measure: 'cost the pre-commit hook adds, tarball install',
        value: `${hookCost.toFixed(1)} ms`,
        note: `${ratio(hookCost)} (target ≤ 2×)`,
      },
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export { measure as run };
