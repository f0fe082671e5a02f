import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIXTURES, tempDir } from './support/fixtures.js';
import { CLI, STATE_REL, gitApply, gitSync, runNode } from './support/git-repo.js';

/** `paracle sync` through the built CLI in real temp git repositories. */

const BIN = CLI;

/** Run without blocking this process: a long run of CLI calls must not starve vitest's own messages. */
async function paracle(args: string[], cwd: string) {
  const result = await runNode([BIN, ...args], cwd, { NO_COLOR: '1' });
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
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
  it('writes repository facts and file counts, and reports { success, changes, errors } with --json', async () => {
    const { dir, stateFile, root } = repository();
    const head = gitSync(dir, 'log', '-1', '--format=%h %s').trim();
    const run = await paracle(['sync', '--json'], dir);
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
    const again = await paracle(['sync'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('paracle: .parac/memory/context/current_state.yaml is in sync (rev 12)\n');
    expect(auditEntries(root)).toHaveLength(1);

    // A new untracked file: counted, and the tree now has uncommitted changes.
    writeFileSync(join(dir, 'src', 'new.py'), 'x\n');
    const third = JSON.parse((await paracle(['sync', '--json'], dir)).stdout);
    expect(third.changes.map((c: { path: string }) => c.path).sort()).toEqual(
      // snapshot_date is today already.
      ['metrics.source_files', 'metrics.total_files', 'repository.has_uncommitted_changes'].sort(),
    );
  });

  it('--no-git, --no-metrics and --no-roadmap skip their parts', async () => {
    const { dir } = repository();
    const paths = (report: { changes: Array<{ path: string }> }) => report.changes.map((c) => c.path);
    const metricsOnly = JSON.parse((await paracle(['sync', '--json', '--no-git', '--no-roadmap'], dir)).stdout);
    // Metrics (and the snapshot date that marks the sync), nothing from git or the roadmap.
    expect(paths(metricsOnly)).toEqual(expect.arrayContaining(['metrics.total_files', 'snapshot_date']));
    expect(paths(metricsOnly).filter((path) => !path.startsWith('metrics.') && path !== 'snapshot_date')).toEqual([]);
    expect(metricsOnly.warnings).toEqual([]);
    const gitOnly = JSON.parse((await paracle(['sync', '--json', '--no-metrics'], dir)).stdout);
    // Git facts only (the snapshot date is today's already): the branch, the last commit.
    expect(paths(gitOnly)).toEqual(expect.arrayContaining(['repository.branch', 'repository.last_commit']));
    expect(paths(gitOnly).filter((path) => !path.startsWith('repository.'))).toEqual([]);
    expect(gitOnly.warnings).not.toEqual([]);
    const nothing = JSON.parse((await paracle(['sync', '--json', '--no-git', '--no-metrics', '--no-roadmap'], dir)).stdout);
    expect(nothing).toMatchObject({ success: true, changes: [], revision: 13 });
  });

  it('--dry-run prints the unified diff it would write and writes nothing', async () => {
    const { dir, stateFile } = repository();
    const before = readFileSync(stateFile, 'utf8');
    const dry = await paracle(['sync', '--dry-run'], dir);
    expect(dry.code).toBe(0);
    expect(readFileSync(stateFile, 'utf8')).toBe(before);
    expect(dry.stdout).toContain('-  branch: develop\n+  branch: main\n');
    expect(dry.stdout).toContain('+revision: 12\n');
    const copy = tempDir();
    mkdirSync(join(copy, STATE_REL, '..'), { recursive: true });
    copyFileSync(stateFile, join(copy, STATE_REL));
    gitApply(copy, dry.stdout);
    expect((await paracle(['sync'], dir)).code).toBe(0);
    expect(readFileSync(join(copy, STATE_REL), 'utf8')).toBe(readFileSync(stateFile, 'utf8'));
    const json = JSON.parse((await paracle(['sync', '--dry-run', '--json'], tempDirWithChange(dir))).stdout);
    expect(json.dry_run).toBe(true);
  });

  it('--auto-fix applies the safe roadmap fixes only', async () => {
    const { dir, stateFile } = repository();
    const text = readFileSync(stateFile, 'utf8').replace('  phase: phase_10\n', '  phase: phase_9\n').replace('    - v1_release\n', '');
    writeFileSync(stateFile, text);
    const warned = JSON.parse((await paracle(['sync', '--json', '--no-git', '--no-metrics'], dir)).stdout);
    expect(warned.changes).toEqual([]);
    expect(warned.warnings).toEqual([
      'project.phase is phase_9 but current_phase.id is phase_10 (--auto-fix fixes this)',
      'current_phase.progress is 0% but the roadmap has phase_10 at 98%',
      'current_phase.deliverables lacks 1 the roadmap lists for phase_10: v1_release (--auto-fix fixes this)',
    ]);
    const fixed = JSON.parse((await paracle(['sync', '--json', '--no-git', '--no-metrics', '--auto-fix'], dir)).stdout);
    expect(fixed.changes.map((c: { path: string }) => c.path)).toEqual(['project.phase', 'current_phase.deliverables', 'snapshot_date']);
    const data = parse(readFileSync(stateFile, 'utf8'));
    expect(data.project.phase).toBe('phase_10');
    expect(data.current_phase.deliverables.at(-1)).toBe('v1_release');
    expect(data.current_phase.progress).toBe('0%');
  });

  it('outside a git repository: reports the git error, still counts files, exit 1', async () => {
    // No repository above it either: GIT_CEILING_DIRECTORIES fences the temp folder (environment.ts).
    const dir = tempDir('paracle-nogit-');
    const root = join(dir, '.parac');
    mkdirSync(join(root, 'memory', 'context'), { recursive: true });
    copyFileSync(join(FIXTURES, 'current_state.yaml'), join(root, 'memory', 'context', 'current_state.yaml'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'a.rs'), '');
    mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'dep', 'index.js'), '');
    const run = await paracle(['sync', '--json'], dir);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.success).toBe(false);
    expect(report.errors).toEqual([{ source: 'git', message: expect.stringContaining('is not in a git repository (use --no-git)') }]);
    expect(report.changes.find((c: { path: string }) => c.path === 'metrics.total_files').new).toBe(1);
    expect((await paracle(['sync', '--no-git'], dir)).code).toBe(0);
  });

  it('a bad metrics config names the file and key, exit 1, state untouched', async () => {
    const { dir, root, stateFile } = repository();
    mkdirSync(join(root, 'config'));
    writeFileSync(join(root, 'config', 'metrics.yaml'), 'metrics:\n  rust_files: { include: ["**/*.rs"], exlude: [] }\n');
    const before = readFileSync(stateFile, 'utf8');
    const run = await paracle(['sync', '--no-git', '--no-roadmap'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/metrics\.yaml: metrics\.rust_files: unknown key "exlude"/);
    expect(readFileSync(stateFile, 'utf8')).toBe(before);
    writeFileSync(join(root, 'config', 'metrics.yaml'), 'metrics:\n  python_files: "**/*.py"\n');
    const report = JSON.parse((await paracle(['sync', '--json', '--no-git', '--no-roadmap'], dir)).stdout);
    expect(report.changes).toEqual([
      { path: 'metrics.python_files', old: 216, new: 4 },
      { path: 'snapshot_date', old: '2026-01-10', new: expect.any(String) },
    ]);
  });
});

describe('paracle sync on a broken state file', () => {
  it('refuses in one line naming file:line:col, exit 1, file untouched', async () => {
    const { dir, stateFile } = repository();
    const broken = readFileSync(stateFile, 'utf8').replace('next_actions:\n', 'next_actions:\n<<<<<<< HEAD\n');
    writeFileSync(stateFile, broken);
    const line = broken.split('\n').indexOf('<<<<<<< HEAD') + 1;
    const run = await paracle(['sync'], dir);
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
