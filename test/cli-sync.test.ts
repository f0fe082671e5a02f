import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIXTURES, tempDir } from './support/fixtures.js';
import { gitSync } from './support/git-repo.js';

/** `paracle sync` through the built CLI in real temp git repositories. */

const BIN = resolve('dist/cli/bin.js');

function paracle(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A repository with the real state file and roadmap, a few files in conventional places, one commit. */
function repository(): { dir: string; stateFile: string; root: string } {
  const dir = tempDir('paracle-sync-');
  const root = join(dir, '.parac');
  mkdirSync(join(root, 'memory', 'context'), { recursive: true });
  mkdirSync(join(root, 'roadmap'));
  copyFileSync(join(FIXTURES, 'current_state.yaml'), join(root, 'memory', 'context', 'current_state.yaml'));
  copyFileSync(join(FIXTURES, 'roadmap.yaml'), join(root, 'roadmap', 'roadmap.yaml'));
  for (const file of [
    'src/app.py',
    'src/util.py',
    'src/util_test.py',
    'tests/test_app.py',
    'docs/guide.md',
    'README.md',
    'build/out.bin',
  ]) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), `${file}\n`);
  }
  writeFileSync(join(dir, '.gitignore'), 'build/\n');
  gitSync(dir, 'init', '-q');
  gitSync(dir, 'add', '-A');
  gitSync(dir, 'commit', '-q', '-m', 'Initial layout');
  return { dir, root, stateFile: join(root, 'memory', 'context', 'current_state.yaml') };
}

