import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, cacheNameForArgv } from '../src/cli/command-names.js';
import { holdStateLock } from './support/children.js';
import { FIXTURES, tempDir } from './support/fixtures.js';
import { CLI, makeTestRepo, type RunResult, runNode, STATE_REL } from './support/git-repo.js';

/**
 * Input strictness of the CLI, run as users run it (`node dist/cli/bin.js`, real files): under
 * `--json` every command prints exactly one JSON object on stdout, on failure too, with the
 * documented exit codes (1 failed, 2 usage, 3 lock timeout, 4 conflict); a bad PARACLE_TIMEOUT is
 * a usage error naming the variable, as a bad --timeout is.
 */

const made: string[] = [];
const holders: ChildProcess[] = [];
afterEach(() => {
  for (const holder of holders.splice(0)) holder.kill('SIGKILL');
});
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(prefix: string): string {
  const dir = tempDir(prefix);
  made.push(dir);
  return dir;
}

/** A project folder with the real state file (or `text` as the state file). */
function project(text?: string): { dir: string; stateFile: string } {
  const dir = scratch('paracle-json-');
  const stateFile = join(dir, STATE_REL);
  mkdirSync(join(dir, '.parac', 'memory', 'context'), { recursive: true });
  if (text === undefined) copyFileSync(join(FIXTURES, 'current_state.yaml'), stateFile);
  else writeFileSync(stateFile, text);
  return { dir, stateFile };
}

