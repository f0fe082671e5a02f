import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  ftruncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditLogPath, stateFilePath } from '../src/state/paths.js';
import { checkAuditLogLines } from '../src/verify/audit-log-check.js';
import { REAL_STATE, tempDir } from './support/fixtures.js';
import { CLI } from './support/git-repo.js';

/**
 * Issue 11, point 7, on a really full file system: a small tmpfs mounted for the test (Linux, as root).
 * A save that cannot be written leaves the state file and the log byte for byte; an audit append that
 * the disk cuts short is cut back, so no torn line stays for `verify` to reject.
 */

const BIN = CLI;
const PAGE = Number(spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout.trim()) || 4096;
const scratch = tempDir('paracle-full-disk-');
const mounts: string[] = [];

/** Whether a tmpfs can be mounted here: tried once, on a probe folder. */
function canMount(): boolean {
  const probe = join(scratch, 'probe');
  mkdirSync(probe);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', probe], { stdio: 'ignore' }).status === 0;
  if (mounted) spawnSync('umount', [probe], { stdio: 'ignore' });
  return mounted;
}

const mountable = canMount();

function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  const run = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`mount failed: ${run.stderr}`);
  mounts.push(dir);
}

afterAll(() => {
  for (const dir of mounts.reverse()) {
    if (spawnSync('umount', [dir], { stdio: 'ignore' }).status !== 0) spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
  }
  rmSync(scratch, { recursive: true, force: true });
});

/** Writes `file` until the file system has no byte left. Returns its descriptor's file, to free space later. */
function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const chunk of [PAGE * 4, PAGE, 1]) {
      const bytes = Buffer.alloc(chunk, 0x2e);
      try {
        for (;;) writeSync(fd, bytes);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

function shrink(file: string, bytes: number): void {
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, Math.max(0, readFileSync(file).length - bytes));
  } finally {
    closeSync(fd);
  }
}

function paracle(root: string, args: string[]) {
  return spawnSync(process.execPath, [BIN, '--root', root, ...args], { encoding: 'utf8' });
}

/** Valid audit lines adding up to exactly `size` bytes. */
function logOfSize(size: number): string {
  const line = (n: number, pad: number) =>
    `${JSON.stringify({ timestamp: '2026-01-10T10:00:00.000+00:00', process_id: 1, change_type: 'update', description: `entry ${n} ${'x'.repeat(pad)}`, revision: n })}\n`;
  let text = '';
  let n = 1;
  while (size - text.length > 700) text += line(n++, 200);
  const rest = size - text.length - line(n, 0).length;
  return text + line(n, rest);
}

// Where no tmpfs can be mounted, one skipped line says why; nothing else is registered.
if (!mountable) it.skip('a full disk: needs permission to mount a tmpfs (root on Linux) to fill a file system for real', () => undefined);

if (mountable) {
  describe('a full disk (a real tmpfs, filled up)', () => {
    it('a save that does not fit fails with one line naming the file, and leaves the state, the log and the folder as they were', () => {
      const disk = join(scratch, 'disk');
      mountTmpfs(disk, '512k');
      const root = join(disk, '.parac');
      mkdirSync(join(root, 'memory', 'context'), { recursive: true });
      mkdirSync(join(root, 'memory', 'logs'), { recursive: true });
      copyFileSync(REAL_STATE, stateFilePath(root));
      writeFileSync(auditLogPath(root), logOfSize(2 * PAGE));
      const filler = join(disk, 'filler');
      fillUp(filler);
      // Room for the lock's small holder record, not for a temp copy of the 66 KiB state file.
      shrink(filler, PAGE);
      const state = readFileSync(stateFilePath(root));
      const log = readFileSync(auditLogPath(root));
      const folder = readdirSync(join(root, 'memory', 'context')).sort();

      const run = paracle(root, ['session', 'end', '--complete', 'no_room']);
      expect(run.status).not.toBe(0);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(stateFilePath(root));
      expect(lines[0]).toMatch(/could not write the temp file .*no space left on device/i);
      expect(readFileSync(stateFilePath(root)).equals(state)).toBe(true);
      expect(readFileSync(auditLogPath(root)).equals(log)).toBe(true);
      // No temp file and no lock left behind; the Python tooling's lock file may be new (it is never removed).
      expect(readdirSync(join(root, 'memory', 'context')).filter((name) => name !== 'current_state.yaml.lock')).toEqual(
        folder.filter((name) => name !== 'current_state.yaml.lock'),
      );

      rmSync(filler);
      const retry = paracle(root, ['session', 'end', '--complete', 'no_room']);
      expect(retry.status, retry.stderr).toBe(0);
      expect(readFileSync(stateFilePath(root), 'utf8')).toContain('- no_room');
    });

    it('an audit append the disk cuts short is cut back: the save stands, the log is whole, verify finds nothing', () => {
      const project = tempDir('paracle-full-log-');
      try {
        const root = join(project, '.parac');
        mkdirSync(join(root, 'memory', 'context'), { recursive: true });
        copyFileSync(REAL_STATE, stateFilePath(root));
        // Only the logs folder is on the small file system; the state file has room.
        const logs = join(root, 'memory', 'logs');
        mountTmpfs(logs, '64k');
        // The log ends 100 bytes short of a page boundary, then the file system is filled: an entry (~300
        // bytes) fits only in part, and the kernel writes those 100 bytes before running out of room.
        writeFileSync(auditLogPath(root), logOfSize(3 * PAGE - 100));
        fillUp(join(logs, 'filler'));
        const log = readFileSync(auditLogPath(root));

        const run = paracle(root, ['session', 'end', '--complete', 'logged_or_not']);
        expect(run.status, run.stderr).toBe(0);
        expect(run.stderr).toMatch(
          /the state was saved but its audit entry was not: .*state_changes\.jsonl: cannot append to the audit log: short write: 100 of \d+ bytes/,
        );
        expect(run.stderr).toContain('the partial line was removed, the log is as it was');
        expect(readFileSync(stateFilePath(root), 'utf8')).toContain('- logged_or_not');
        const after = readFileSync(auditLogPath(root));
        expect(after.equals(log)).toBe(true);
        expect(checkAuditLogLines('state_changes.jsonl', after.toString('utf8'))).toEqual([]);
      } finally {
        const logs = join(project, '.parac', 'memory', 'logs');
        if (spawnSync('umount', [logs], { stdio: 'ignore' }).status === 0) mounts.splice(mounts.indexOf(logs), 1);
        rmSync(project, { recursive: true, force: true });
      }
    });
  });
}
