import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ChildRun, childScript } from './support/children.js';
import { REAL_STATE, tempDir } from './support/fixtures.js';
import { CLI, cloneTestRepo, LOG_REL, makeTestRepo, runNode, STATE_REL, type RunResult } from './support/git-repo.js';
import { describeWithRedis, FaultyProxy, freePort, makeTlsCertificate, RedisServer } from './support/redis-server.js';

/**
 * Issue 21: one state across hosts on a real redis-server. Each "host" is its own checkout folder
 * with no shared files; they meet only through Redis. Every test uses its own key prefix.
 */

const STRESS = process.env.PARACLE_STRESS === 'long';
const server = new RedisServer();
let prefixCounter = 0;

interface Host {
  name: string;
  dir: string;
  root: string;
}

interface World {
  prefix: string;
  url: string;
  hosts: Host[];
  env: Record<string, string>;
  run(host: Host, args: string[], env?: Record<string, string>): Promise<RunResult>;
  files(host: Host): { state: string; log: string };
}

/** `count` checkouts of one project (the real paracle state, or `paracle init`'s), each in its own folder. */
async function makeWorld(count: number, options: { url?: string; real?: boolean; env?: Record<string, string> } = {}): Promise<World> {
  const prefix = `test-${process.pid}-${(prefixCounter += 1)}`;
  const base = tempDir('paracle-hosts-');
  const template = join(base, 'template');
  mkdirSync(template);
  const init = await runNode([CLI, 'init'], template);
  if (init.exitCode !== 0) throw new Error(init.stderr);
  if (options.real) writeFileSync(join(template, STATE_REL), readFileSync(REAL_STATE));
  const hosts: Host[] = [];
  for (let i = 0; i < count; i += 1) {
    const name = String.fromCharCode(97 + i);
    const dir = join(base, name);
    cpSync(template, dir, { recursive: true });
    hosts.push({ name, dir, root: join(dir, '.parac') });
  }
  const url = options.url ?? server.url;
  const env = { PARACLE_REDIS_URL: url, PARACLE_REDIS_PREFIX: prefix, ...options.env };
  return {
    prefix,
    url,
    hosts,
    env,
    run: (host, args, extra = {}) => runNode([CLI, '--root', host.root, ...args], host.dir, { ...env, ...extra }),
    files: (host) => ({ state: readFileSync(join(host.dir, STATE_REL), 'utf8'), log: readText(join(host.dir, LOG_REL)) }),
  };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function ok(result: Promise<RunResult>): Promise<RunResult> {
  const done = await result;
  if (done.exitCode !== 0) throw new Error(`exit ${done.exitCode}: ${done.stderr}${done.stdout}`);
  return done;
}

function writer(world: World, host: Host, prefix: string, count: number, env: Record<string, string> = {}): ChildRun {
  return new ChildRun(childScript('engine-writer.mjs'), [host.root, prefix, String(count)], { env: { ...world.env, ...env } });
}

function acknowledged(runs: readonly ChildRun[]): string[] {
  return runs.flatMap((run) => run.lines.filter((line) => line.startsWith('ack ')).map((line) => line.split(' ')[1]!));
}

/** Every host caught up, then: the same bytes everywhere, each revision once, the trail rebuilds the file. */
async function expectConverged(world: World, hosts = world.hosts): Promise<{ completed: string[]; revisions: number[] }> {
  for (const host of hosts) await ok(world.run(host, ['status']));
  const first = world.files(hosts[0]!);
  for (const host of hosts.slice(1)) {
    const files = world.files(host);
    expect(files.state, `state file of host ${host.name}`).toBe(first.state);
    expect(files.log, `audit log of host ${host.name}`).toBe(first.log);
  }
  for (const host of hosts) await ok(world.run(host, ['replay', '--check']));
  const status = JSON.parse((await ok(world.run(hosts[0]!, ['status', '--json']))).stdout);
  expect(status.revision).toBeGreaterThan(0);
  // Each write's last audit line (after `paracle init`'s) carries the hash of the text it wrote: one such line per revision.
  const revisions = first.log
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { revision: number; sha?: string; change_type: string })
    .filter((entry) => entry.sha !== undefined && entry.change_type !== 'init' && !entry.change_type.startsWith('engine_'))
    .map((entry) => entry.revision);
  const phase = (parse(first.state) as { current_phase?: { completed?: string[] } }).current_phase;
  return { completed: phase?.completed ?? [], revisions };
}

