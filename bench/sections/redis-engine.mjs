// The Redis engine (issue 21) against the file engine, in one run: one writer's save, 3 hosts × 4
// writers, catching up 1,000 revisions, and command and hook start-up with the engine off and on. Starts its
// own redis-server (AOF, fsync always) on a free loopback port; skipped with one line without one.
// Alone: `npm run build && node bench/sections/redis-engine.mjs [--quick]`.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { scratchRepository, timedCommit } from '../hook-commit.mjs';

const run = promisify(execFile);
export const title = 'redis engine';
const here = dirname(fileURLToPath(import.meta.url));

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

async function startRedis(dir) {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 200; i += 1) {
    if (spawnSync('redis-cli', ['-p', String(port), 'PING'], { encoding: 'utf8' }).stdout.trim() === 'PONG') return { port, child };
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error('redis-server did not start');
}

/** `count` checkouts of the real state in a fresh folder. */
function hosts(realStatePath, count) {
  const base = mkdtempSync(join(tmpdir(), 'paracle-bench-engine-'));
  const list = [];
  for (let i = 0; i < count; i += 1) {
    const root = join(base, `h${i}`, '.parac');
    mkdirSync(join(root, 'memory', 'context'), { recursive: true });
    cpSync(realStatePath, join(root, 'memory', 'context', 'current_state.yaml'));
    list.push(root);
  }
  return { base, list };
}

async function withEnv(env, fn) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

