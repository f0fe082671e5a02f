import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIXTURES, tempDir } from './support/fixtures.js';
import { gitSync } from './support/git-repo.js';

/**
 * The race from issue 4, with real processes in a real git repository holding thousands of files:
 * three loops of `paracle session end --complete item-<p>-<i>`, one of `paracle hook pre-commit`
 * with a newly staged file each time, and two of `paracle sync` (whose slow part runs outside the
 * lock and which saves with reconcile), all at once on the real state file.
 *
 * Afterwards: no run failed; every item of every session end is in the state, once; the revision
 * grew by exactly the number of distinct revisions in the audit log, and every revision was written
 * by one process; each sync that found the file changed under it shows as one `reconcile` entry.
 *
 * Length: PARACLE_STRESS=long → 15 s; otherwise 4 s (npm test).
 */

const BIN = resolve('dist/cli/bin.js');
const DURATION_MS = process.env.PARACLE_STRESS === 'long' ? 15_000 : 4_000;
const FILES = 3000;
const INITIAL_REVISION = 11;

interface Run {
  loop: string;
  args: string[];
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(loop: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ loop, args, pid: child.pid!, code, signal, stdout, stderr }));
  });
}

async function loop(until: number, next: (i: number) => Promise<Run>): Promise<Run[]> {
  const runs: Run[] = [];
  for (let i = 0; Date.now() < until; i += 1) runs.push(await next(i));
  return runs;
}

function makeRepository(): string {
  const dir = tempDir('paracle-race-');
  const root = join(dir, '.parac');
  mkdirSync(join(root, 'memory', 'context'), { recursive: true });
  mkdirSync(join(root, 'roadmap'));
  copyFileSync(join(FIXTURES, 'current_state.yaml'), join(root, 'memory', 'context', 'current_state.yaml'));
  copyFileSync(join(FIXTURES, 'roadmap.yaml'), join(root, 'roadmap', 'roadmap.yaml'));
  for (let m = 0; m < FILES / 50; m += 1) {
    const area = ['packages', 'docs', 'tests', 'src'][m % 4]!;
    const folder = join(dir, area, `module-${m}`);
    mkdirSync(folder, { recursive: true });
    for (let f = 0; f < 50; f += 1) writeFileSync(join(folder, `file-${f}.txt`), `${m}/${f}\n`);
  }
  gitSync(dir, 'init', '-q');
  gitSync(dir, 'add', '-A');
  gitSync(dir, 'commit', '-q', '-m', 'A repository with thousands of files');
  return dir;
}

describe('race: session ends, a pre-commit hook and syncs on one state file', () => {
  it(
    'loses nothing, fails nothing, and accounts for every revision and every reconcile',
    async () => {
      const dir = makeRepository();
      const root = join(dir, '.parac');
      const until = Date.now() + DURATION_MS;

      const loops = await Promise.all([
        ...[0, 1, 2].map((p) => loop(until, (i) => run(`session-${p}`, ['session', 'end', '--complete', `item-${p}-${i}`], dir))),
        loop(until, async (i) => {
          // A new file in a watched area, staged, then the hook by hand as CI would run it.
          mkdirSync(join(dir, 'packages', 'staged'), { recursive: true });
          writeFileSync(join(dir, 'packages', 'staged', `change-${i}.txt`), `${i}\n`);
          gitSync(dir, 'add', join('packages', 'staged', `change-${i}.txt`));
          return run('hook', ['hook', 'pre-commit'], dir);
        }),
        ...[0, 1].map((s) =>
          loop(until, async (i) => {
            // Something for each sync to write: a new file changes the counts.
            writeFileSync(join(dir, 'docs', `sync-${s}-${i}.md`), `${i}\n`);
            return run(`sync-${s}`, ['sync', '--json'], dir);
          }),
        ),
      ]);
      const runs = loops.flat();

      // No run failed.
      const failed = runs.filter((r) => r.code !== 0);
      expect(failed.map((r) => `${r.loop} ${r.args.join(' ')} → ${r.code ?? r.signal}: ${r.stderr.trim()}`)).toEqual([]);
      for (const name of ['session-0', 'session-1', 'session-2', 'hook', 'sync-0', 'sync-1']) {
        expect(runs.filter((r) => r.loop === name).length, name).toBeGreaterThan(0);
      }

      // Every item of every session end is there, once.
      const data = parse(readFileSync(join(root, 'memory', 'context', 'current_state.yaml'), 'utf8'));
      const items = runs.filter((r) => r.loop.startsWith('session-')).map((r) => r.args.at(-1)!);
      const completed: string[] = data.current_phase.completed;
      expect([...completed].sort()).toEqual([...items].sort());

      // The revision grew by exactly the number of distinct revisions logged, each written by one process.
      const entries = readFileSync(join(root, 'memory', 'logs', 'state_changes.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { revision: number; process_id: number; change_type: string });
      const revisions = [...new Set(entries.map((e) => e.revision))].sort((a, b) => a - b);
      expect(data.revision - INITIAL_REVISION).toBe(revisions.length);
      expect(revisions).toEqual(Array.from({ length: revisions.length }, (_, i) => INITIAL_REVISION + 1 + i));
      for (const revision of revisions) {
        expect(new Set(entries.filter((e) => e.revision === revision).map((e) => e.process_id)).size, `revision ${revision}`).toBe(1);
      }
      // Every run that wrote accounts for one revision: session ends always write, hooks and syncs when they changed something.
      const writers = new Set(entries.map((e) => e.process_id));
      for (const r of runs.filter((r) => r.loop.startsWith('session-'))) expect(writers.has(r.pid), `session end ${r.pid}`).toBe(true);

      // Each sync that merged with a concurrent save is one reconcile entry, and nothing else is.
      const syncReports = runs.filter((r) => r.loop.startsWith('sync-')).map((r) => ({ pid: r.pid, report: JSON.parse(r.stdout) }));
      for (const { report } of syncReports) expect(report).toMatchObject({ success: true, errors: [] });
      const reconciledPids = syncReports
        .filter((s) => s.report.reconciled)
        .map((s) => s.pid)
        .sort();
      const reconcileEntries = entries.filter((e) => e.change_type === 'reconcile');
      expect(reconcileEntries.map((e) => e.process_id).sort()).toEqual(reconciledPids);
      for (const entry of reconcileEntries) {
        const report = syncReports.find((s) => s.pid === entry.process_id)!.report;
        expect(entry.revision).toBe(report.revision);
      }

      // The result is a valid state.
      const validate = spawnSync(process.execPath, [BIN, 'validate'], { cwd: dir, encoding: 'utf8' });
      expect(validate.status, validate.stderr).toBe(0);

      const count = (prefix: string) => runs.filter((r) => r.loop.startsWith(prefix)).length;
      process.stdout.write(
        `race: ${DURATION_MS / 1000} s, ${count('session-')} session ends, ${count('hook')} hook runs, ${count('sync-')} syncs ` +
          `(${reconciledPids.length} reconciled), revision ${INITIAL_REVISION} → ${data.revision}\n`,
      );
    },
    DURATION_MS + 120_000,
  );
});
