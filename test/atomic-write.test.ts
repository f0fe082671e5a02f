import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateWriteError } from '../src/errors.js';
import { removeOrphanedTempFiles, writeFileAtomic } from '../src/fs/atomic-write.js';
import { type ChildRun, childScript, startChild, stress } from './support/children.js';
import { tempDir } from './support/fixtures.js';

const running: ChildRun[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((child) => child.kill()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = tempDir('paracle-atomic-');
  dirs.push(dir);
  return dir;
}

function child(name: string, args: string[]): ChildRun {
  const run = startChild(name, args);
  running.push(run);
  return run;
}

function tempFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

const mode = (path: string): number => statSync(path).mode & 0o7777;

describe('writeFileAtomic', () => {
  it('creates a new file with the usual mode for new files, or the mode asked for', async () => {
    const dir = folder();
    const file = join(dir, 'current_state.yaml');
    await writeFileAtomic(file, 'revision: 1\n');
    expect(readFileSync(file, 'utf8')).toBe('revision: 1\n');
    // What any new file gets here (0o666 less the umask), made the ordinary way for comparison.
    writeFileSync(join(dir, 'plain'), '');
    expect(mode(file)).toBe(mode(join(dir, 'plain')));

    const secret = join(dir, 'secret.yaml');
    await writeFileAtomic(secret, Buffer.from('token: x\n'), { mode: 0o600 });
    expect(mode(secret)).toBe(0o600);
    expect(readFileSync(secret, 'utf8')).toBe('token: x\n');
  });

  it('keeps the mode of the file it replaces', async () => {
    const dir = folder();
    const file = join(dir, 'current_state.yaml');
    for (const kept of [0o640, 0o755, 0o604]) {
      writeFileSync(file, 'old\n');
      chmodSync(file, kept);
      await writeFileAtomic(file, 'new\n', { mode: 0o600 });
      expect(mode(file)).toBe(kept);
      expect(readFileSync(file, 'utf8')).toBe('new\n');
    }
  });

  it('writes through a symlink (and a chain of them) to the target, which stays linked', async () => {
    const dir = folder();
    const context = join(dir, 'context');
    const shared = join(dir, 'shared');
    mkdirSync(context);
    mkdirSync(shared);
    const target = join(shared, 'real_state.yaml');
    writeFileSync(target, 'old\n');
    chmodSync(target, 0o640);
    symlinkSync('../shared/middle.yaml', join(context, 'current_state.yaml'));
    symlinkSync('real_state.yaml', join(shared, 'middle.yaml'));
    const link = join(context, 'current_state.yaml');

    await writeFileAtomic(link, 'new\n');

    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../shared/middle.yaml');
    expect(lstatSync(join(shared, 'middle.yaml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(mode(target)).toBe(0o640);
    expect(readdirSync(context)).toEqual(['current_state.yaml']);
    expect(readdirSync(shared).sort()).toEqual(['middle.yaml', 'real_state.yaml']);
  });

  it('creates the target of a dangling symlink, keeping the link', async () => {
    const dir = folder();
    symlinkSync('target.yaml', join(dir, 'link.yaml'));
    await writeFileAtomic(join(dir, 'link.yaml'), 'created\n');
    expect(lstatSync(join(dir, 'link.yaml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'target.yaml'), 'utf8')).toBe('created\n');
  });

  it('abandons the write when beforeRename throws: its error comes back, the target is untouched, no temp file', async () => {
    const dir = folder();
    const file = join(dir, 'current_state.yaml');
    writeFileSync(file, 'original\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    const mtime = statSync(file).mtimeMs;
    const refusal = new Error('lock lost');
    let sawTemp = false;

    await expect(
      writeFileAtomic(file, 'replacement\n', {
        beforeRename: () => {
          // The complete temp file exists at this point: it is what the rename would have moved.
          const temps = tempFilesIn(dir);
          sawTemp = temps.length === 1 && readFileSync(join(dir, temps[0] ?? ''), 'utf8') === 'replacement\n';
          throw refusal;
        },
      }),
    ).rejects.toBe(refusal);

    expect(sawTemp).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('original\n');
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(readdirSync(dir)).toEqual(['current_state.yaml']);
  });

  it('reports I/O failures as StateWriteError with the cause, and removes its temp file', async () => {
    const dir = folder();
    const missing = join(dir, 'no-such-folder', 'current_state.yaml');
    const error = await writeFileAtomic(missing, 'x').then(
      () => null,
      (e: unknown) => e as StateWriteError,
    );
    expect(error).toBeInstanceOf(StateWriteError);
    expect(error?.code).toBe('STATE_WRITE');
    expect(error?.message).toContain(missing);
    expect((error?.cause as NodeJS.ErrnoException | undefined)?.code).toBe('ENOENT');

    // A folder where the file should be: the temp file is written, the rename fails.
    const blocked = join(dir, 'current_state.yaml');
    mkdirSync(blocked);
    const renameError = await writeFileAtomic(blocked, 'x').then(
      () => null,
      (e: unknown) => e as StateWriteError,
    );
    expect(renameError).toBeInstanceOf(StateWriteError);
    expect(renameError?.cause).toBeInstanceOf(Error);
    expect(readdirSync(dir)).toEqual(['current_state.yaml']);
  });

  it('leaves nothing new in the folder after many writes', async () => {
    const dir = folder();
    const file = join(dir, 'current_state.yaml');
    writeFileSync(file, 'start\n');
    for (let i = 0; i < 30; i += 1) await writeFileAtomic(file, `revision: ${i}\n`);
    expect(readdirSync(dir)).toEqual(['current_state.yaml']);
    expect(readFileSync(file, 'utf8')).toBe('revision: 29\n');
  });

  it('only ever shows readers a whole file while another process replaces it again and again', async () => {
    const dir = folder();
    const file = join(dir, 'current_state.yaml');
    const stop = join(dir, 'stop');
    // Generation 0 in the same self-checking format the writer uses.
    writeFileSync(file, `gen: 0\n${'x'.repeat(20_000)}\nend: 0\n`);
    const reader = child('atomic-reader-loop.mjs', [file, stop]);
    await reader.waitForLine('ready');
    const writer = child('atomic-writer-loop.mjs', [file, String(stress(150, 3000))]);
    await writer.succeed(120_000);
    writeFileSync(stop, '');
    await reader.succeed();
    const result = JSON.parse(reader.lines.find((line) => line.startsWith('{')) ?? '{}') as {
      reads: number;
      torn: number;
      generations: number;
    };
    expect(result.reads).toBeGreaterThan(0);
    expect(result.generations).toBeGreaterThan(1);
    expect(result.torn).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['current_state.yaml', 'stop']);
  });
});

/** strace can trace a child here (installed, and ptrace allowed: some containers forbid it). */
const straceWorks = spawnSync('strace', ['-f', '-o', '/dev/null', 'true'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!straceWorks)('writeFileAtomic on disk (strace: apt-get install strace, and a container that allows ptrace)', () => {
  it('fsyncs the temp file before renaming it over the target, then fsyncs the folder', () => {
    const dir = folder();
    const file = join(dir, 'current_state.yaml');
    const trace = join(dir, 'strace.txt');
    writeFileSync(file, 'old\n');
    // One real write by a child process; -y prints each descriptor's path, so the calls name their files.
    const run = spawnSync(
      'strace',
      [
        '-f',
        '-y',
        '-o',
        trace,
        '-e',
        'trace=fsync,fdatasync,rename,renameat,renameat2',
        process.execPath,
        childScript('atomic-writer-loop.mjs'),
        file,
        '1',
      ],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    const calls = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((line) => /^\d+ +(fsync|fdatasync|rename)/.test(line) && line.includes(dir));
    const renameAt = calls.findIndex((line) => / rename(at2?)?\(/.test(line) && line.includes(`"${file}"`));
    expect(renameAt, calls.join('\n')).toBeGreaterThanOrEqual(0);
    const temp = /"([^"]+\.tmp)"/.exec(calls[renameAt] ?? '')?.[1];
    expect(temp, calls[renameAt]).toBeDefined();
    const syncOf = (path: string) => (line: string) => /^\d+ +f(data)?sync\(\d+</.test(line) && line.includes(`<${path}>`);
    expect(calls.slice(0, renameAt).some(syncOf(temp ?? '')), calls.join('\n')).toBe(true);
    expect(calls.slice(renameAt + 1).some(syncOf(dir)), calls.join('\n')).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(/^gen: 1\n/);
  });
});

describe('removeOrphanedTempFiles', () => {
  it('removes the temp file of a writer killed with SIGKILL, but not that of a live writer', async () => {
    const dir = folder();
    const file = join(dir, 'current_state.yaml');
    writeFileSync(file, 'original\n');
    const writer = child('atomic-stuck-writer.mjs', [file]);
    await writer.waitForLine('ready');
    const temps = tempFilesIn(dir);
    expect(temps).toHaveLength(1);
    expect(temps[0]).toContain(`.${writer.pid}.`);

    expect(await removeOrphanedTempFiles(file)).toBe(0);
    expect(tempFilesIn(dir)).toEqual(temps);

    await writer.kill();
    expect(tempFilesIn(dir)).toEqual(temps); // a killed writer cleans nothing up
    expect(await removeOrphanedTempFiles(file)).toBe(1);
    expect(readdirSync(dir)).toEqual(['current_state.yaml']);
    expect(readFileSync(file, 'utf8')).toBe('original\n');
  });

  it('leaves a fresh temp file from another host alone, removes one older than an hour, ignores other files', async () => {
    const dir = folder();
    const file = join(dir, 'current_state.yaml');
    writeFileSync(file, 'x\n');
    // Host tag 00000000 is not this host's; pid 1 would count as alive here anyway.
    const fresh = join(dir, '.current_state.yaml.4242.00000000.1.abcdef.tmp');
    const old = join(dir, '.current_state.yaml.4242.00000000.2.abcdef.tmp');
    const unrelated = [join(dir, '.other.yaml.4242.00000000.1.abcdef.tmp'), join(dir, 'current_state.yaml.lock')];
    for (const path of [fresh, old, ...unrelated]) writeFileSync(path, 'partial');
    const longAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(old, longAgo, longAgo);
    for (const path of unrelated) utimesSync(path, longAgo, longAgo);

    expect(await removeOrphanedTempFiles(file)).toBe(1);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    for (const path of unrelated) expect(existsSync(path)).toBe(true);
  });

  it('finds nothing in a folder that does not exist', async () => {
    const dir = folder();
    expect(await removeOrphanedTempFiles(join(dir, 'gone', 'current_state.yaml'))).toBe(0);
  });
});