export async function measure({ projectRoot, realStatePath, quick }) {
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) {
    return [{ measure: 'skipped', value: '—', note: 'needs redis-server: apt-get install -y redis-server' }];
  }
  const lib = await import(pathToFileURL(join(projectRoot, 'dist', 'index.js')).href);
  const engineLib = await import(pathToFileURL(join(projectRoot, 'dist', 'engine', 'state-engine.js')).href);
  const dataDir = mkdtempSync(join(tmpdir(), 'paracle-bench-redis-'));
  const redis = await startRedis(dataDir);
  const url = `redis://127.0.0.1:${redis.port}/0`;
  const rows = [];
  const cleanup = [];
  try {
    // 1. One writer, in one process: saves through Redis against saves to the file alone, interleaved.
    const saves = quick ? 30 : 100;
    const local = hosts(realStatePath, 1);
    const shared = hosts(realStatePath, 1);
    cleanup.push(local.base, shared.base);
    const env = { PARACLE_REDIS_URL: url, PARACLE_REDIS_PREFIX: 'bench-one' };
    await withEnv(env, () =>
      run(process.execPath, [join(projectRoot, 'dist', 'cli', 'bin.js'), '--root', shared.list[0], 'engine', 'seed'], { env: process.env }),
    );
    const fileTimes = [];
    const redisTimes = [];
    for (let i = 0; i < saves + 5; i += 1) {
      let start = nowMs();
      await lib.updateState(local.list[0], (s) => s.updateProgress(i % 100));
      const f = nowMs() - start;
      start = nowMs();
      await withEnv(env, () => lib.updateState(shared.list[0], (s) => s.updateProgress(i % 100)));
      const r = nowMs() - start;
      if (i >= 5) {
        fileTimes.push(f);
        redisTimes.push(r);
      }
    }
    const [f, r] = [median(fileTimes), median(redisTimes)];
    rows.push({ measure: `one writer, update on the real file, file engine (median of ${saves})`, value: `${f.toFixed(2)} ms` });
    rows.push({
      measure: 'the same through Redis on loopback (median)',
      value: `${r.toFixed(2)} ms`,
      note: `${(r / f).toFixed(2)}× the file engine (target ≤ 1.5×)`,
    });

    // 2. 3 hosts × 4 writers through Redis, and the same 12 writers on one host with the file lock alone.
    const per = quick ? 10 : 25;
    const writer = join(here, '..', 'children', 'engine-writer.mjs');
    const race = async (roots, extraEnv) => {
      const start = nowMs();
      await Promise.all(
        roots.flatMap((root, h) =>
          [0, 1, 2, 3].map((p) =>
            run(process.execPath, [writer, root, `h${h}p${p}`, String(per)], { env: { ...process.env, ...extraEnv } }),
          ),
        ),
      );
      return (roots.length * 4 * per) / ((nowMs() - start) / 1000);
    };
    const three = hosts(realStatePath, 3);
    const one = hosts(realStatePath, 1);
    cleanup.push(three.base, one.base);
    const raceEnv = { PARACLE_REDIS_URL: url, PARACLE_REDIS_PREFIX: 'bench-race' };
    await run(process.execPath, [join(projectRoot, 'dist', 'cli', 'bin.js'), '--root', three.list[0], 'engine', 'seed'], {
      env: { ...process.env, ...raceEnv },
    });
    const viaRedis = await race(three.list, raceEnv);
    const fileOnly = await race([one.list[0], one.list[0], one.list[0]], {});
    rows.push({ measure: `3 hosts × 4 writers × ${per} updates through Redis`, value: `${viaRedis.toFixed(1)} updates/s` });
    rows.push({
      measure: `the same 12 writers on one host, file lock alone`,
      value: `${fileOnly.toFixed(1)} updates/s`,
      note: `Redis: ${(viaRedis / fileOnly).toFixed(2)}× the one-host rate`,
    });

    // 3. Catch-up: a host offline while another wrote 1,000 revisions.
    const catchUp = hosts(realStatePath, 2);
    cleanup.push(catchUp.base);
    const cuEnv = { PARACLE_REDIS_URL: url, PARACLE_REDIS_PREFIX: 'bench-catch-up' };
    const revisions = 1000;
    await withEnv(cuEnv, async () => {
      await run(process.execPath, [join(projectRoot, 'dist', 'cli', 'bin.js'), '--root', catchUp.list[0], 'engine', 'seed'], {
        env: process.env,
      });
      for (let i = 0; i < revisions; i += 1) await lib.updateState(catchUp.list[0], (s) => s.addCompleted(`item-${i}`));
      const start = nowMs();
      await engineLib.catchUpWithEngine(catchUp.list[1], 60);
      const took = nowMs() - start;
      const same =
        readFileSync(join(catchUp.list[0], 'memory/context/current_state.yaml'), 'utf8') ===
        readFileSync(join(catchUp.list[1], 'memory/context/current_state.yaml'), 'utf8');
      rows.push({
        measure: `catch-up of ${revisions} revisions on a host that was offline`,
        value: `${took.toFixed(0)} ms`,
        note: `target ≤ 1 s; files identical: ${same}`,
      });
    });

    // 4. Start-up: `paracle status` and `paracle session end` with the engine off and on, interleaved.
    const cli = join(projectRoot, 'dist', 'cli', 'bin.js');
    // Two checkouts: one never uses the engine (a write there would put it ahead of the shared head).
    const start = hosts(realStatePath, 2);
    const [offRoot, onRoot] = start.list;
    cleanup.push(start.base);
    const onEnv = { ...process.env, PARACLE_REDIS_URL: url, PARACLE_REDIS_PREFIX: 'bench-start' };
    const offEnv = { ...process.env };
    delete offEnv.PARACLE_REDIS_URL;
    await run(process.execPath, [cli, '--root', onRoot, 'engine', 'seed'], { env: onEnv });
    const timed = async (args, env) => {
      const t = nowMs();
      await run(process.execPath, args, { env });
      return nowMs() - t;
    };
    const runs = quick ? 7 : 21;
    const samples = { node: [], statusOff: [], statusOn: [], endOff: [], endOn: [] };
    for (let i = 0; i < runs + 2; i += 1) {
      const n = await timed(['-e', '0'], offEnv);
      const so = await timed([cli, '--root', offRoot, 'status'], offEnv);
      const sn = await timed([cli, '--root', onRoot, 'status'], onEnv);
      const eo = await timed([cli, '--root', offRoot, 'session', 'end', '--progress', String(i % 100)], offEnv);
      const en = await timed([cli, '--root', onRoot, 'session', 'end', '--progress', String(i % 100)], onEnv);
      if (i < 2) continue;
      samples.node.push(n);
      samples.statusOff.push(so);
      samples.statusOn.push(sn);
      samples.endOff.push(eo);
      samples.endOn.push(en);
    }
    const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    rows.push({ measure: 'node -e 0, interleaved (median)', value: `${m.node.toFixed(1)} ms` });
    rows.push({
      measure: 'paracle status, engine off',
      value: `${m.statusOff.toFixed(1)} ms`,
      note: `${(m.statusOff / m.node).toFixed(2)}× node start-up`,
    });
    rows.push({
      measure: 'paracle status, engine on',
      value: `${m.statusOn.toFixed(1)} ms`,
      note: `${(m.statusOn / m.statusOff).toFixed(2)}× engine off (target ≤ 1.3×)`,
    });
    rows.push({
      measure: 'paracle session end, engine off',
      value: `${m.endOff.toFixed(1)} ms`,
      note: `${(m.endOff / m.node).toFixed(2)}× node start-up`,
    });
    rows.push({
      measure: 'paracle session end, engine on',
      value: `${m.endOn.toFixed(1)} ms`,
      note: `${(m.endOn / m.endOff).toFixed(2)}× engine off (target ≤ 1.3×)`,
    });

    // 5. The pre-commit hook: `git commit` of one file in packages/ in two scratch repositories with
    // the hooks installed, one seeded on Redis (the hook's write goes through it), interleaved.
    const { runGit } = await import(pathToFileURL(join(projectRoot, 'dist', 'git', 'run-git.js')).href);
    const repoOff = await scratchRepository(runGit, dirname(realStatePath));
    const repoOn = await scratchRepository(runGit, dirname(realStatePath));
    cleanup.push(repoOff, repoOn);
    const hookEnv = { HUSKY: undefined, PARACLE: undefined, PARACLE_REDIS_URL: undefined, NO_COLOR: '1' };
    const hookEnvOn = { ...hookEnv, PARACLE_REDIS_URL: url, PARACLE_REDIS_PREFIX: 'bench-hook' };
    await run(process.execPath, [cli, 'engine', 'seed'], { cwd: repoOn, env: { ...process.env, ...hookEnvOn } });
    const commitIn = (dir, i, extraEnv) =>
      timedCommit(runGit, { dir, file: 'packages/bench/module.py', content: `change ${i}\n`, extraEnv });
    const hookSamples = { off: [], on: [] };
    for (let i = 0; i < runs + 2; i += 1) {
      const off = await commitIn(repoOff, i, hookEnv);
      const on = await commitIn(repoOn, i, hookEnvOn);
      if (i < 2) continue;
      hookSamples.off.push(off);
      hookSamples.on.push(on);
    }
    const [commitOff, commitOn] = [median(hookSamples.off), median(hookSamples.on)];
    rows.push({ measure: 'git commit (pre-commit hook writes the state), engine off', value: `${commitOff.toFixed(1)} ms` });
    rows.push({
      measure: 'the same commit, engine on',
      value: `${commitOn.toFixed(1)} ms`,
      note: `${(commitOn / commitOff).toFixed(2)}× engine off (target ≤ 1.3×)`,
    });
    await engineLib.closeStateEngines();
  } finally {
    redis.child.kill('SIGKILL');
    for (const dir of [...cleanup, dataDir]) rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export { measure as run };

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const projectRoot = resolve(here, '..', '..');
  const rows = await measure({
    projectRoot,
    realStatePath: join(projectRoot, 'test/fixtures/paracle/current_state.yaml'),
    quick: process.argv.includes('--quick'),
  });
  process.stdout.write(
    `| measure | value | note |\n| --- | --- | --- |\n${rows.map((r) => `| ${r.measure} | ${r.value} | ${r.note ?? ''} |`).join('\n')}\n`,
  );
  process.exit(0);
}
