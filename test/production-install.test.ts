import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makePackedRepo, type PackedRepo, removeScratchFolders, runCommand } from './support/packed-repo.js';
import { npmEnvironment } from './support/packed-project.js';

/**
 * A project that followed the README (paracle-hooks a devDependency, `paracle-hooks install` run)
 * goes through a production install — `npm ci --omit=dev`, as a Docker build does — which runs
 * `scripts.prepare` without the toolkit installed. Real npm, from the packed tarball.
 */

afterAll(removeScratchFolders);

function npmCi(repo: PackedRepo, ...extra: string[]) {
  return runCommand('npm', ['ci', '--prefer-offline', '--loglevel=error', ...extra], { cwd: repo.dir, env: npmEnvironment() });
}

function prepareScript(repo: PackedRepo): string {
  return (JSON.parse(repo.read('package.json')) as { scripts: { prepare: string } }).scripts.prepare;
}

describe('npm ci --omit=dev in a project using the hooks', () => {
  it('passes: the prepare script tolerates the toolkit’s absence; a full npm ci sets the hooks up again', async () => {
    const repo = await makePackedRepo({ npm: true });
    expect(prepareScript(repo)).toBe('paracle-hooks install || exit 0');
    rmSync(join(repo.dir, 'node_modules'), { recursive: true });
    await repo.git(['config', '--unset', 'core.hooksPath']);

    const production = await npmCi(repo, '--omit=dev');
    expect(production.exitCode, production.stdout + production.stderr).toBe(0);
    expect(existsSync(join(repo.packageDir, 'package.json'))).toBe(false);
    expect((await repo.user(['config', '--get', 'core.hooksPath'])).stdout).toBe('');

    const development = await npmCi(repo);
    expect(development.exitCode, development.stdout + development.stderr).toBe(0);
    expect((await repo.user(['config', '--get', 'core.hooksPath'])).stdout.trim()).toBe('.husky/_');
  });

  it('the prepare script an earlier version wrote fails it; the next npm install brings the script up to date', async () => {
    const repo = await makePackedRepo({ npm: true });
    const pkg = JSON.parse(repo.read('package.json'));
    repo.write('package.json', `${JSON.stringify({ ...pkg, scripts: { prepare: 'paracle install' } }, null, 2)}\n`);
    rmSync(join(repo.dir, 'node_modules'), { recursive: true });
    const before = await npmCi(repo, '--omit=dev');
    expect(before.exitCode).not.toBe(0);
    expect(before.stderr).toMatch(/paracle: (command )?not found/);

    // A development install runs the old script, which is paracle's install: it rewrites the script.
    const development = await npmCi(repo);
    expect(development.exitCode, development.stdout + development.stderr).toBe(0);
    expect(prepareScript(repo)).toBe('paracle-hooks install || exit 0');
    rmSync(join(repo.dir, 'node_modules'), { recursive: true });
    const after = await npmCi(repo, '--omit=dev');
    expect(after.exitCode, after.stdout + after.stderr).toBe(0);
  });
});
