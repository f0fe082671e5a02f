import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeMarkedBlock, upsertMarkedBlock } from '../src/hooks-install/marked-block.js';
import { preparedScript, scriptWithoutInstall } from '../src/hooks-install/prepare-script.js';
import { LOG_REL, STATE_REL } from './support/git-repo.js';
import { npmEnvironment } from './support/packed-project.js';
import { makePackedRepo, type PackedRepo, removeScratchFolders, runCommand, scratchDir } from './support/packed-repo.js';

/**
 * `paracle uninstall`, from the packed tarball in a user's project: everything `paracle install`
 * added goes, every line of the user's stays, and afterwards neither git nor npm runs any of ours.
 */

afterAll(removeScratchFolders);

const MERGE_KEYS = ['merge.paracle-state.driver', 'merge.paracle-state.name'];

async function config(repo: PackedRepo, key: string): Promise<string | null> {
  const result = await repo.git(['config', '--get', key]).catch(() => null);
  return result === null || result.exitCode !== 0 ? null : result.stdout.trim();
}

function fileOrNull(repo: PackedRepo, rel: string): string | null {
  return existsSync(join(repo.dir, rel)) ? repo.read(rel) : null;
}

/** A commit touching a watched area; the state's revision after it, and what the commit printed. */
async function commitPackage(repo: PackedRepo, name: string): Promise<{ revision: number; stderr: string }> {
  repo.write(`packages/${name}.py`, `${name}\n`);
  await repo.git(['add', '-A']);
  const commit = await repo.user(['commit', '-q', '-m', name]);
  expect(commit.exitCode, commit.stderr).toBe(0);
  return { revision: Number(/^revision: (\d+)/m.exec(repo.read(STATE_REL))![1]), stderr: commit.stderr };
}

async function npmInstall(repo: PackedRepo): Promise<string> {
  const install = await runCommand('npm', ['install', '--prefer-offline'], { cwd: repo.dir, env: npmEnvironment() });
  expect(install.exitCode, install.stderr).toBe(0);
  return install.stdout + install.stderr;
}

