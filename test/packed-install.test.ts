import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../src/cli/command-names.js';
import { FIXTURES } from './support/fixtures.js';
import { PROJECT_ROOT, runNode } from './support/git-repo.js';
import { copyPackedProject, installedPackedProject, npmEnvironment, packedTarball } from './support/packed-project.js';
import { makePackedRepo, removeLater, removeScratchFolders, runCommand, scratchDir, treeListing } from './support/packed-repo.js';

/**
 * The package as the registry would serve it: the `npm pack` tarball, installed into a scratch
 * project. What it ships (LICENSE, no dangling source maps), both module systems with their
 * types, the `paracle-hooks` bin, the fast start-up path chosen by build id, and no file ever
 * written into the installed package.
 */

afterAll(removeScratchFolders);

function packedProject(): string {
  const dir = copyPackedProject('paracle-packed-');
  removeLater(dirname(dir));
  const context = join(dir, '.parac', 'memory', 'context');
  mkdirSync(context, { recursive: true });
  writeFileSync(join(context, 'current_state.yaml'), readFileSync(join(FIXTURES, 'current_state.yaml')));
  return dir;
}

const packageDirOf = (project: string) => join(project, 'node_modules', 'paracle-hooks');
const binOf = (project: string) => join(packageDirOf(project), 'dist', 'cli', 'bin.js');

function buildIdOf(packageDir: string, bundle: string): string {
  const first = readFileSync(join(packageDir, 'dist', bundle), 'utf8').split('\n')[0]!;
  const id = /^\/\/ paracle-build-id: ([\w-]+)$/.exec(first)?.[1];
  if (id === undefined) throw new Error(`no build id on the first line of ${bundle}: ${first}`);
  return id;
}

/** The code cache files under `cacheHome`, relative to its paracle-hooks folder. */
function cacheFiles(cacheHome: string): string[] {
  const root = join(cacheHome, 'paracle-hooks');
  return existsSync(root) ? Object.keys(treeListing(root)).sort() : [];
}

