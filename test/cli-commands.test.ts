import type { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { holdStateLock } from './support/children.js';
import { historyFiles, INVALID_HISTORY_PREFIX, FIXTURES, tempDir, tempParacRoot } from './support/fixtures.js';
import { CLI, PROJECT_ROOT, STATE_REL, gitApply, runNode } from './support/git-repo.js';

/** The built CLI (`node dist/cli/bin.js`), run as a user runs it, in temp directories. */

const BIN = CLI;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run without blocking this process: a long run of CLI calls must not starve vitest's own messages. */
async function paracle(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const result = await runNode([BIN, ...args], cwd, { NO_COLOR: '1', ...env });
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/** A temp project holding `.parac/` with `source` as its state file; returns the project dir. */
function project(source: string | null = join(FIXTURES, 'current_state.yaml')): { dir: string; root: string; stateFile: string } {
  const root = tempParacRoot(source);
  return { dir: resolve(root, '..'), root, stateFile: join(root, 'memory', 'context', 'current_state.yaml') };
}

function auditEntries(root: string): Array<Record<string, unknown>> {
  const file = join(root, 'memory', 'logs', 'state_changes.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const children: Array<ReturnType<typeof spawn>> = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('paracle (global)', () => {
  it('prints its version and every command’s help with exit 0', async () => {
    const dir = tempDir();
    const version = await paracle(['--version'], dir);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).version);
    const help = await paracle(['--help'], dir);
    expect(help.code).toBe(0);
    for (const command of ['status', 'sync', 'session', 'validate', 'log', 'lock', 'init']) expect(help.stdout).toContain(command);
    for (const command of [
      ['status'],
      ['sync'],
      ['session', 'end'],
      ['validate'],
      ['log'],
      ['log', 'prune'],
      ['lock', 'status'],
      ['lock', 'clear'],
      ['init'],
    ]) {
      const run = await paracle([...command, '--help'], dir);
      expect(run.code, command.join(' ')).toBe(0);
      expect(run.stdout).toContain(`Usage: paracle ${command.join(' ')}`);
    }
  });

  it('exits 2 on usage errors and writes nothing', async () => {
    const { dir, stateFile } = project();
    const before = readFileSync(stateFile, 'utf8');
    expect((await paracle(['no-such-command'], dir)).code).toBe(2);
    expect((await paracle(['session', 'end', '--progress', '150'], dir)).code).toBe(2);
    expect((await paracle(['session', 'end', '--progress', 'half'], dir)).code).toBe(2);
    expect((await paracle(['log', '--limit', '0'], dir)).code).toBe(2);
    expect((await paracle(['log', 'prune'], dir)).code).toBe(2);
    expect((await paracle(['--timeout', 'soon', 'status'], dir)).code).toBe(2);
    expect(readFileSync(stateFile, 'utf8')).toBe(before);
  });

  it('says in one line where no .parac/ is, exit 1', async () => {
    const run = await paracle(['status'], tempDir());
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^paracle: no \.parac\/ directory in .* run `paracle init` or pass --root/);
  });

  it('finds .parac/ from a subdirectory, and takes --root from anywhere', async () => {
    const { dir, root } = project();
    mkdirSync(join(dir, 'deep', 'er'), { recursive: true });
    expect(JSON.parse((await paracle(['status', '--json'], join(dir, 'deep', 'er'))).stdout).revision).toBe(11);
    expect(JSON.parse((await paracle(['--root', root, 'status', '--json'], tempDir())).stdout).revision).toBe(11);
    expect(JSON.parse((await paracle(['status', '--json', '--root', dir], tempDir())).stdout).revision).toBe(11);
  });
});