describe('paracle uninstall', () => {
  it('a project that had only paracle: hooks, husky, merge driver, attributes and prepare all go; git and npm run nothing of ours after', async () => {
    const repo = await makePackedRepo({ install: false, npm: true });
    const packageJson = repo.read('package.json');
    expect((await repo.paracle(['install'])).exitCode).toBe(0);
    await repo.git(['add', '-A']);
    expect((await repo.user(['commit', '-q', '-m', 'initial'])).exitCode).toBe(0);
    const linked = join(scratchDir('paracle-uninstall-worktree-'), 'linked');
    expect((await repo.user(['worktree', 'add', '-q', '-b', 'side', linked])).exitCode).toBe(0);
    expect(existsSync(join(linked, '.husky/_/h'))).toBe(true);
    const before = await commitPackage(repo, 'a');
    expect(before.stderr).toContain('paracle:');

    const result = await repo.paracle(['uninstall']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('paracle: .husky/pre-commit: removed');
    expect(result.stdout).toContain('paracle: git config core.hooksPath (.husky/_) removed');
    expect(result.stdout).toContain(
      'paracle: note: commit the changed files: .husky/pre-commit .husky/post-merge .husky/post-checkout .gitattributes package.json\n',
    );
    expect(existsSync(join(repo.dir, '.husky'))).toBe(false);
    expect(existsSync(join(linked, '.husky/_'))).toBe(false);
    expect(await config(repo, 'core.hooksPath')).toBeNull();
    for (const key of MERGE_KEYS) expect(await config(repo, key), key).toBeNull();
    expect(fileOrNull(repo, '.gitattributes')).toBeNull();
    expect(repo.read('package.json')).toBe(packageJson);
    // The state, its local audit log and the ignore rules that keep the log out of commits stay.
    expect(existsSync(join(repo.dir, STATE_REL))).toBe(true);
    expect(existsSync(join(repo.dir, LOG_REL))).toBe(true);
    expect((await repo.git(['status', '--porcelain', '--', LOG_REL])).stdout).toBe('');

    const output = await npmInstall(repo);
    expect(output).not.toMatch(/paracle|husky/i);
    expect(existsSync(join(repo.dir, '.husky'))).toBe(false);
    const after = await commitPackage(repo, 'b');
    expect(after.stderr).toBe('');
    expect(after.revision).toBe(before.revision);

    const again = await repo.paracle(['uninstall']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe('paracle: nothing of paracle install was found; nothing changed\n');
  });

  it("the user's own hook lines, attributes and prepare script stay byte for byte, and husky stays set up for them", async () => {
    const repo = await makePackedRepo({ install: false, npm: true });
    repo.write('.husky/pre-commit', 'echo user-hook-ran\n');
    repo.write('.gitattributes', '*.png binary\n');
    const manifest = JSON.parse(repo.read('package.json'));
    repo.write('package.json', `${JSON.stringify({ ...manifest, scripts: { prepare: 'echo prepared' } }, null, 2)}\n`);
    const userFiles = {
      '.husky/pre-commit': repo.read('.husky/pre-commit'),
      '.gitattributes': repo.read('.gitattributes'),
      'package.json': repo.read('package.json'),
    };
    expect((await repo.paracle(['install'])).exitCode).toBe(0);
    expect(JSON.parse(repo.read('package.json')).scripts.prepare).toBe('echo prepared && (paracle-hooks install || exit 0)');
    await repo.git(['add', '-A']);
    expect((await repo.user(['commit', '-q', '-m', 'initial'])).exitCode).toBe(0);

    const result = await repo.paracle(['uninstall']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("paracle: .husky/pre-commit: paracle's block removed (your lines kept)");
    expect(result.stdout).toContain('paracle: note: husky stays set up: .husky/pre-commit is yours');
    for (const [rel, text] of Object.entries(userFiles)) expect(fileOrNull(repo, rel), rel).toBe(text);
    expect(fileOrNull(repo, '.husky/post-merge')).toBeNull();
    expect(fileOrNull(repo, '.husky/post-checkout')).toBeNull();
    expect(await config(repo, 'core.hooksPath')).toBe('.husky/_');
    for (const key of MERGE_KEYS) expect(await config(repo, key), key).toBeNull();

    const output = await npmInstall(repo);
    expect(output).not.toMatch(/paracle/i);
    const revision = Number(/^revision: (\d+)/m.exec(repo.read(STATE_REL))![1]);
    const commit = await commitPackage(repo, 'c');
    expect(commit.stderr).not.toContain('paracle');
    expect(commit.revision).toBe(revision);
    const hookRan = await repo.user(['commit', '--allow-empty', '-m', 'empty']);
    expect(hookRan.stdout + hookRan.stderr).toContain('user-hook-ran');
  });

  it('a package.json that does not parse stops it before any change: one line naming the file, every file and config value as they were', async () => {
    const repo = await makePackedRepo({ npm: true });
    const files = ['.husky/pre-commit', '.husky/post-merge', '.husky/post-checkout', '.gitattributes', '.gitignore'];
    const before = Object.fromEntries(files.map((rel) => [rel, fileOrNull(repo, rel)]));
    const broken = repo.read('package.json').replace('"private": true', '"private": true,,');
    repo.write('package.json', broken);
    const configBefore = await Promise.all(['core.hooksPath', ...MERGE_KEYS].map((key) => config(repo, key)));

    const result = await repo.paracle(['uninstall']);
    expect(result.exitCode).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${join(repo.dir, 'package.json')}: not valid JSON`);
    expect(readFileSync(join(repo.dir, 'package.json'), 'utf8')).toBe(broken);
    for (const rel of files) expect(fileOrNull(repo, rel), rel).toBe(before[rel]);
    expect(await Promise.all(['core.hooksPath', ...MERGE_KEYS].map((key) => config(repo, key)))).toEqual(configBefore);
  });
});

describe('a write that fails part way', () => {
  it("git's config locked by another git process: the hook scripts, attributes and package.json already changed are put back, modes too, and it says where", async () => {
    const repo = await makePackedRepo({ npm: true });
    const files = ['.husky/pre-commit', '.husky/post-merge', '.husky/post-checkout', '.gitattributes', 'package.json'];
    const before = Object.fromEntries(files.map((rel) => [rel, fileOrNull(repo, rel)]));
    const modes = files.map((rel) => statSync(join(repo.dir, rel)).mode);
    const configBefore = await Promise.all(['core.hooksPath', ...MERGE_KEYS].map((key) => config(repo, key)));
    const gitDir = (await repo.git(['rev-parse', '--absolute-git-dir'])).stdout.trim();
    writeFileSync(join(gitDir, 'config.lock'), '');

    const result = await repo.paracle(['uninstall']);
    expect(result.exitCode).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^paracle: uninstall stopped at git config core\.hooksPath: .*; nothing was changed$/);
    for (const rel of files) expect(fileOrNull(repo, rel), rel).toBe(before[rel]);
    expect(files.map((rel) => statSync(join(repo.dir, rel)).mode)).toEqual(modes);
    rmSync(join(gitDir, 'config.lock'));
    expect(await Promise.all(['core.hooksPath', ...MERGE_KEYS].map((key) => config(repo, key)))).toEqual(configBefore);
    expect((await repo.git(['status', '--porcelain'])).stdout).toBe('');
  });
});

describe("another tool's core.hooksPath", () => {
  it('is left alone, with a note naming each line that still runs paracle; the rest is removed', async () => {
    const repo = await makePackedRepo({ install: false, npm: true });
    mkdirSync(join(repo.dir, '.githooks'));
    const hook = join(repo.dir, '.githooks', 'pre-commit');
    const line = 'node node_modules/paracle-hooks/hooks/pre-commit.cjs "$@" || exit $?';
    writeFileSync(hook, `#!/bin/sh\necho other\n${line}\n`);
    chmodSync(hook, 0o755);
    await repo.git(['config', 'core.hooksPath', '.githooks']);
    expect((await repo.paracle(['install'])).exitCode).toBe(0);
    const hookText = readFileSync(hook, 'utf8');

    const result = await repo.paracle(['uninstall']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `paracle: note: ${hook} is another tool's hook (core.hooksPath .githooks) and still runs paracle's: remove the line ${line}`,
    );
    expect(readFileSync(hook, 'utf8')).toBe(hookText);
    expect(await config(repo, 'core.hooksPath')).toBe('.githooks');
    for (const key of MERGE_KEYS) expect(await config(repo, key), key).toBeNull();
    expect(JSON.parse(repo.read('package.json')).scripts).toBeUndefined();
  });
});

describe('taking back what install wrote (pure)', () => {
  it('scriptWithoutInstall undoes preparedScript, for a new script, one appended to, and an earlier `paracle install`', () => {
    expect(scriptWithoutInstall(preparedScript(undefined)!)).toBeNull();
    expect(scriptWithoutInstall(preparedScript('husky')!)).toBe('husky');
    expect(scriptWithoutInstall(preparedScript('npm run build && husky')!)).toBe('npm run build && husky');
    expect(scriptWithoutInstall('paracle install && husky')).toBe('husky');
    expect(scriptWithoutInstall('husky; paracle-hooks install --quiet || exit 0')).toBe('husky');
    expect(scriptWithoutInstall('husky')).toBeUndefined();
  });

  it('removeMarkedBlock undoes upsertMarkedBlock byte for byte, wherever the block sits', () => {
    const markers = { start: '# >>> x', end: '# <<< x', blankLineBefore: true };
    const block = '# >>> x\nrule\n# <<< x\n';
    for (const user of ['a\nb\n', 'a\n\n', ''])
      expect(removeMarkedBlock(upsertMarkedBlock(user, block, markers), markers).trim()).toBe(user.trim());
    expect(removeMarkedBlock(upsertMarkedBlock('a\nb\n', block, markers), markers)).toBe('a\nb\n');
    expect(removeMarkedBlock(`top\n${block}bottom\n`, markers)).toBe('top\nbottom\n');
    expect(removeMarkedBlock('no block\n', markers)).toBe('no block\n');
  });
});
