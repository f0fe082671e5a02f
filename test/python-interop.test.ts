import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { appendStateChanges, getRecentChanges } from '../src/log/audit-log.js';
import { auditTimestamp } from '../src/log/audit-entry.js';
import { auditLogPath, stateFilePath } from '../src/state/paths.js';
import { checkAuditLogLines } from '../src/verify/audit-log-check.js';
import { childScript, holdStateLock, stress } from './support/children.js';
import { CLI, makeTestRepo } from './support/git-repo.js';
import { REAL_STATE, tempParacRoot } from './support/fixtures.js';
import {
  findPython,
  plainFromPython,
  pyYamlRead,
  PYTHON_MISSING,
  PYTHON_STATE_SCRIPT,
  pythonState,
  type PythonValue,
} from './support/python.js';

/**
 * Issue 11: the Python paracle tooling is a peer writer of the same file. Its stand-in
 * (test/support/python/paracle_state.py: filelock on current_state.yaml.lock, PyYAML load and dump,
 * the revision check, a temp file and a rename) runs as real Python processes against ours.
 */

const BIN = CLI;
const INITIAL_REVISION = 11;
const python = findPython();
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(dirname(root), { recursive: true, force: true });
});

function realRoot(): string {
  const root = tempParacRoot(REAL_STATE);
  roots.push(root);
  return root;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const ours = (root: string, prefix: string, count: number, env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [childScript('state-update-report.mjs'), root, prefix, String(count)], env);
const theirs = (root: string, prefix: string, count: number) => run(python!, [PYTHON_STATE_SCRIPT, 'race', root, prefix, String(count)]);
const cli = (root: string, args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, [BIN, '--root', root, ...args], env);

/** A Python process holding its lock until `release()`. */
async function pythonHoldsLock(root: string): Promise<{ pid: number; release: () => Promise<void> }> {
  const child = spawn(python!, [PYTHON_STATE_SCRIPT, 'hold', root], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((done, fail) => {
    child.stdout.once('data', () => done());
    child.once('exit', (code) => fail(new Error(`the Python holder exited early (${code})`)));
  });
  const closed = new Promise((done) => child.once('close', done));
  return {
    pid: child.pid!,
    release: async () => {
      child.stdin.end('\n');
      await closed;
    },
  };
}

/** The saves a race reported, one JSON line each: { item, revision }. */
function saves(result: Run): Array<{ item: string; revision: number }> {
  expect(result.code, result.stderr).toBe(0);
  return result.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

async function race(root: string, count: number, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const results = await Promise.all([
    theirs(root, 'py-a', count),
    ours(root, 'js-a', count, env),
    theirs(root, 'py-b', count),
    ours(root, 'js-b', count, env),
  ]);
  const written = results.flatMap(saves);
  const items = written.map((s) => s.item);
  expect(items).toHaveLength(4 * count);
  // Both readers see every item exactly once: nothing was overwritten.
  const state = parse(readFileSync(stateFilePath(root), 'utf8')) as any;
  const completed: string[] = state.current_phase.completed;
  expect(completed.filter((item) => items.includes(item)).sort()).toEqual([...items].sort());
  const read = await pyYamlRead(stateFilePath(root));
  expect(read.ok).toBe(true);
  // Every save wrote its own revision, one after another, from both sides.
  const revisions = written.map((s) => s.revision).sort((a, b) => a - b);
  expect(revisions).toEqual(Array.from({ length: 4 * count }, (_, i) => INITIAL_REVISION + 1 + i));
  expect(state.revision).toBe(INITIAL_REVISION + 4 * count);
}

if (python === null) it.skip(`Python interop: ${PYTHON_MISSING}`, () => undefined);

if (python !== null) {
  describe('the Python tooling and this toolkit on one file (real Python processes)', () => {
    it('while our writer holds the lock, the Python tooling cannot take its own', async () => {
      const root = realRoot();
      const holder = await holdStateLock(stateFilePath(root), 'held-for-python');
      try {
        expect((await pythonState(['try-lock', root, '0.5'])).trim()).toBe('timeout');
      } finally {
        holder.kill('SIGKILL');
        await new Promise((done) => holder.once('exit', done));
      }
      // A killed holder's flock is gone with it.
      expect((await pythonState(['try-lock', root, '2'])).trim()).toBe('acquired');
    });

    it('while the Python tooling holds its lock our save waits; a timeout names the Python process', async () => {
      const root = realRoot();
      const before = readFileSync(stateFilePath(root), 'utf8');
      const holder = await pythonHoldsLock(root);
      try {
        const timedOut = await cli(root, ['--timeout', '1', 'session', 'end', '--complete', 'waited']);
        expect(timedOut.code).toBe(3);
        expect(timedOut.stderr).toContain("waiting for the Python paracle tooling's lock");
        expect(timedOut.stderr).toContain(`held by pid ${holder.pid} (`);
        expect(readFileSync(stateFilePath(root), 'utf8')).toBe(before);
        // A writer that waits long enough goes through once Python lets go.
        const waiting = cli(root, ['--timeout', '20', 'session', 'end', '--complete', 'waited']);
        await new Promise((done) => setTimeout(done, 500));
        expect(readFileSync(stateFilePath(root), 'utf8')).toBe(before);
        await holder.release();
        const result = await waiting;
        expect(result.code, result.stderr).toBe(0);
      } finally {
        await holder.release().catch(() => undefined);
      }
      expect(readFileSync(stateFilePath(root), 'utf8')).toContain('- waited');
    });

    it('a commit through the git hooks waits for a Python writer, and the lock file stays out of git status', async () => {
      const repo = await makeTestRepo({ committed: true });
      const head = await repo.head();
      const holder = await pythonHoldsLock(repo.paracRoot);
      try {
        repo.write('packages/core/app.py', 'print("while python saves")\n');
        await repo.git(['add', 'packages/core/app.py']);
        const blocked = await repo.user(['commit', '-q', '-m', 'blocked'], { env: { PARACLE_TIMEOUT: '0.5' } });
        expect(blocked.exitCode).not.toBe(0);
        const lines = blocked.stderr.split('\n').filter((line) => line.startsWith('paracle:'));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain("is locked by the Python paracle tooling's lock (current_state.yaml.lock), held by pid");
        expect(lines[0]).toContain(`pid ${holder.pid}`);
        expect(lines[0]).toContain('git commit --no-verify');
        expect(await repo.head()).toBe(head);
      } finally {
        await holder.release();
      }
      const committed = await repo.user(['commit', '-q', '-m', 'after python']);
      expect(committed.exitCode, committed.stderr).toBe(0);
      // The lock file both sides leave is covered by the ignore rules `paracle install` wrote.
      expect(repo.read('.parac/memory/context/current_state.yaml.lock')).toBe('');
      const status = (await repo.git(['status', '--porcelain', '--untracked-files=all'])).stdout;
      expect(status).not.toContain('.lock');
      expect(status).not.toContain('current_state.yaml');
    });

    it(`2 Python and 2 of our writers race on the real file (native flock): nothing lost, revisions contiguous`, async () => {
      await race(realRoot(), stress(12, 60));
    });

    it('the same race with the flock(1) fallback', async () => {
      const hasFlock = spawnSync('flock', ['--version'], { stdio: 'ignore' }).status === 0;
      expect(hasFlock, 'util-linux flock is on PATH here').toBe(true);
      await race(realRoot(), stress(6, 30), { PARACLE_PYTHON_LOCK: 'flock' });
    });

    it('where no flock can be taken, a process says so once, and still saves', async () => {
      const root = realRoot();
      const result = await ours(root, 'unprotected', 3, { PARACLE_PYTHON_LOCK: 'flock', PATH: '/nonexistent' });
      expect(saves(result)).toHaveLength(3);
      const warnings = result.stderr.split('\n').filter((line) => line.includes("cannot take the Python paracle tooling's lock"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('the flock command is not on PATH');
      expect(warnings[0]).toContain('can overwrite this update');
      // Turned off on purpose: no warning.
      const off = await ours(root, 'off', 1, { PARACLE_PYTHON_LOCK: 'off' });
      expect(saves(off)).toHaveLength(1);
      expect(off.stderr).toBe('');
    });

    it('the model calls give the same data as the Python original', async () => {
      const base = [
        'version: "1.0"',
        'snapshot_date: "2026-01-01"',
        'revision: 4',
        'project:',
        '  name: demo',
        '  version: 0.1.0',
        'current_phase:',
        '  id: phase_1',
        '  name: One',
        '  status: in_progress',
        '  progress: 10%',
        '  completed:',
        '    - done_before',
        '  in_progress:',
        '    - doing',
        '    - started',
        '  pending:',
        '    - doing',
        '    - later',
        '    - next',
        '    - queued',
        'blockers:',
        '  - id: blocker_1',
        '    description: Old',
        '    severity: low',
        '    added_date: "2026-01-01"',
        'next_actions: []',
        '',
      ].join('\n');
      const calls: Array<[string, ...unknown[]]> = [
        ['add_in_progress', 'next'],
        ['add_completed', 'doing'],
        ['add_completed', 'queued'],
        ['add_completed', 'started'],
        ['update_progress', 55],
        ['add_blocker', 'Waiting: review', 'high'],
        ['remove_blocker', 'blocker_1'],
        ['add_in_progress', 'brand_new'],
      ];
      const pyRoot = tempParacRoot(null);
      const jsRoot = tempParacRoot(null);
      roots.push(pyRoot, jsRoot);
      writeFileSync(stateFilePath(pyRoot), base);
      writeFileSync(stateFilePath(jsRoot), base);
      await pythonState(['calls', pyRoot, JSON.stringify(calls)]);
      const { updateState } = await import('../src/store/store.js');
      await updateState(jsRoot, (state) => {
        for (const [method, ...args] of calls) {
          if (method === 'add_in_progress') state.addInProgress(args[0] as string);
          else if (method === 'add_completed') state.addCompleted(args[0] as string);
          else if (method === 'update_progress') state.updateProgress(args[0] as number);
          else if (method === 'add_blocker') state.addBlocker(args[0] as string, args[1] as string);
          else if (method === 'remove_blocker') state.removeBlocker(args[0] as string);
        }
      });
      const read = async (root: string) => {
        const r = await pyYamlRead(stateFilePath(root));
        if (!r.ok) throw new Error(r.error);
        return plainFromPython(r.data as PythonValue) as any;
      };
      const py = await read(pyRoot);
      const js = await read(jsRoot);
      // The Python original drops a phase list that became empty; this toolkit keeps the key, empty.
      const lists = (phase: any) => Object.fromEntries(['completed', 'in_progress', 'pending'].map((k) => [k, phase[k] ?? []]));
      expect(lists(js.current_phase)).toEqual(lists(py.current_phase));
      expect(lists(js.current_phase)).toEqual({
        completed: ['done_before', 'doing', 'queued', 'started'],
        in_progress: ['next', 'brand_new'],
        pending: ['later'],
      });
      for (const key of ['id', 'name', 'status', 'progress']) expect(js.current_phase[key]).toEqual(py.current_phase[key]);
      expect(js.blockers).toEqual(py.blockers);
      expect(js.blockers[0]).toMatchObject({ id: 'blocker_2', description: 'Waiting: review', severity: 'high' });
      expect(js.blockers[0].added_date).toMatch(/^\d{4}-\d\d-\d\d$/);
      expect(js.snapshot_date).toBe(py.snapshot_date);
      expect(js.revision).toBe(py.revision);
      for (const key of ['version', 'project', 'next_actions']) expect(js[key]).toEqual(py[key]);
    });

    it("the Python tooling's get_recent_changes and clear_old_changes read our entries", async () => {
      const root = realRoot();
      const { updateState } = await import('../src/store/store.js');
      await updateState(root, (s) => s.updateProgress(20));
      await updateState(root, (s) => s.addCompleted('logged'));
      const old = new Date(Date.now() - 40 * 86_400_000);
      await appendStateChanges(root, [{ change_type: 'update', description: 'long ago', revision: 1, timestamp: auditTimestamp(old) }]);
      for (const entry of await getRecentChanges(root, 10)) {
        // Python 3.10's datetime.fromisoformat takes this form; it rejects a trailing Z (3.11, used here, would not).
        expect(entry.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
      }
      const recent = JSON.parse(await pythonState(['recent', root, '10']));
      expect(recent).toEqual(await getRecentChanges(root, 10));
      expect(JSON.parse(await pythonState(['clear', root, '30']))).toEqual({ removed: 1, unreadable: 0 });
      expect((await getRecentChanges(root, 10)).map((e) => e.description)).not.toContain('long ago');
    });

    it("`paracle log` orders the Python tooling's entries by time and says what their revision means; verify accepts them", async () => {
      const root = realRoot();
      // Local time far from UTC, so that comparing naive local times with UTC ones as text would go wrong.
      const env = { TZ: 'Asia/Tokyo' };
      const pause = () => new Promise((done) => setTimeout(done, 20));
      const log = (type: string, description: string, revision: string) =>
        run(python!, [PYTHON_STATE_SCRIPT, 'log', root, type, description, revision], env);
      expect((await cli(root, ['session', 'end', '--complete', 'first'], env)).code).toBe(0);
      await pause();
      expect((await log('progress', 'python after first', '12')).code).toBe(0);
      await pause();
      expect((await cli(root, ['session', 'end', '--complete', 'second'], env)).code).toBe(0);
      await pause();
      expect((await log('phase', 'python without revision', '-')).code).toBe(0);
      // A union merge appended an older line of ours after the newer ones.
      const older = {
        timestamp: auditTimestamp(new Date(Date.now() - 3_600_000)),
        process_id: 1,
        change_type: 'merge',
        description: 'from the other branch',
        revision: 12,
      };
      appendFileSync(auditLogPath(root), `${JSON.stringify(older)}\n`);

      const shown = await cli(root, ['log'], env);
      expect(shown.code, shown.stderr).toBe(0);
      const lines = shown.stdout.trim().split('\n');
      expect(lines.map((line) => /(python \w+ \w+|completed \w+|from the other branch)/.exec(line)?.[1])).toEqual([
        'python without revision',
        'completed second',
        'python after first',
        'completed first',
        'from the other branch',
      ]);
      expect(lines[2]).toContain('rev 12');
      expect(lines[2]).toContain('[Python tooling: rev 12 is the one before its save]');
      expect(lines[0]).toContain('[Python tooling]');
      expect(lines[1]).not.toContain('Python');
      // Every time is shown in UTC, Python's naive local times converted.
      for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}/);
      expect(checkAuditLogLines('state_changes.jsonl', readFileSync(auditLogPath(root), 'utf8'))).toEqual([]);
    });
  });
}

describe('the Python lock file', () => {
  it('is the one filelock uses, beside the state file, and is left in place like filelock leaves it', async () => {
    const { pythonLockPathFor, pythonLockPathsFor } = await import('../src/lock/python-lock.js');
    expect(pythonLockPathFor('/p/.parac/memory/context/current_state.yaml')).toBe('/p/.parac/memory/context/current_state.yaml.lock');
    expect(pythonLockPathFor('/p/state')).toBe('/p/state.yaml.lock');
    expect(pythonLockPathsFor('/a/current_state.yaml', '/shared/current_state.yaml')).toEqual([
      '/a/current_state.yaml.lock',
      '/shared/current_state.yaml.lock',
    ]);
    expect(pythonLockPathsFor('/a/current_state.yaml', '/shared/state.yaml')).toEqual(['/a/current_state.yaml.lock']);
    const root = realRoot();
    const { updateState } = await import('../src/store/store.js');
    await updateState(root, (s) => s.updateProgress(1));
    expect(readFileSync(`${stateFilePath(root)}.lock`, 'utf8')).toBe('');
  });
});
