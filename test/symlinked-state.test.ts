import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { StateLockError } from '../src/errors.js';
import { lockPathFor } from '../src/lock/lock.js';
import { stateFilePath } from '../src/state/paths.js';
import { updateState } from '../src/store/store.js';
import { childScript, holdStateLock, stress } from './support/children.js';
import { REAL_STATE, tempDir } from './support/fixtures.js';

/**
 * Issue 11, point 5: two `.parac/` folders whose state files are symlinks to one target (a shared
 * state, a monorepo's packages). The lock belongs to the file a save really replaces, so both lock
 * beside the target and no update is lost; the links stay links.
 */

const INITIAL_REVISION = 11;
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A shared state file and two projects whose state files link to it (one absolute link, one relative). */
function linkedProjects(): { target: string; rootA: string; rootB: string } {
  const dir = tempDir('paracle-symlinked-');
  made.push(dir);
  const target = join(dir, 'shared', 'current_state.yaml');
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(REAL_STATE, target);
  const rootA = join(dir, 'a', '.parac');
  const rootB = join(dir, 'b', '.parac');
  for (const root of [rootA, rootB]) mkdirSync(dirname(stateFilePath(root)), { recursive: true });
  symlinkSync(target, stateFilePath(rootA));
  symlinkSync(relative(dirname(stateFilePath(rootB)), target), stateFilePath(rootB));
  return { target, rootA, rootB };
}

function updates(root: string, prefix: string, count: number): Promise<Array<{ item: string; revision: number }>> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [childScript('state-update-report.mjs'), root, prefix, String(count)]);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) fail(new Error(`writer through ${root} failed (${code}): ${stderr}`));
      else
        done(
          stdout
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line)),
        );
    });
  });
}

describe('state files that are symlinks to one target', () => {
  it('both links lock beside the target, so a holder through one link keeps a writer through the other out', async () => {
    const { target, rootA, rootB } = linkedProjects();
    expect(lockPathFor(stateFilePath(rootA))).toBe(`${target}.paracle-lock`);
    expect(lockPathFor(stateFilePath(rootB))).toBe(`${target}.paracle-lock`);
    const holder = await holdStateLock(stateFilePath(rootA), 'holding-through-a');
    try {
      expect(existsSync(`${target}.paracle-lock`)).toBe(true);
      expect(existsSync(`${stateFilePath(rootA)}.paracle-lock`)).toBe(false);
      const attempt = updateState(rootB, (s) => s.addCompleted('through-b'), { timeout: 0.5 });
      await expect(attempt).rejects.toThrow(StateLockError);
      await expect(attempt).rejects.toThrow(/holding-through-a/);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((done) => holder.once('exit', done));
    }
  });

  it('writers racing through the two links lose nothing; revisions are contiguous; the links stay links', async () => {
    const { target, rootA, rootB } = linkedProjects();
    const count = stress(15, 80);
    const results = await Promise.all([updates(rootA, 'via-a', count), updates(rootB, 'via-b', count)]);
    const written = results.flat();
    const state = parse(readFileSync(target, 'utf8')) as any;
    expect([...state.current_phase.completed].sort()).toEqual(written.map((s) => s.item).sort());
    expect(written.map((s) => s.revision).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 2 * count }, (_, i) => INITIAL_REVISION + 1 + i),
    );
    for (const root of [rootA, rootB]) expect(lstatSync(stateFilePath(root)).isSymbolicLink()).toBe(true);
    // Temp files were made beside the target (a rename cannot cross folders) and none is left anywhere.
    for (const folder of [dirname(target), dirname(stateFilePath(rootA)), dirname(stateFilePath(rootB))]) {
      expect(readdirSync(folder).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    }
  });
});