function auditEntries(root: string) {
  return readFileSync(join(root, 'memory', 'logs', 'state_changes.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

describe('paracle sync', () => {
  it('writes repository facts and file counts, and reports { success, changes, errors } with --json', () => {
    const { dir, stateFile, root } = repository();
    const head = gitSync(dir, 'log', '-1', '--format=%h %s').trim();
    const run = paracle(['sync', '--json'], dir);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ success: true, errors: [], revision: 12, previous_revision: 11, reconciled: false, dry_run: false });
    const byPath = Object.fromEntries(report.changes.map((c: { path: string; new: unknown }) => [c.path, c.new]));
    expect(byPath).toMatchObject({
      'repository.branch': 'main',
      'repository.last_commit': head,
      // Everything is committed; the state file paracle itself just wrote does not count.
      'repository.has_uncommitted_changes': false,
      // .gitignore, 5 project files and README; build/ is ignored, .parac/ is never counted.
      'metrics.total_files': 7,
      'metrics.source_files': 2,
      'metrics.test_files': 2,
      'metrics.documentation_files': 2,
    });
    const data = parse(readFileSync(stateFile, 'utf8'));
    expect(data.repository).toMatchObject({
      branch: 'main',
      last_commit: head,
      has_uncommitted_changes: false,
      url: 'https://github.com/IbIFACE-Tech/paracle-lite',
    });
    expect(data.metrics).toMatchObject({ total_files: 7, test_files: 2, documentation_files: 2, code_coverage: '87.5%' });
    expect(data.revision).toBe(12);
    const entries = auditEntries(root);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ change_type: 'sync', revision: 12 });
    expect(report.warnings).toEqual(['current_phase.progress is 0% but the roadmap has phase_10 at 98%']);

    // Nothing changed since: nothing is written.
    const again = paracle(['sync'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('paracle: .parac/memory/context/current_state.yaml is in sync (rev 12)\n');
    expect(auditEntries(root)).toHaveLength(1);

    // A new untracked file: counted, and the tree now has uncommitted changes.
    writeFileSync(join(dir, 'src', 'new.py'), 'x\n');
    const third = JSON.parse(paracle(['sync', '--json'], dir).stdout);
    expect(third.changes.map((c: { path: string }) => c.path).sort()).toEqual(
      // snapshot_date is today already.
      ['metrics.source_files', 'metrics.total_files', 'repository.has_uncommitted_changes'].sort(),
    );
  });

  it('--no-git, --no-metrics and --no-roadmap skip their parts', () => {
    const { dir } = repository();
    const report = JSON.parse(paracle(['sync', '--json', '--no-git', '--no-roadmap'], dir).stdout);
    expect(report.changes.every((c: { path: string }) => c.path.startsWith('metrics.') || c.path === 'snapshot_date')).toBe(true);
    expect(report.warnings).toEqual([]);
    const gitOnly = JSON.parse(paracle(['sync', '--json', '--no-metrics'], dir).stdout);
    expect(gitOnly.changes.every((c: { path: string }) => c.path.startsWith('repository.') || c.path === 'snapshot_date')).toBe(true);
    const nothing = JSON.parse(paracle(['sync', '--json', '--no-git', '--no-metrics', '--no-roadmap'], dir).stdout);
    expect(nothing).toMatchObject({ success: true, changes: [], revision: 13 });
  });

  it('--dry-run prints the unified diff it would write and writes nothing', () => {
    const { dir, stateFile } = repository();
    const before = readFileSync(stateFile, 'utf8');
    const dry = paracle(['sync', '--dry-run'], dir);
    expect(dry.code).toBe(0);
    expect(readFileSync(stateFile, 'utf8')).toBe(before);
    expect(dry.stdout).toContain('-  branch: develop\n+  branch: main\n');
    expect(dry.stdout).toContain('+revision: 12\n');
    const copy = join(tempDir(), 'copy.yaml');
    copyFileSync(stateFile, copy);
    expect(spawnSync('patch', ['-s', copy], { input: dry.stdout }).status).toBe(0);
    expect(paracle(['sync'], dir).code).toBe(0);
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(stateFile, 'utf8'));
    const json = JSON.parse(paracle(['sync', '--dry-run', '--json'], tempDirWithChange(dir)).stdout);
    expect(json.dry_run).toBe(true);
  });

  it('--auto-fix applies the safe roadmap fixes only', () => {
    const { dir, stateFile } = repository();
    const text = readFileSync(stateFile, 'utf8').replace('  phase: phase_10\n', '  phase: phase_9\n').replace('    - v1_release\n', '');
    writeFileSync(stateFile, text);
    const warned = JSON.parse(paracle(['sync', '--json', '--no-git', '--no-metrics'], dir).stdout);
    expect(warned.changes).toEqual([]);
    expect(warned.warnings).toEqual([
      'project.phase is phase_9 but current_phase.id is phase_10 (--auto-fix fixes this)',
      'current_phase.progress is 0% but the roadmap has phase_10 at 98%',
      'current_phase.deliverables lacks 1 the roadmap lists for phase_10: v1_release (--auto-fix fixes this)',
    ]);
    const fixed = JSON.parse(paracle(['sync', '--json', '--no-git', '--no-metrics', '--auto-fix'], dir).stdout);
    expect(fixed.changes.map((c: { path: string }) => c.path)).toEqual(['project.phase', 'current_phase.deliverables', 'snapshot_date']);
    const data = parse(readFileSync(stateFile, 'utf8'));
    expect(data.project.phase).toBe('phase_10');
    expect(data.current_phase.deliverables.at(-1)).toBe('v1_release');
    expect(data.current_phase.progress).toBe('0%');
  });

  it('outside a git repository: reports the git error, still counts files, exit 1', () => {
    const dir = tempDir('paracle-nogit-');
    const root = join(dir, '.parac');
    mkdirSync(join(root, 'memory', 'context'), { recursive: true });
    copyFileSync(join(FIXTURES, 'current_state.yaml'), join(root, 'memory', 'context', 'current_state.yaml'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'a.rs'), '');
    mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'dep', 'index.js'), '');
    const run = paracle(['sync', '--json'], dir);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.success).toBe(false);
    expect(report.errors).toEqual([{ source: 'git', message: expect.stringContaining('is not in a git repository (use --no-git)') }]);
    expect(report.changes.find((c: { path: string }) => c.path === 'metrics.total_files').new).toBe(1);
    expect(paracle(['sync', '--no-git'], dir).code).toBe(0);
  });

  it('a bad metrics config names the file and key, exit 1, state untouched', () => {
    const { dir, root, stateFile } = repository();
    mkdirSync(join(root, 'config'));
    writeFileSync(join(root, 'config', 'metrics.yaml'), 'metrics:\n  rust_files: { include: ["**/*.rs"], exlude: [] }\n');
    const before = readFileSync(stateFile, 'utf8');
    const run = paracle(['sync', '--no-git', '--no-roadmap'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/metrics\.yaml: metrics\.rust_files: unknown key "exlude"/);
    expect(readFileSync(stateFile, 'utf8')).toBe(before);
    writeFileSync(join(root, 'config', 'metrics.yaml'), 'metrics:\n  python_files: "**/*.py"\n');
    const report = JSON.parse(paracle(['sync', '--json', '--no-git', '--no-roadmap'], dir).stdout);
    expect(report.changes).toEqual([
      { path: 'metrics.python_files', old: 216, new: 4 },
      { path: 'snapshot_date', old: '2026-01-10', new: expect.any(String) },
    ]);
  });
});

describe('paracle sync on a broken state file', () => {
  it('refuses in one line naming file:line:col, exit 1, file untouched', () => {
    const { dir, stateFile } = repository();
    const broken = readFileSync(stateFile, 'utf8').replace('next_actions:\n', 'next_actions:\n<<<<<<< HEAD\n');
    writeFileSync(stateFile, broken);
    const line = broken.split('\n').indexOf('<<<<<<< HEAD') + 1;
    const run = paracle(['sync'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `paracle: ${stateFile}:${line}:1: git conflict marker "<<<<<<<": finish the merge (keep the right lines, delete the markers), then \`git add\` the file\n`,
    );
    expect(readFileSync(stateFile, 'utf8')).toBe(broken);
  });
});

/** The same repository after one more edit, so a dry run has something to show. */
function tempDirWithChange(dir: string): string {
  writeFileSync(join(dir, 'docs', 'more.md'), 'more\n');
  return dir;
}