describe('paracle status', () => {
  it('shows project, phase, progress, blockers, next actions, revision and snapshot date', async () => {
    const { dir } = project();
    const run = await paracle(['status'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        'paracle-lite 1.0.1',
        '  phase         phase_10 · Governance & v1.0 Release (in_progress)',
        '  progress      0%',
        '  revision      11 (snapshot 2026-01-10)',
        '  blockers      none',
        '  next actions  2',
        '    - Prepare PyPI packaging (high priority for MVP)',
        '    - Address CRUD API shared-state test failures (15 tests from Phase 1) - optional',
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await paracle(['status', '--json'], dir)).stdout);
    expect(json).toEqual({
      project: { name: 'paracle-lite', version: '1.0.1' },
      phase: { id: 'phase_10', name: 'Governance & v1.0 Release', status: 'in_progress' },
      progress: '0%',
      blockers: [],
      next_actions: [
        'Prepare PyPI packaging (high priority for MVP)',
        'Address CRUD API shared-state test failures (15 tests from Phase 1) - optional',
      ],
      revision: 11,
      snapshot_date: '2026-01-10',
    });
  });

  it('reads every valid history file the same as a full parse would', async () => {
    for (const file of historyFiles().filter((f) => !basename(f).startsWith(INVALID_HISTORY_PREFIX))) {
      const { dir } = project(file);
      const json = JSON.parse((await paracle(['status', '--json'], dir)).stdout);
      const data = parse(readFileSync(file, 'utf8'));
      expect(json.revision, file).toBe(data.revision ?? 0);
      expect(json.snapshot_date, file).toBe(data.snapshot_date);
      expect(json.progress, file).toBe(data.current_phase?.progress === undefined ? null : String(data.current_phase.progress));
    }
  });

  it('refuses a broken file in one line naming file:line:col, exit 1, no stack trace (unless --verbose)', async () => {
    const invalid = historyFiles().find((f) => basename(f).startsWith(INVALID_HISTORY_PREFIX))!;
    const { dir, stateFile } = project(invalid);
    const before = readFileSync(stateFile);
    const run = await paracle(['status'], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^paracle: \S*current_state\.yaml:131:\d+: /);
    const verbose = await paracle(['status', '--verbose'], dir);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/\n\s+at /);
    expect(readFileSync(stateFile).equals(before)).toBe(true);

    writeFileSync(
      stateFile,
      readFileSync(join(FIXTURES, 'current_state.yaml'), 'utf8').replace(
        'blockers: []\n',
        '<<<<<<< HEAD\nblockers: []\n=======\nblockers: [x]\n>>>>>>> b\n',
      ),
    );
    const marked = await paracle(['status'], dir);
    expect(marked.code).toBe(1);
    expect(marked.stderr).toMatch(/^paracle: \S*current_state\.yaml:1358:1: git conflict marker "<<<<<<<"/);
  });

  it('says there is no state file yet, exit 1', async () => {
    const { dir } = project(null);
    const run = await paracle(['status'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no state file; run `paracle init`/);
  });
});