describeWithRedis('the Redis engine (issue 21)', server, () => {
  it('a write on one host is what every other host reads, byte for byte, and engine status says where each stands', async () => {
    const world = await makeWorld(3);
    const [a, b, c] = world.hosts as [Host, Host, Host];
    const seeded = await ok(world.run(a, ['engine', 'seed']));
    expect(seeded.stdout).toMatch(/seeded Redis 127\.0\.0\.1:\d+\/0 with revision 0/);
    await ok(world.run(a, ['session', 'end', '--complete', 'API gateway', '--progress', '30']));
    const onB = await ok(world.run(b, ['status']));
    expect(onB.stdout).toMatch(/progress\s+30%/);
    expect(onB.stdout).toMatch(/revision\s+1 /);
    const statusC = JSON.parse((await ok(world.run(c, ['engine', 'status', '--json']))).stdout);
    expect(statusC).toMatchObject({ reachable: true, head: 1, local: 0, lag: 1, lock: null, storedRevisions: 1, snapshot: 0 });
    expect(statusC.url).toBe(world.url);
    expect((await ok(world.run(c, ['history', 'current_phase.progress']))).stdout).toMatch(/30%/);
    await expectConverged(world);
    expect(JSON.parse((await ok(world.run(c, ['engine', 'status', '--json']))).stdout)).toMatchObject({ head: 1, local: 1, lag: 0 });
  });

  it(`3 hosts × 4 processes × ${STRESS ? 60 : 25} updates at once: every acknowledged update is there once, and the hosts are byte-identical`, async () => {
    const world = await makeWorld(3, { real: true });
    await ok(world.run(world.hosts[0]!, ['engine', 'seed']));
    const per = STRESS ? 60 : 25;
    const runs = world.hosts.flatMap((host) => [0, 1, 2, 3].map((p) => writer(world, host, `${host.name}${p}`, per)));
    await Promise.all(runs.map((run) => run.succeed(240_000)));
    const acked = acknowledged(runs);
    expect(acked).toHaveLength(12 * per);
    const { completed, revisions } = await expectConverged(world);
    for (const item of acked) expect(completed).toContain(item);
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(revisions).toHaveLength(12 * per);
  }, 300_000);

  it('writers SIGKILLed at random points lose nothing that was acknowledged, and leave the hosts converged', async () => {
    // A killed holder's shared lock lasts until its lease ends: a short one keeps the run short.
    const world = await makeWorld(3, { env: { PARACLE_REDIS_LOCK_TTL_MS: '1000' } });
    await ok(world.run(world.hosts[0]!, ['engine', 'seed']));
    const rounds = STRESS ? 8 : 3;
    const runs: ChildRun[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const batch = world.hosts.map((host) => writer(world, host, `${host.name}r${round}`, 50));
      runs.push(...batch);
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 700));
      for (const run of batch) run.process.kill('SIGKILL');
      await Promise.all(batch.map((run) => run.exited));
    }
    // The shared lock of a killed holder expires by its TTL; one more writer per host finishes the run.
    const last = world.hosts.map((host) => writer(world, host, `${host.name}-last`, 3));
    await Promise.all(last.map((run) => run.succeed(60_000)));
    const { completed, revisions } = await expectConverged(world);
    for (const item of acknowledged([...runs, ...last])) expect(completed).toContain(item);
    expect(new Set(revisions).size).toBe(revisions.length);
  }, 180_000);

  it('a lock holder SIGSTOPped past its TTL loses the lock; its late write is refused and nothing is lost', async () => {
    const world = await makeWorld(2, { env: { PARACLE_REDIS_LOCK_TTL_MS: '600' } });
    const [a, b] = world.hosts as [Host, Host];
    await ok(world.run(a, ['engine', 'seed']));
    const holder = new ChildRun(childScript('engine-hold.mjs'), [a.root, 'late-item'], { env: world.env });
    await holder.waitForLine('holding');
    holder.process.kill('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await ok(world.run(b, ['session', 'end', '--complete', 'on-time-item']));
    holder.process.kill('SIGCONT');
    holder.process.stdin?.write('go\n');
    const verdict = await holder.waitForLine(/^(ack|refused) /);
    expect(verdict).toMatch(/^refused STATE_CONFLICT .*moved to revision 1/);
    const { completed } = await expectConverged(world);
    expect(completed).toContain('on-time-item');
    expect(completed).not.toContain('late-item');
  }, 60_000);

  it('a host that waits past --timeout for the shared lock gets exit 3 naming the holder; lock status shows it', async () => {
    const world = await makeWorld(2);
    const [a, b] = world.hosts as [Host, Host];
    await ok(world.run(a, ['engine', 'seed']));
    const holder = new ChildRun(childScript('engine-hold.mjs'), [a.root, 'held-item'], { env: world.env });
    try {
      await holder.waitForLine('holding');
      const pid = holder.process.pid;
      const status = await ok(world.run(b, ['lock', 'status']));
      expect(status.stdout).toMatch(
        new RegExp(`^redis \\(127\\.0\\.0\\.1:\\d+/0\\): held by pid ${pid} on \\S+ \\(.*\\) since \\d{4}-`, 'm'),
      );
      const waited = await world.run(b, ['--timeout', '1', 'session', 'end', '--complete', 'waiting-item']);
      expect(waited.exitCode).toBe(3);
      expect(waited.stderr.trim().split('\n')).toHaveLength(1);
      expect(waited.stderr).toMatch(new RegExp(`shared state lock on Redis .* is held by pid ${pid} on host \\S+ since \\d{4}-`));
      holder.process.stdin?.write('go\n');
      expect(await holder.waitForLine(/^(ack|refused) /)).toBe('ack 1');
    } finally {
      holder.process.kill();
    }
    const { completed } = await expectConverged(world);
    expect(completed).toEqual(['held-item']);
  });

  it('Redis down when a write starts: exit 5, one line naming host:port, nothing written anywhere', async () => {
    const port = await freePort();
    const world = await makeWorld(1, { url: `redis://:secret@127.0.0.1:${port}/0` });
    const host = world.hosts[0]!;
    const before = world.files(host);
    const result = await world.run(host, ['session', 'end', '--complete', 'never']);
    expect(result.exitCode).toBe(5);
    expect(result.stderr.trim().split('\n')).toEqual([
      `paracle: Redis at 127.0.0.1:${port}/0: connection refused: is redis-server running there? (PARACLE_REDIS_URL)`,
    ]);
    expect(result.stderr).not.toContain('secret');
    expect(world.files(host)).toEqual(before);
  });

  it('redis-server SIGKILLed mid-run and restarted from its AOF: writers retry, every acknowledged update survives', async () => {
    const own = new RedisServer();
    await own.start();
    try {
      // The AOF keeps a lock taken before the kill until its lease ends: a short one keeps the run short.
      const world = await makeWorld(2, { url: own.url, env: { PARACLE_REDIS_TIMEOUT_MS: '1000', PARACLE_REDIS_LOCK_TTL_MS: '1000' } });
      await ok(world.run(world.hosts[0]!, ['engine', 'seed']));
      const runs = world.hosts.flatMap((host) => [0, 1].map((p) => writer(world, host, `${host.name}${p}`, 15)));
      await Promise.all(runs.map((run) => run.waitForLine(/^ack /)));
      await own.kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 500));
      await own.start();
      await Promise.all(runs.map((run) => run.succeed(120_000)));
      expect(runs.some((run) => run.lines.some((line) => line.startsWith('retry ENGINE_UNAVAILABLE')))).toBe(true);
      const { completed, revisions } = await expectConverged(world);
      for (const item of acknowledged(runs)) expect(completed).toContain(item);
      expect(acknowledged(runs)).toHaveLength(60);
      expect(new Set(revisions).size).toBe(revisions.length);
    } finally {
      await own.kill();
    }
  }, 180_000);

  it('a proxy that stalls replies ends the command in bounded time; one that drops the reply to a commit gets it applied exactly once', async () => {
    const proxy = new FaultyProxy(server.port);
    await proxy.start();
    try {
      const world = await makeWorld(2, { url: proxy.url, env: { PARACLE_REDIS_TIMEOUT_MS: '800', PARACLE_REDIS_LOCK_TTL_MS: '1000' } });
      const [a, b] = world.hosts as [Host, Host];
      await ok(world.run(a, ['engine', 'seed']));
      const before = world.files(a);
      proxy.mode = 'stall';
      const started = Date.now();
      const stalled = await world.run(a, ['session', 'end', '--complete', 'stalled']);
      expect(stalled.exitCode).toBe(5);
      expect(stalled.stderr).toMatch(/^paracle: Redis at 127\.0\.0\.1:\d+\/0: no answer within 0\.8 s/);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(world.files(a)).toEqual(before);
      // A first write loads the scripts, so the dropped request is the commit itself, not a NOSCRIPT round.
      proxy.mode = 'pass';
      await writer(world, a, 'warm', 1).succeed(30_000);
      proxy.mode = 'drop-after-request';
      proxy.dropOn = /"op":"/;
      // The caller sees one success, not a conflict with its own write: the retry is recognised by its operation id.
      const once = writer(world, a, 'dropped', 1);
      await once.succeed(30_000);
      expect(once.lines).toEqual(['ack dropped-0 2', 'done']);
      expect(proxy.drops).toBe(1);
      const { completed, revisions } = await expectConverged(world, [a, b]);
      expect(completed.filter((item) => item === 'dropped-0')).toHaveLength(1);
      expect(completed).not.toContain('stalled');
      expect(revisions).toEqual([1, 2]);
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  it('FLUSHALL is detected and refused with one line; engine seed re-uploads only when asked', async () => {
    const own = new RedisServer();
    await own.start();
    try {
      const world = await makeWorld(2, { url: own.url });
      const [a, b] = world.hosts as [Host, Host];
      await ok(world.run(a, ['engine', 'seed']));
      await ok(world.run(a, ['session', 'end', '--complete', 'before-flush']));
      await ok(world.run(b, ['status']));
      own.cli(['FLUSHALL']);
      const before = world.files(b);
      const refused = await world.run(b, ['session', 'end', '--complete', 'after-flush']);
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toMatch(/holds no state for project .*its data was lost.*paracle engine seed/);
      expect(world.files(b)).toEqual(before);
      await ok(world.run(b, ['engine', 'seed']));
      await ok(world.run(a, ['session', 'end', '--complete', 'after-reseed']));
      const { completed } = await expectConverged(world);
      expect(completed).toEqual(expect.arrayContaining(['before-flush', 'after-reseed']));
    } finally {
      await own.kill();
    }
  }, 60_000);

  it("another project's seed under the same prefix is refused as another history; seed --force is required to replace a head", async () => {
    const world = await makeWorld(2);
    const [a, b] = world.hosts as [Host, Host];
    await ok(world.run(a, ['engine', 'seed']));
    await ok(world.run(a, ['session', 'end', '--complete', 'one']));
    await ok(world.run(a, ['session', 'end', '--complete', 'two']));
    await ok(world.run(b, ['status']));
    const other = (await makeWorld(1)).hosts[0]!;
    await ok(world.run(other, ['session', 'end', '--complete', 'elsewhere'], { PARACLE_REDIS_URL: '' }));
    const refusedSeed = await world.run(other, ['engine', 'seed']);
    expect(refusedSeed.exitCode).toBe(1);
    expect(refusedSeed.stderr).toMatch(/already holds revision 2 .*--force/);
    await ok(world.run(other, ['session', 'end', '--complete', 'elsewhere-too'], { PARACLE_REDIS_URL: '' }));
    await ok(world.run(other, ['engine', 'seed', '--force']));
    const before = world.files(b);
    const refused = await world.run(b, ['status']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/does not continue the history Redis holds/);
    expect(world.files(b)).toEqual(before);
  });

  it('compact keeps the newest revisions; a host further behind loads the snapshot and rebuilds the same file', async () => {
    const world = await makeWorld(3);
    const [a, b, c] = world.hosts as [Host, Host, Host];
    await ok(world.run(a, ['engine', 'seed']));
    for (let i = 0; i < 6; i += 1) await ok(world.run(i % 2 ? a : b, ['session', 'end', '--complete', `item-${i}`]));
    const compacted = JSON.parse((await ok(world.run(a, ['--json', 'engine', 'compact', '--keep', '2']))).stdout);
    expect(compacted).toMatchObject({ success: true, snapshot: 4, dropped: 4 });
    expect(JSON.parse((await ok(world.run(c, ['engine', 'status', '--json']))).stdout)).toMatchObject({
      head: 6,
      local: 0,
      storedRevisions: 2,
      snapshot: 4,
    });
    await ok(world.run(c, ['status']));
    expect(world.files(c).state).toBe(world.files(a).state);
    await ok(world.run(c, ['replay', '--check']));
  });

  describe('bad input: one line, exit 5 or 2, nothing written', () => {
    const cases: Array<{ name: string; url: () => Promise<string>; exit: number; line: RegExp }> = [
      { name: 'a malformed URL', url: async () => 'redis//nohost', exit: 2, line: /^paracle: PARACLE_REDIS_URL: not a URL/ },
      {
        name: 'a wrong password',
        url: async () => `redis://:wrong-password@127.0.0.1:${server.port}/0`,
        exit: 5,
        line: /^paracle: Redis at 127\.0\.0\.1:\d+\/0: refused the password/,
      },
      {
        name: 'a database index out of range',
        url: async () => `redis://127.0.0.1:${server.port}/99`,
        exit: 5,
        line: /^paracle: Redis at 127\.0\.0\.1:\d+\/99: has no such database/,
      },
    ];
    for (const testCase of cases) {
      it(testCase.name, async () => {
        const world = await makeWorld(1, { url: await testCase.url() });
        const host = world.hosts[0]!;
        const before = world.files(host);
        const result = await world.run(host, ['session', 'end', '--complete', 'x']);
        expect(result.exitCode).toBe(testCase.exit);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr).toMatch(testCase.line);
        expect(result.stderr).not.toContain('wrong-password');
        expect(world.files(host)).toEqual(before);
      });
    }

    it('a port that is not Redis (an HTTP server)', async () => {
      const http = createServer((_req, res) => res.end('hello'));
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const port = (http.address() as { port: number }).port;
      try {
        const world = await makeWorld(1, { url: `redis://127.0.0.1:${port}`, env: { PARACLE_REDIS_TIMEOUT_MS: '1000' } });
        const host = world.hosts[0]!;
        const before = world.files(host);
        const result = await world.run(host, ['session', 'end', '--complete', 'x']);
        expect(result.exitCode).toBe(5);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr).toMatch(
          new RegExp(`^paracle: Redis at 127\\.0\\.0\\.1:${port}: (does not speak the Redis protocol|no answer)`),
        );
        expect(world.files(host)).toEqual(before);
      } finally {
        http.closeAllConnections();
        await new Promise((resolve) => http.close(resolve));
      }
    });
  });

  it('rediss:// reaches a TLS-only redis-server whose CA node is given; an untrusted certificate or plain redis:// to it is one line, exit 5', async (context) => {
    const tls = makeTlsCertificate(tempDir('paracle-tls-'));
    if (tls === null) {
      if (process.env.CI) throw new Error('the TLS test needs openssl (.ci/run installs it)');
      context.skip('needs openssl: apt-get install -y openssl');
      return;
    }
    const own = new RedisServer([], { tls });
    await own.start();
    try {
      const world = await makeWorld(2, { url: own.url, env: { NODE_EXTRA_CA_CERTS: tls.cert } });
      const [a, b] = world.hosts as [Host, Host];
      await ok(world.run(a, ['engine', 'seed']));
      await ok(world.run(a, ['session', 'end', '--complete', 'over TLS']));
      await ok(world.run(b, ['status']));
      expect(world.files(b)).toEqual(world.files(a));
      expect(own.cli(['HGET', `{paracle:${world.prefix}}:head`, 'rev']).trim()).toBe('1');

      const before = world.files(b);
      const untrusted = await world.run(b, ['session', 'end', '--complete', 'x'], { NODE_EXTRA_CA_CERTS: '' });
      expect(untrusted.exitCode).toBe(5);
      expect(untrusted.stderr.trim().split('\n')).toHaveLength(1);
      expect(untrusted.stderr).toMatch(
        /^paracle: Redis at 127\.0\.0\.1:\d+\/0: its TLS certificate was not trusted \(\w+\): give its CA to node with NODE_EXTRA_CA_CERTS/,
      );
      const plain = await world.run(b, ['session', 'end', '--complete', 'x'], { PARACLE_REDIS_URL: own.url.replace('rediss:', 'redis:') });
      expect(plain.exitCode).toBe(5);
      expect(plain.stderr.trim().split('\n')).toHaveLength(1);
      expect(plain.stderr).toMatch(/before any reply: does it expect to be reached with TLS \(rediss:\/\/\)/);
      expect(world.files(b)).toEqual(before);
    } finally {
      await own.kill('SIGTERM');
    }
  });

  it('hooks with the engine on: a commit on host A is what `paracle status` shows on host B; Redis down stops the commit with one line', async () => {
    const prefix = `hooks-${process.pid}`;
    const env = { PARACLE_REDIS_URL: server.url, PARACLE_REDIS_PREFIX: prefix };
    const a = await makeTestRepo({ committed: true });
    const b = await cloneTestRepo(a);
    await ok(b.paracle(['install']));
    await ok(a.paracle(['engine', 'seed'], { env }));
    const seeded = JSON.parse((await ok(a.paracle(['status', '--json'], { env }))).stdout).revision as number;
    a.write('packages/core/feature.py', 'print("two")\n');
    await a.git(['add', '-A']);
    const commit = await a.user(['commit', '-q', '-m', 'feature'], { env });
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect((await a.show(`HEAD:${STATE_REL}`)) ?? '').toContain(`revision: ${seeded + 1}`);
    const onB = JSON.parse((await ok(b.paracle(['status', '--json'], { env }))).stdout);
    expect(onB.revision).toBe(seeded + 1);
    expect(b.read(STATE_REL)).toBe(a.read(STATE_REL));

    const dead = { ...env, PARACLE_REDIS_URL: `redis://127.0.0.1:${await freePort()}/0` };
    const head = await a.head();
    const before = a.read(STATE_REL);
    a.write('packages/core/more.py', 'print("three")\n');
    await a.git(['add', '-A']);
    const stopped = await a.user(['commit', '-q', '-m', 'more'], { env: dead });
    expect(stopped.exitCode).not.toBe(0);
    expect(stopped.stderr).toMatch(/^paracle: Redis at 127\.0\.0\.1:\d+\/0: connection refused/m);
    expect(await a.head()).toBe(head);
    expect(a.read(STATE_REL)).toBe(before);
    expect((await a.git(['status', '--porcelain'])).stdout).toBe('A  packages/core/more.py\n');
  }, 60_000);

  it('git commit --amend with the engine on: the shared revisions only grow, so the amended commit takes the next one', async () => {
    const env = { PARACLE_REDIS_URL: server.url, PARACLE_REDIS_PREFIX: `amend-${process.pid}` };
    const a = await makeTestRepo({ committed: true });
    await ok(a.paracle(['engine', 'seed'], { env }));
    a.write('packages/a.py', 'a\n');
    await a.git(['add', '-A']);
    expect((await a.user(['commit', '-q', '-m', 'a'], { env })).exitCode).toBe(0);
    const first = JSON.parse((await ok(a.paracle(['status', '--json'], { env }))).stdout).revision as number;
    a.write('docs/b.md', 'b\n');
    await a.git(['add', '-A']);
    const amend = await a.user(['commit', '-q', '--amend', '--no-edit'], { env });
    expect(amend.exitCode, amend.stderr).toBe(0);
    expect((await a.show(`HEAD:${STATE_REL}`)) ?? '').toContain(`revision: ${first + 1}`);
    expect((await a.git(['status', '--porcelain'])).stdout).toBe('');
  }, 60_000);

  it('without a URL no Redis client is loaded, for commands and hooks alike', async () => {
    const world = await makeWorld(1);
    const host = world.hosts[0]!;
    const probe = join(tempDir('paracle-probe-'), 'loaded.cjs');
    writeFileSync(
      probe,
      "process.on('exit', () => { const hit = Object.keys(require.cache).filter((f) => /redis/i.test(f)); if (hit.length) process.stderr.write('LOADED ' + hit.join(' ') + '\\n'); });\n",
    );
    const off = await runNode(['-r', probe, CLI, '--root', host.root, 'session', 'end', '--complete', 'x'], host.dir, {
      PARACLE_REDIS_URL: undefined,
    });
    expect(off.exitCode).toBe(0);
    expect(off.stderr).not.toContain('LOADED');
    const on = await runNode(['-r', probe, CLI, '--root', host.root, 'engine', 'status'], host.dir, world.env);
    expect(on.stderr).toContain('LOADED');
  });
});