describe('what the tarball ships', () => {
  const files = execFileSync('tar', ['-tzf', packedTarball()], { encoding: 'utf8' }).split('\n').filter(Boolean);

  it('LICENSE with the Apache-2.0 text package.json names; no source maps, sources or test data', () => {
    expect(files).toContain('package/LICENSE');
    const project = copyPackedProject('paracle-packed-');
    removeLater(dirname(project));
    const license = readFileSync(join(packageDirOf(project), 'LICENSE'), 'utf8');
    expect(license).toContain('Apache License\n                           Version 2.0, January 2004');
    expect(license).toContain('TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION');
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    expect(JSON.parse(readFileSync(join(packageDirOf(project), 'package.json'), 'utf8')).license).toBe('Apache-2.0');
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    expect(files.filter((file) => /^package\/(src|test|bench|scripts)\//.test(file) || file.endsWith('NOTICE.md'))).toEqual([]);
    for (const file of files.filter((f) => /\.(c|m)?js$/.test(f))) {
      const text = readFileSync(join(packageDirOf(project), file.slice('package/'.length)), 'utf8');
      expect(text, file).not.toContain('sourceMappingURL');
    }
  });

  it('every document the README links, so its links work where the package is read (node_modules, the registry page)', () => {
    const readme = readFileSync(join(packageDirOf(packedProject()), 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\((docs\/[^)#\s]+)/g)].map((match) => match[1]!);
    expect(linked.length).toBeGreaterThan(3);
    for (const doc of new Set(linked)) expect(files, doc).toContain(`package/${doc}`);
  });

  it('two bins, `paracle` and `paracle-hooks` (named after the package: what `npx paracle-hooks` runs)', async () => {
    const project = packedProject();
    const manifest = JSON.parse(readFileSync(join(packageDirOf(project), 'package.json'), 'utf8'));
    expect(manifest.bin).toEqual({ paracle: 'dist/cli/bin.js', 'paracle-hooks': 'dist/cli/bin.js' });
    expect(manifest.name).toBe('paracle-hooks');
    const npx = await runCommand('npx', ['--offline', '--no-install', 'paracle-hooks', '--version'], {
      cwd: project,
      env: npmEnvironment(),
    });
    expect(npx.exitCode, npx.stderr).toBe(0);
    expect(npx.stdout.trim()).toBe(manifest.version);
  });

  it('the docs show `npx paracle-hooks`, never `npx paracle` (a registry package of that name is not this one)', () => {
    const docs = [join(PROJECT_ROOT, 'README.md'), ...readdirSync(join(PROJECT_ROOT, 'docs')).map((f) => join(PROJECT_ROOT, 'docs', f))];
    for (const file of docs.filter((f) => f.endsWith('.md'))) {
      expect(readFileSync(file, 'utf8').match(/npx paracle(?!-hooks)\b.*/g) ?? [], file).toEqual([]);
    }
  });
});

/** npm's install-time lifecycle scripts; `prepare` counts only for a package not from the registry (a tarball, git). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];
const PREPARE_SCRIPTS = ['preprepare', 'prepare', 'postprepare'];

describe('installing the tarball runs no script of ours or of a dependency', () => {
  it('the packed package.json has no lifecycle script and no optional dependency; no package it installs has an install script', () => {
    const project = installedPackedProject();
    const manifest = JSON.parse(readFileSync(join(packageDirOf(project), 'package.json'), 'utf8'));
    for (const name of [...INSTALL_SCRIPTS, ...PREPARE_SCRIPTS, 'prepack', 'postpack'])
      expect(manifest.scripts?.[name], name).toBeUndefined();
    expect(manifest.optionalDependencies).toBeUndefined();
    // npm runs `node-gyp rebuild` for a package with a binding.gyp and no install script of its own.
    const top = readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.'));
    const packages = top.flatMap((n) =>
      n.startsWith('@') ? readdirSync(join(project, 'node_modules', n)).map((scoped) => `${n}/${scoped}`) : [n],
    );
    expect(packages).toContain('@redis/client');
    for (const name of packages) {
      const dir = join(project, 'node_modules', name);
      const scripts = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts ?? {};
      expect(
        INSTALL_SCRIPTS.filter((script) => scripts[script] !== undefined),
        name,
      ).toEqual([]);
      expect(existsSync(join(dir, 'binding.gyp')), `${name}/binding.gyp`).toBe(false);
    }
  });

  it('`npm install` of the tarball into a fresh project prints no allowScripts warning and nothing about paracle', async () => {
    const project = scratchDir('paracle-npm-install-');
    writeFileSync(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'fresh-user-project', version: '1.0.0', private: true, devDependencies: { 'paracle-hooks': `file:${packedTarball()}` } })}\n`,
    );
    const install = await runCommand('npm', ['install', '--prefer-offline'], { cwd: project, env: npmEnvironment() });
    expect(install.exitCode, install.stderr).toBe(0);
    const output = install.stdout + install.stderr;
    expect(output).not.toMatch(/install-scripts|allowScripts/i);
    expect(output).not.toMatch(/paracle|husky/i);
    expect(existsSync(join(project, 'node_modules', 'paracle-hooks', 'dist', 'cli', 'bin.js'))).toBe(true);
  });

  it("the flock binding ships inside the package and takes the real flock (the Python tooling's lock): a save waits while another process holds it", async () => {
    const project = packedProject();
    const lockFile = join(project, '.parac', 'memory', 'context', 'current_state.yaml.lock');
    // A process group of its own: killing it ends flock(1) and its shell, and with them the lock.
    const holder = spawn('flock', ['-x', lockFile, '-c', 'echo held; exec sleep 30'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise<void>((done, fail) => {
      holder.stdout.once('data', () => done());
      holder.once('exit', (code) => fail(new Error(`flock(1) exited early (${code})`)));
    });
    const native = { PARACLE_PYTHON_LOCK: 'native' };
    try {
      const blocked = await runNode([binOf(project), '--timeout', '1', 'session', 'end', '--progress', '5'], project, native);
      expect(blocked.exitCode, blocked.stderr).toBe(3);
    } finally {
      process.kill(-holder.pid!, 'SIGKILL');
      await new Promise((done) => holder.once('close', done));
    }
    const saved = await runNode([binOf(project), 'session', 'end', '--progress', '5'], project, native);
    expect(saved.exitCode, saved.stderr).toBe(0);
    expect(saved.stderr).not.toContain("cannot take the Python paracle tooling's lock");
  });
});

describe('require and import', () => {
  it('a CommonJS project requires the library (and a module imports it): the same API, working on a real state file', async () => {
    const project = packedProject();
    writeFileSync(
      join(project, 'use.cjs'),
      `const paracle = require('paracle-hooks');
(async () => {
  const root = process.argv[2];
  const stale = await paracle.loadState(root);
  const written = await paracle.updateState(root, (state) => { state.addCompleted('from CommonJS'); });
  let conflict = null;
  stale.updateProgress(50);
  try { await paracle.saveState(stale, root); } catch (error) { conflict = { isClass: error instanceof paracle.StateConflictError, code: error.code }; }
  const now = await paracle.loadState(root);
  console.log(JSON.stringify({ resolved: require.resolve('paracle-hooks'), written: written.revision, revision: now.revision, completed: now.currentPhase.completed, conflict }));
})();
`,
    );
    writeFileSync(
      join(project, 'use.mjs'),
      `import { loadState, StateConflictError } from 'paracle-hooks';
const state = await loadState(process.argv[2]);
console.log(JSON.stringify({ revision: state.revision, isClass: typeof StateConflictError === 'function', resolved: import.meta.resolve('paracle-hooks') }));
`,
    );
    const root = join(project, '.parac');
    const cjs = await runNode([join(project, 'use.cjs'), root], project);
    expect(cjs.exitCode, cjs.stderr).toBe(0);
    const fromRequire = JSON.parse(cjs.stdout);
    expect(fromRequire).toEqual({
      resolved: join(packageDirOf(project), 'dist', 'index.cjs'),
      written: 12,
      revision: 12,
      completed: ['from CommonJS'],
      conflict: { isClass: true, code: 'STATE_CONFLICT' },
    });
    const esm = await runNode([join(project, 'use.mjs'), root], project);
    expect(esm.exitCode, esm.stderr).toBe(0);
    expect(JSON.parse(esm.stdout)).toMatchObject({ revision: 12, isClass: true });
    expect(JSON.parse(esm.stdout).resolved).toMatch(/\/dist\/index\.js$/);
  });

  it('TypeScript types both: a .cts require and a .mts import type-check under node16 resolution, without skipLibCheck', async () => {
    const project = packedProject();
    writeFileSync(
      join(project, 'consumer.cts'),
      `import paracle = require('paracle-hooks');
import { loadState, type ParsedState } from 'paracle-hooks';
export async function revision(root: string): Promise<number | null> {
  const state = await loadState(root);
  return state === null ? null : state.revision;
}
export function isConflict(error: unknown): error is paracle.StateConflictError {
  return error instanceof paracle.StateConflictError;
}
export type Parsed = ParsedState;
// @ts-expect-error a number is not a state: proves the types are real, not \`any\`
export const wrong: paracle.ParacState = 1;
`,
    );
    writeFileSync(
      join(project, 'consumer.mts'),
      `import { updateState, StateLockError } from 'paracle-hooks';
export async function complete(root: string, item: string): Promise<number> {
  return (await updateState(root, (state) => { state.addCompleted(item); })).revision;
}
export const lockError = StateLockError;
// @ts-expect-error updateState needs a mutate function
export const bad = updateState(undefined);
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'node16',
          moduleResolution: 'node16',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(PROJECT_ROOT, 'node_modules', '@types')],
        },
        files: ['consumer.cts', 'consumer.mts'],
      }),
    );
    const tsc = await runNode([join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], project);
    expect(tsc.exitCode, tsc.stdout + tsc.stderr).toBe(0);
  });
});

describe('start-up from the tarball: the bundle is chosen by build id', () => {
  it('paracle status runs the bundle (its code cache appears) whatever the files’ times; a tree rebuilt without the bundle runs the tree', async () => {
    const project = packedProject();
    const packageDir = packageDirOf(project);
    const id = buildIdOf(packageDir, 'cli-bundle/main.cjs');
    expect(readFileSync(join(packageDir, 'dist', 'cli', 'main.js'), 'utf8').endsWith(`// paracle-build-id: ${id}\n`)).toBe(true);
    // npm extracts in its own order: make the module tree the newer one, the case mtimes got wrong.
    utimesSync(join(packageDir, 'dist', 'cli-bundle', 'main.cjs'), new Date(2000, 0, 1), new Date(2000, 0, 1));
    const cache = scratchDir('paracle-cache-');
    const status = await runNode([binOf(project), 'status'], project, { XDG_CACHE_HOME: cache });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toContain('revision      11');
    const build = `${id}-node${process.versions.node}-${process.arch}`;
    expect(cacheFiles(cache)).toEqual([`${build}/cli-bundle-status.v8-cache`]);

    // A bare `tsc` rewrites the tree entry without the id: the bundle is stale and must not run.
    const mainJs = join(packageDir, 'dist', 'cli', 'main.js');
    writeFileSync(mainJs, readFileSync(mainJs, 'utf8').replace(/\/\/ paracle-build-id: .*\n$/, ''));
    const treeCache = scratchDir('paracle-cache-');
    const fromTree = await runNode([binOf(project), 'status'], project, { XDG_CACHE_HOME: treeCache });
    expect(fromTree.exitCode, fromTree.stderr).toBe(0);
    expect(fromTree.stdout).toBe(status.stdout);
    expect(cacheFiles(treeCache)).toEqual([]);
  });

  it('the pre-commit hook installed from the tarball runs its bundle', async () => {
    const cache = scratchDir('paracle-cache-');
    const repo = await makePackedRepo({ commit: false });
    await repo.git(['add', '-A']);
    const commit = await repo.user(['commit', '-q', '-m', 'initial'], { env: { XDG_CACHE_HOME: cache } });
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect(commit.stderr).toContain('rev 11 → 12');
    const id = buildIdOf(repo.packageDir, 'hooks-bundle/git-entry.cjs');
    expect(cacheFiles(cache)).toEqual([`${id}-node${process.versions.node}-${process.arch}/hooks-bundle-pre-commit.v8-cache`]);
  });
});

describe('start-up from the tarball: the hook falls back to the module tree', () => {
  it('a hook whose bundle is stale (a bare tsc) or missing (a build stopped after tsc) runs the tree: same update, no code cache', async () => {
    const cache = scratchDir('paracle-cache-');
    const repo = await makePackedRepo({ commit: false });
    const entry = join(repo.packageDir, 'dist', 'cli', 'git-entry.js');
    writeFileSync(entry, readFileSync(entry, 'utf8').replace(/\/\/ paracle-build-id: .*\n$/, ''));
    await repo.git(['add', '-A']);
    const stale = await repo.user(['commit', '-q', '-m', 'initial'], { env: { XDG_CACHE_HOME: cache } });
    expect(stale.exitCode, stale.stderr).toBe(0);
    expect(stale.stderr).toContain('rev 11 → 12');
    expect(cacheFiles(cache)).toEqual([]);

    rmSync(join(repo.packageDir, 'dist', 'hooks-bundle'), { recursive: true });
    repo.write('packages/x.py', 'x\n');
    await repo.git(['add', '-A']);
    const missing = await repo.user(['commit', '-q', '-m', 'no bundles'], { env: { XDG_CACHE_HOME: cache } });
    expect(missing.exitCode, missing.stderr).toBe(0);
    expect(missing.stderr).toContain('rev 12 → 13');
    expect(cacheFiles(cache)).toEqual([]);
  });
});

describe('running commands writes nothing into the installed package', () => {
  it('typos, --root values and every command leave the package folder as installed; caches go to the user cache, by known name', async () => {
    const project = packedProject();
    const packageDir = packageDirOf(project);
    const before = treeListing(packageDir);
    const cache = scratchDir('paracle-cache-');
    const home = scratchDir('paracle-home-');
    const runs = [
      ['stauts'],
      ['sttaus', '--json'],
      ['--root', 'my-project', 'status'],
      ['--root', join(project, '.parac'), 'status'],
      ['--root', '../../etc', 'validate'],
      ['install-hooks'],
      ['status'],
      ['validate'],
      ['log'],
      ['lock', 'status'],
      ['schema'],
      ['--version'],
      ['--help'],
    ];
    for (const args of runs) {
      await runNode([binOf(project), ...args], project, { XDG_CACHE_HOME: cache });
      // Without XDG_CACHE_HOME the cache is ~/.cache/paracle-hooks.
      await runNode([binOf(project), ...args], project, { XDG_CACHE_HOME: undefined, HOME: home });
    }
    expect(treeListing(packageDir)).toEqual(before);
    const names = new Set([...COMMAND_NAMES, 'other', 'default'].map((name) => `cli-bundle-${name}.v8-cache`));
    for (const folder of [cache, join(home, '.cache')]) {
      const cached = cacheFiles(folder);
      expect(cached.length).toBeGreaterThan(0);
      for (const file of cached) expect(names.has(file.split('/')[1]!), file).toBe(true);
      expect(cached.filter((file) => file.endsWith('-other.v8-cache'))).toHaveLength(1);
    }
  });

  it('the cache keeps the newest builds only: an upgrade does not grow it forever', async () => {
    const project = packedProject();
    const cache = scratchDir('paracle-cache-');
    const root = join(cache, 'paracle-hooks');
    for (let i = 0; i < 8; i += 1) {
      const old = join(root, `old${i}-node20.0.0-x64`);
      mkdirSync(old, { recursive: true });
      writeFileSync(join(old, 'cli-bundle-status.v8-cache'), 'x');
      utimesSync(old, new Date(2020, 0, 1 + i), new Date(2020, 0, 1 + i));
    }
    expect((await runNode([binOf(project), 'status'], project, { XDG_CACHE_HOME: cache })).exitCode).toBe(0);
    const kept = readdirSync(root).sort();
    expect(kept).toHaveLength(6);
    const id = buildIdOf(packageDirOf(project), 'cli-bundle/main.cjs');
    expect(kept).toContain(`${id}-node${process.versions.node}-${process.arch}`);
    expect(kept.filter((name) => name.startsWith('old'))).toEqual(
      ['old3', 'old4', 'old5', 'old6', 'old7'].map((n) => `${n}-node20.0.0-x64`),
    );
    expect(statSync(resolve(root, kept[0]!)).isDirectory()).toBe(true);
  });
});