describe('paracle init', () => {
  it('creates .parac/ with a valid state at revision 0 and an init audit entry; refuses to overwrite', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-app', version: '2.3.4' }));
    const run = await paracle(['init'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('paracle: created .parac/memory/context/current_state.yaml (revision 0, project my-app)\n');
    const stateFile = join(dir, '.parac', 'memory', 'context', 'current_state.yaml');
    const text = readFileSync(stateFile, 'utf8');
    const data = parse(text);
    expect(data.revision).toBe(0);
    expect(data.project).toMatchObject({ name: 'my-app', version: '2.3.4' });
    expect(text).toMatch(/^snapshot_date: "\d{4}-\d{2}-\d{2}"$/m);
    expect(auditEntries(join(dir, '.parac'))).toEqual([expect.objectContaining({ change_type: 'init', revision: 0 })]);
    expect((await paracle(['validate'], dir)).code).toBe(0);

    const again = await paracle(['init'], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; not overwriting/);
    expect(readFileSync(stateFile, 'utf8')).toBe(text);

    const status = JSON.parse((await paracle(['status', '--json'], dir)).stdout);
    expect(status).toMatchObject({ revision: 0, project: { name: 'my-app' }, progress: '0%' });
  });

  it('refuses to overwrite a state file it did not create', async () => {
    const { dir, stateFile } = project();
    const before = readFileSync(stateFile, 'utf8');
    expect((await paracle(['init'], dir)).code).toBe(1);
    expect(readFileSync(stateFile, 'utf8')).toBe(before);
  });

  it('fills the empty lists it starts with in the file’s own style', async () => {
    const dir = tempDir();
    await paracle(['init', '--name', 'x'], dir);
    expect((await paracle(['session', 'end', '--complete', 'one', '--start', 'two: three', '--progress', '5'], dir)).code).toBe(0);
    const data = parse(readFileSync(join(dir, '.parac', 'memory', 'context', 'current_state.yaml'), 'utf8'));
    expect(data.current_phase).toMatchObject({ completed: ['one'], in_progress: ['two: three'], progress: '5%' });
    expect(data.revision).toBe(1);
  });
});

describe('paracle session end', () => {
  it('applies every item and the progress as one revision with one session_end entry', async () => {
    const { dir, stateFile, root } = project();
    const run = await paracle(
      ['session', 'end', '--complete', 'item a', '--complete', 'item b', '--start', 'item c', '--progress', '40'],
      dir,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'paracle: .parac/memory/context/current_state.yaml rev 11 → 12 (completed item a, item b; started item c; progress 0% → 40%)\n',
    );
    const data = parse(readFileSync(stateFile, 'utf8'));
    expect(data.revision).toBe(12);
    expect(data.current_phase).toMatchObject({ completed: ['item a', 'item b'], in_progress: ['item c'], progress: '40%' });
    const entries = auditEntries(root);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      change_type: 'session_end',
      revision: 12,
      completed: ['item a', 'item b'],
      started: ['item c'],
      progress: { old: '0%', new: '40%' },
    });
  });

  it('--dry-run prints a unified diff that git apply turns into exactly what the real run writes', async () => {
    const { dir, stateFile } = project();
    const before = readFileSync(stateFile, 'utf8');
    const args = ['session', 'end', '--complete', 'item a', '--progress', '55'];
    const dry = await paracle([...args, '--dry-run'], dir);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^--- a\/\.parac\/memory\/context\/current_state\.yaml\n\+\+\+ b\//);
    expect(readFileSync(stateFile, 'utf8')).toBe(before);
    const copy = tempDir();
    mkdirSync(join(copy, STATE_REL, '..'), { recursive: true });
    copyFileSync(stateFile, join(copy, STATE_REL));
    gitApply(copy, dry.stdout);
    expect(readFileSync(join(copy, STATE_REL), 'utf8')).not.toBe(before);
    expect((await paracle(args, dir)).code).toBe(0);
    expect(readFileSync(join(copy, STATE_REL), 'utf8')).toBe(readFileSync(stateFile, 'utf8'));
  });

  it('leaves a broken state file untouched, one line, exit 1', async () => {
    const { dir, stateFile } = project();
    const broken = readFileSync(stateFile, 'utf8').replace('revision: 11', 'revision: eleven');
    writeFileSync(stateFile, broken);
    const run = await paracle(['session', 'end', '--complete', 'x'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^paracle: \S*current_state\.yaml:3:\d+: revision must be a non-negative integer/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(stateFile, 'utf8')).toBe(broken);
  });

  it('exits 3 naming the holder when the lock stays busy past --timeout, and writes nothing', async () => {
    const { dir, stateFile } = project();
    const before = readFileSync(stateFile, 'utf8');
    const holder = await holdStateLock(stateFile, 'cli-hold-lock test child');
    children.push(holder);
    const run = await paracle(['--timeout', '0.5', 'session', 'end', '--complete', 'x'], dir);
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(String(holder.pid));
    expect(readFileSync(stateFile, 'utf8')).toBe(before);

    const status = await paracle(['lock', 'status'], dir);
    expect(status.stdout).toMatch(new RegExp(`^held by pid ${holder.pid} on \\S+ \\(cli-hold-lock test child\\), for [\\d.]+ (ms|s)\\n$`));
    const json = JSON.parse((await paracle(['lock', 'status', '--json'], dir)).stdout);
    expect(json).toMatchObject({ state: 'held', holder: { pid: holder.pid, command: 'cli-hold-lock test child' } });

    const clear = await paracle(['lock', 'clear'], dir);
    expect(clear.code).toBe(1);
    expect(clear.stderr).toMatch(/still running; not removing a live lock/);
    expect(JSON.parse((await paracle(['lock', 'status', '--json'], dir)).stdout).state).toBe('held');

    holder.kill('SIGKILL');
    await new Promise((done) => holder.once('exit', done));
    const stale = await paracle(['lock', 'status', '--json'], dir);
    expect(JSON.parse(stale.stdout).state).toBe('stale');
    const cleared = await paracle(['lock', 'clear'], dir);
    expect(cleared.code).toBe(0);
    expect(cleared.stdout).toMatch(/^paracle: removed the lock \(stale: held by pid \d+/);
    expect((await paracle(['lock', 'status'], dir)).stdout).toBe('free\n');
  });

  it('lock clear refuses a live lock in one line saying which command takes it anyway, exit 1', async () => {
    const { dir, stateFile } = project();
    const holder = await holdStateLock(stateFile, 'cli-hold-lock test child');
    children.push(holder);
    const refused = await paracle(['lock', 'clear'], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^paracle: \\S+current_state\\.yaml is held by pid ${holder.pid} on .+, which is still running; not removing a live lock\\. \`paracle lock clear --force\` takes it anyway \\(its holder's write is then abandoned\\)\\.\n$`,
      ),
    );
    const json = await paracle(['lock', 'clear', '--json'], dir);
    expect(JSON.parse(json.stdout).error.code).toBe('STATE_LOCK_HELD');
    expect(JSON.parse((await paracle(['lock', 'status', '--json'], dir)).stdout).state).toBe('held');
  });

  it('lock clear --force takes a live lock', async () => {
    const { dir, stateFile } = project();
    const holder = await holdStateLock(stateFile, 'cli-hold-lock test child');
    children.push(holder);
    const forced = await paracle(['lock', 'clear', '--force', '--json'], dir);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({
      success: true,
      removed: true,
      found: { state: 'held', holder: { pid: holder.pid } },
    });
    expect((await paracle(['session', 'end', '--complete', 'after the force', '--timeout', '2'], dir)).code).toBe(0);
  });
});