function paracle(args: string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<RunResult> {
  return runNode([CLI, ...args], cwd, { NO_COLOR: '1', ...env });
}

interface Failure {
  ok: false;
  error: { code: string; message: string; file: string | null; line: number | null; column: number | null };
}

/** stdout is one JSON value (two objects, or text around one, would not parse) and it is an object. */
function onlyJsonObject(result: RunResult): Record<string, unknown> {
  const value = JSON.parse(result.stdout) as unknown;
  expect(value, result.stdout).toBeTypeOf('object');
  expect(value).not.toBeNull();
  expect(Array.isArray(value)).toBe(false);
  return value as Record<string, unknown>;
}

function failure(result: RunResult, exitCode: number, code: string): Failure['error'] {
  expect(result.exitCode, result.stderr).toBe(exitCode);
  const value = onlyJsonObject(result) as unknown as Failure;
  expect(value.ok).toBe(false);
  expect(Object.keys(value.error).sort()).toEqual(['code', 'column', 'file', 'line', 'message']);
  expect(value.error.code).toBe(code);
  expect(value.error.message.length).toBeGreaterThan(0);
  return value.error;
}

const CORRUPT = 'version: "1.0"\nrevision: 3\nproject:\n  name: [unclosed\n';

describe('--json on failure: one JSON object on stdout, the documented exit code', () => {
  it('usage errors (exit 2): an unknown command, a bad option value, a missing option, a bad argument', async () => {
    const { dir } = project();
    const unknown = failure(await paracle(['stauts', '--json'], dir), 2, 'USAGE');
    expect(unknown.message).toBe("unknown command 'stauts'");
    expect(failure(await paracle(['--json', '--timeout', 'soon', 'status'], dir), 2, 'USAGE').message).toContain('--timeout');
    expect(failure(await paracle(['log', '--limit', '0', '--json'], dir), 2, 'USAGE').message).toContain('--limit');
    expect(failure(await paracle(['log', 'prune', '--json'], dir), 2, 'USAGE').message).toContain('--keep-days');
    expect(failure(await paracle(['hook', 'pre-push', '--json'], dir), 2, 'USAGE').message).toContain('unknown hook');
    expect(failure(await paracle(['merge-driver', '--json'], dir), 2, 'USAGE').message).toContain('missing required argument');
    expect(failure(await paracle(['schema', '--pretty', '--json'], dir), 2, 'USAGE').message).toContain('--pretty');
    expect(failure(await paracle(['session', 'end', '--progress', '120', '--json'], dir), 2, 'USAGE').message).toContain('--progress');
    expect(failure(await paracle(['verify', '--format', 'xml', '--json'], dir), 2, 'USAGE').message).toContain('xml');
  });

  it('a corrupt state file (exit 1): the parse error with its file, line and column, from every command that reads it', async () => {
    const { dir, stateFile } = project(CORRUPT);
    for (const args of [['status'], ['session', 'end', '--complete', 'x'], ['sync', '--no-git', '--no-metrics']]) {
      const error = failure(await paracle([...args, '--json'], dir), 1, 'STATE_PARSE');
      expect(error.file, args.join(' ')).toBe(stateFile);
      expect(error.line).toBeTypeOf('number');
      expect(error.column).toBeTypeOf('number');
    }
    expect(readFileSync(stateFile, 'utf8')).toBe(CORRUPT);
  });

  it('no workspace, an existing one, no repository (exit 1): the error’s own code', async () => {
    const empty = scratch('paracle-json-empty-');
    for (const args of [['status'], ['validate'], ['verify'], ['log'], ['lock', 'status'], ['lock', 'clear'], ['session', 'end']]) {
      expect(failure(await paracle([...args, '--json'], empty), 1, 'PARAC_NOT_FOUND').file, args.join(' ')).toBeNull();
    }
    expect(failure(await paracle(['--root', join(empty, 'nope'), 'status', '--json'], empty), 1, 'PARAC_NOT_FOUND').message).toContain(
      'no such directory',
    );
    const { dir } = project();
    expect(failure(await paracle(['init', '--json'], dir), 1, 'STATE_EXISTS').message).toContain('already exists');
    writeFileSync(join(dir, 'package.json'), '{"name":"x"}\n');
    expect(failure(await paracle(['install', '--json'], dir), 1, 'NOT_A_GIT_REPOSITORY').message).toContain('git init');
    expect(failure(await paracle(['verify', '--base', 'main', '--json'], dir), 1, 'VERIFY_NO_REPOSITORY').message).toContain('--base');
  });

  it('the state lock busy past --timeout (exit 3): STATE_LOCK_TIMEOUT naming the state file', async () => {
    const { dir, stateFile } = project();
    holders.push(await holdStateLock(stateFile, 'json-test holder'));
    const error = failure(await paracle(['--timeout', '0.3', 'session', 'end', '--complete', 'x', '--json'], dir), 3, 'STATE_LOCK_TIMEOUT');
    expect(error.file).toBe(stateFile);
    expect(error.message).toContain('json-test holder');
  });

  it('commands that report their own failure print that report as their one object (validate, verify, merge-driver)', async () => {
    const { dir } = project(CORRUPT);
    const validate = await paracle(['validate', '--json'], dir);
    expect(validate.exitCode).toBe(1);
    expect(onlyJsonObject(validate)).toMatchObject({ ok: false });
    const verify = await paracle(['verify', '--json'], dir);
    expect(verify.exitCode).toBe(1);
    expect(onlyJsonObject(verify)).toMatchObject({ ok: false });

    const sides = scratch('paracle-json-driver-');
    const base = readFileSync(join(FIXTURES, 'current_state.yaml'), 'utf8');
    writeFileSync(join(sides, 'base.yaml'), base);
    writeFileSync(join(sides, 'ours.yaml'), base.replace(/^ {2}progress: .*$/m, '  progress: 60%'));
    writeFileSync(join(sides, 'theirs.yaml'), base.replace(/^ {2}progress: .*$/m, '  progress: 40%'));
    const driver = await paracle(['merge-driver', 'base.yaml', 'ours.yaml', 'theirs.yaml', '--json'], sides);
    expect(driver.exitCode).toBe(4);
    expect(onlyJsonObject(driver)).toMatchObject({ kind: 'conflict' });
  });
});

describe('PARACLE_TIMEOUT', () => {
  it('a value that is not a number of seconds is a usage error naming the variable, for every command that could lock', async () => {
    const { dir, stateFile } = project();
    const before = readFileSync(stateFile, 'utf8');
    for (const value of ['abc', '-1', '10s', ' ']) {
      const result = await paracle(['session', 'end', '--complete', 'x'], dir, { PARACLE_TIMEOUT: value });
      expect(result.exitCode, value).toBe(2);
      expect(result.stderr).toBe(`paracle: PARACLE_TIMEOUT takes a number of seconds, got "${value}"\n`);
    }
    const json = failure(await paracle(['status', '--json'], dir, { PARACLE_TIMEOUT: 'abc' }), 2, 'USAGE');
    expect(json.message).toBe('PARACLE_TIMEOUT takes a number of seconds, got "abc"');
    expect(readFileSync(stateFile, 'utf8')).toBe(before);
    // The same value on the command line is the same usage error; a valid --timeout overrides the variable.
    expect((await paracle(['--timeout', 'abc', 'status'], dir)).stderr).toContain('--timeout takes a number of seconds, got "abc"');
    expect((await paracle(['--timeout', '5', 'status'], dir, { PARACLE_TIMEOUT: 'abc' })).exitCode).toBe(0);
    expect((await paracle(['status'], dir, { PARACLE_TIMEOUT: '2.5' })).exitCode).toBe(0);
    expect((await paracle(['status'], dir, { PARACLE_TIMEOUT: '' })).exitCode).toBe(0);
  });

  it('in the pre-commit hook run by git: the commit stops with the same line, nothing is committed', async () => {
    const repo = await makeTestRepo({ committed: true });
    const head = await repo.head();
    repo.write('packages/core/app.py', 'print("two")\n');
    await repo.git(['add', '--', 'packages/core/app.py']);
    const commit = await repo.user(['commit', '-q', '-m', 'bad timeout'], { env: { PARACLE_TIMEOUT: 'abc' } });
    expect(commit.exitCode).not.toBe(0);
    expect(commit.stderr).toContain('paracle: PARACLE_TIMEOUT takes a number of seconds, got "abc"');
    expect(await repo.head()).toBe(head);
  });
});

describe('the code cache is named after a known command, never after what was typed', () => {
  it('COMMAND_NAMES lists exactly the commands the program has (its --help)', async () => {
    const help = await paracle(['--help'], scratch('paracle-json-help-'));
    const commands = help.stdout
      .slice(help.stdout.indexOf('Commands:'))
      .split('\n')
      .slice(1)
      .map((line) => /^ {2}([a-z][a-z-]*)/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined && name !== 'help');
    expect(commands.sort()).toEqual([...COMMAND_NAMES].sort());
  });

  it.each([
    [['status'], 'status'],
    [['--root', 'status', 'validate'], 'validate'],
    [['--timeout', '3', '--json', 'session', 'end'], 'session'],
    [['stauts'], 'other'],
    [['--root', '/tmp/x', 'sync'], 'sync'],
    [['../../etc'], 'other'],
    [['--version'], 'default'],
  ])('%j → %s', (argv, name) => {
    expect(cacheNameForArgv(argv)).toBe(name);
  });
});
