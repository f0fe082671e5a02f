import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { tempDir } from './support/fixtures.js';
import { CLI, STATE_REL, makeTestRepo, runNode, type TestRepo } from './support/git-repo.js';

/** `paracle install` for real, in temp repositories set up as a user's project would be. */

const HOOK_FILES = ['.husky/pre-commit', '.husky/post-merge'];

async function hooksPath(repo: TestRepo): Promise<string> {
  return (await repo.git(['config', '--get', 'core.hooksPath'])).stdout.trim();
}

function snapshot(repo: TestRepo, files: string[]): Record<string, string | null> {
  return Object.fromEntries(files.map((f) => [f, existsSync(join(repo.dir, f)) ? repo.read(f) : null]));
}

describe('paracle install', () => {
  it('sets up husky, both hooks, the ignore rules and the prepare script, and says so', async () => {
    const repo = await makeTestRepo({ installed: false });
    const result = await repo.paracle(['install']);
    expect(result.exitCode, result.stderr).toBe(0);
    // The hooks' lines, in order (install also sets up the merge driver, whose lines are tested with it).
    const lines = result.stdout.split('\n').filter(Boolean);
    const ours = [
      'paracle: husky set up in .husky/ (core.hooksPath = .husky/_, relative: the repository can be moved or copied)',
      'paracle: .husky/pre-commit: created, runs the paracle pre-commit hook',
      'paracle: .husky/post-merge: created, runs the paracle post-merge hook',
      'paracle: .husky/post-checkout: created, sets up the hooks in new linked worktrees',
      'paracle: .gitignore: added rules so the state lock, temp files and the local audit log are never committed',
      'paracle: package.json: scripts.prepare is now "paracle-hooks install || exit 0"',
    ];
    expect(lines.filter((line) => ours.includes(line))).toEqual(ours);
    expect(lines.every((line) => line.startsWith('paracle: '))).toBe(true);
    expect(await hooksPath(repo)).toBe('.husky/_');
    expect(existsSync(join(repo.dir, '.husky/_/h'))).toBe(true);
    for (const file of HOOK_FILES) {
      const text = repo.read(file);
      const hook = file.split('/').pop();
      // The toolkit is run directly from node_modules with node: no npx on every commit.
      expect(text).toContain(`paracle_hook="\${0%/*}/../node_modules/paracle-hooks/hooks/${hook}.cjs"`);
      expect(text).toContain('node "$paracle_hook" "$@"');
      expect(text).not.toContain('npx');
    }
    expect(repo.read('.gitignore')).toContain('**/.parac/memory/context/current_state.yaml.paracle-lock');
    expect(JSON.parse(repo.read('package.json')).scripts.prepare).toBe('paracle-hooks install || exit 0');
  });

  it('running it twice changes nothing', async () => {
    const repo = await makeTestRepo({ installed: false });
    expect((await repo.paracle(['install'])).exitCode).toBe(0);
    const files = [...HOOK_FILES, '.gitignore', 'package.json', '.husky/_/h'];
    const before = snapshot(repo, files);
    const again = await repo.paracle(['install']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe('paracle: hooks already installed; nothing changed\n');
    expect(snapshot(repo, files)).toEqual(before);
  });

  it('keeps existing hook content and an existing prepare script; adds its own once', async () => {
    const repo = await makeTestRepo({ installed: false });
    repo.write('.husky/pre-commit', 'npm test\n');
    const pkg = JSON.parse(repo.read('package.json'));
    repo.write('package.json', `${JSON.stringify({ ...pkg, scripts: { prepare: 'husky' } }, null, 4)}\n`);
    expect((await repo.paracle(['install'])).exitCode).toBe(0);
    expect((await repo.paracle(['install'])).exitCode).toBe(0);
    const hook = repo.read('.husky/pre-commit');
    expect(hook.startsWith('npm test\n')).toBe(true);
    expect(hook.split('# >>> paracle-hooks')).toHaveLength(2);
    expect(JSON.parse(repo.read('package.json')).scripts.prepare).toBe('husky && (paracle-hooks install || exit 0)');
    expect(repo.read('package.json')).toContain('\n    "scripts"'); // four-space indent kept
  });

  it('package.json in a subfolder of the repository: hooks beside it, .parac/ found there, commits update it', async () => {
    const repo = await makeTestRepo({ installed: false });
    mkdirSync(join(repo.dir, 'app'));
    for (const entry of ['package.json', 'node_modules', '.parac']) renameSync(join(repo.dir, entry), join(repo.dir, 'app', entry));
    // Areas are globs from the folder holding .parac/ (app/), as `paracle sync` counts files from there.
    repo.write('app/.parac/config/hooks.yaml', 'areas:\n  app: [src/]\n');
    const result = await repo.paracle(['install'], { cwd: join(repo.dir, 'app') });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await hooksPath(repo)).toBe('app/.husky/_');
    expect(repo.read('app/.husky/pre-commit')).toContain('node "$paracle_hook" --root app/.parac "$@"');
    expect(repo.read('.gitignore')).toContain('**/.parac/memory/context/current_state.yaml.lock');

    repo.write('.gitignore', `${repo.read('.gitignore')}app/node_modules/\n`);
    repo.write('app/src/main.ts', 'x\n');
    await repo.git(['add', '-A']);
    const commit = await repo.user(['commit', '-q', '-m', 'app']);
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect(commit.stderr).toContain('rev 11 → 12 (app: 1)');
    const state = parseStateText((await repo.show('HEAD:app/.parac/memory/context/current_state.yaml'))!, 'state');
    expect(state.data.recent_changes).toEqual([{ area: 'app', count: 1, files: ['src/main.ts'] }]);
  });

  it('HUSKY=0 or PARACLE=0 skips it', async () => {
    for (const env of [{ HUSKY: '0' }, { PARACLE: '0' }]) {
      const repo = await makeTestRepo({ installed: false });
      const result = await repo.paracle(['install'], { env });
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(`paracle: install skipped (${Object.keys(env)[0]}=0)\n`);
      expect(existsSync(join(repo.dir, '.husky'))).toBe(false);
    }
  });

  it('does not take over another tool’s core.hooksPath (the rest of the install: test/install-other-hooks.test.ts)', async () => {
    const repo = await makeTestRepo({ installed: false });
    await repo.git(['config', 'core.hooksPath', '.githooks']);
    const result = await repo.paracle(['install']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("paracle: note: core.hooksPath is .githooks, another tool's hooks: left alone");
    expect(await hooksPath(repo)).toBe('.githooks');
  });

  it('reuses husky when the repository already has it (relative .husky/_ from `husky`)', async () => {
    const repo = await makeTestRepo({ installed: false });
    await repo.git(['config', 'core.hooksPath', '.husky/_']);
    expect((await repo.paracle(['install'])).exitCode).toBe(0);
    expect(await hooksPath(repo)).toBe('.husky/_');
  });

  it('outside a git repository: an error by hand, a warning (exit 0) under npm', async () => {
    const dir = tempDir('paracle-nogit-');
    writeFileSync(join(dir, 'package.json'), '{"name":"x"}\n');
    const byHand = await runNode([CLI, 'install'], dir);
    expect(byHand.exitCode).toBe(1);
    expect(byHand.stderr).toContain('is not inside a git repository');
    const underNpm = await runNode([CLI, 'install'], dir, { npm_lifecycle_event: 'prepare' });
    expect(underNpm.exitCode).toBe(0);
    expect(underNpm.stderr).toMatch(/^paracle: warning: hooks not installed: .* is not inside a git repository/);
  });

  it('without paracle-hooks in node_modules it says how to add it', async () => {
    const repo = await makeTestRepo({ installed: false });
    rmSync(join(repo.dir, 'node_modules'), { recursive: true });
    const result = await repo.paracle(['install']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('npm install --save-dev paracle-hooks');
  });

  it('an installed hook whose toolkit is gone (fresh clone before npm install) skips with one line', async () => {
    const repo = await makeTestRepo();
    rmSync(join(repo.dir, 'node_modules'), { recursive: true });
    const before = repo.read(STATE_REL);
    repo.write('packages/x.py', 'x\n');
    await repo.git(['add', '-A']);
    const result = await repo.user(['commit', '-q', '-m', 'no toolkit']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toBe('paracle: pre-commit skipped: paracle-hooks is not installed (run npm install)\n');
    expect(repo.read(STATE_REL)).toBe(before);
  });

  it('the hook files are executable and run through husky’s runner', async () => {
    const repo = await makeTestRepo();
    for (const file of HOOK_FILES) expect(statSync(join(repo.dir, file)).mode & 0o111).not.toBe(0);
    // git runs .husky/_/pre-commit (core.hooksPath), which hands over to husky's runner `h`, which runs .husky/pre-commit.
    expect(await hooksPath(repo)).toBe('.husky/_');
    expect(readFileSync(join(repo.dir, '.husky/_/pre-commit'), 'utf8')).toContain('/h"');
    // Proof that a real commit goes that way: a line the user's hook file runs before ours records
    // how it was run (husky's runner puts node_modules/.bin first on PATH), then our update lands.
    const marker = join(tempDir('paracle-marker-'), 'hook-ran');
    repo.write('.husky/pre-commit', `echo "$0 \${PATH%%:*}" > "${marker}"\n${repo.read('.husky/pre-commit')}`);
    const before = parseStateText(repo.read(STATE_REL), STATE_REL).revision;
    repo.write('packages/x.py', 'x\n');
    await repo.git(['add', '-A']);
    const result = await repo.user(['commit', '-q', '-m', 'through husky']);
    expect(result.exitCode, result.stderr).toBe(0);
    const [script, firstOnPath] = readFileSync(marker, 'utf8').trim().split(' ');
    expect(resolve(repo.dir, script!)).toBe(join(repo.dir, '.husky', 'pre-commit'));
    expect(firstOnPath).toBe('node_modules/.bin');
    expect(result.stderr).toContain(`rev ${before} → ${before + 1}`);
    expect(parseStateText((await repo.show(`HEAD:${STATE_REL}`))!, STATE_REL).revision).toBe(before + 1);
  });
});