describe('paracle validate', () => {
  it('passes the real state file and its roadmap', async () => {
    const { dir, root } = project();
    mkdirSync(join(root, 'roadmap'));
    copyFileSync(join(FIXTURES, 'roadmap.yaml'), join(root, 'roadmap', 'roadmap.yaml'));
    const run = await paracle(['validate'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('paracle: .parac/memory/context/current_state.yaml is valid (revision 11); 1 other YAML file valid\n');
  });

  it('names file:line:col for invalid YAML (the real history file 05, line 131)', async () => {
    const invalid = historyFiles().find((f) => basename(f).startsWith(INVALID_HISTORY_PREFIX))!;
    const { dir } = project(invalid);
    const run = await paracle(['validate'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^\.parac\/memory\/context\/current_state\.yaml:131:\d+: /);
  });

  it('reports each known field of the wrong type at its line (real history 03: next actions that YAML read as mappings)', async () => {
    const file = historyFiles().find((f) => basename(f).startsWith('03-'))!;
    const { dir } = project(file);
    const lines = readFileSync(file, 'utf8').split('\n');
    const expected = lines.flatMap((line, i) => (/^- Resolve Q\d \(.*: /.test(line) ? [i + 1] : []));
    expect(expected.length).toBeGreaterThan(0);
    const run = await paracle(['validate', '--json'], dir);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.ok).toBe(false);
    const nextActionProblems = report.problems.filter((p: { message: string }) => p.message.startsWith('next_actions['));
    expect(nextActionProblems.map((p: { line: number }) => p.line)).toEqual(expected);
    expect(nextActionProblems[0].message).toMatch(/must be a string, found a mapping .*quote the item/);
  });

  it('reports the template’s formatter-mangled project name, and conflict markers in any .parac YAML', async () => {
    const { dir, root } = project(join(FIXTURES, 'template-lite-current_state.yaml'));
    mkdirSync(join(root, 'config'));
    writeFileSync(join(root, 'config', 'agents.yaml'), 'a: 1\n<<<<<<< ours\nb: 2\n=======\nb: 3\n>>>>>>> theirs\n');
    writeFileSync(join(root, 'config', 'broken.yml'), 'a: [1, 2\n');
    const run = await paracle(['validate'], dir);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(/^\.parac\/memory\/context\/current_state\.yaml:6:\d+: project\.name must be a string, found a mapping/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^\.parac\/memory\/context\/current_state\.yaml:3:\d+: snapshot_date must be a date/),
    );
    expect(lines).toContainEqual('.parac/config/agents.yaml:2:1: git conflict marker "<<<<<<<": finish the merge, then `git add` the file');
    expect(lines).toContainEqual(expect.stringMatching(/^\.parac\/config\/broken\.yml:\d+:\d+: /));
  });
});

describe('paracle log', () => {
  it('shows entries newest first, --limit, --json, and prune --keep-days', async () => {
    const { dir, root } = project();
    for (const item of ['one', 'two', 'three']) expect((await paracle(['session', 'end', '--complete', item], dir)).code).toBe(0);
    const run = await paracle(['log', '--limit', '2'], dir);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:]+Z {2}rev 14 {3}session_end {4}Session ended: completed three$/);
    expect(lines[1]).toContain('rev 13');
    const json = JSON.parse((await paracle(['log', '--json'], dir)).stdout);
    expect(json.map((e: { revision: number }) => e.revision)).toEqual([14, 13, 12]);

    // Age the oldest entry by 40 days; prune --keep-days 30 removes exactly it.
    const file = join(root, 'memory', 'logs', 'state_changes.jsonl');
    const entries = auditEntries(root);
    entries[0]!.timestamp = new Date(Date.now() - 40 * 86_400_000).toISOString();
    writeFileSync(file, `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`);
    const prune = await paracle(['log', 'prune', '--keep-days', '30'], dir);
    expect(prune.code).toBe(0);
    // The entry removed started the history trail (issue 14): the first one kept holds its revision's data now.
    expect(prune.stdout).toBe('paracle: removed 1 entry older than 30 days; the history now starts at a snapshot of revision 13\n');
    expect(auditEntries(root).map((e) => e.revision)).toEqual([13, 14]);
  });

  it('says the log is empty', async () => {
    const { dir } = project();
    expect((await paracle(['log'], dir)).stdout).toBe('paracle: the audit log is empty\n');
    expect(JSON.parse((await paracle(['log', '--json'], dir)).stdout)).toEqual([]);
  });
});
