import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TestProject } from 'vitest/node';
import { installPacked, type PackedPackage, packCheckout } from './packed-package.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** An empty HOME whose global git config holds only GLOBAL_GIT_CONFIG, made once for the whole run. */
    isolatedHome: string;
    /**
     * Where the `npm pack` tarball of this checkout and a scratch project that installed it are
     * described (see packed-package.ts): `ready` holds them as JSON once made, `failed` says why not.
     * Read through packed-project.ts, which waits for them.
     */
    packed: { ready: string; failed: string };
    /**
     * npm's cache as the developer's own npm uses it, which the packed project was installed from:
     * tests that run npm install under the isolated HOME point npm_config_cache here, so they need no network.
     */
    npmCache: string;
    /** NODE_EXTRA_CA_CERTS as the run was started with ('' when unset): npm may need it to reach its registry. */
    nodeExtraCaCerts: string;
  }
}

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The global git config of every git the suite runs (hooks and merge drivers included): only work
 * that no test looks at is turned off. No fsync of git's own objects and refs (the temp repositories
 * are thrown away; paracle's own fsyncs are untouched), no automatic gc or maintenance after commits.
 */
const GLOBAL_GIT_CONFIG = ['[core]', '\tfsync = none', '[gc]', '\tauto = 0', '[maintenance]', '\tauto = false', ''].join('\n');

/**
 * Runs once before any test file. Child processes, the CLI and the installed hooks run `dist/`, so
 * the suite builds first unless dist/ is a finished build of the sources as they are now
 * (scripts/build-inputs.mjs; CI has just built): a test never runs code older than `src/` (a build
 * is about 5 s; `npx vitest run some.test.ts` after an edit tests the edit). Then it packs the build
 * and installs the tarball once, the install in the background: the tests start meanwhile, and the
 * few that use the package wait for it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { builtFromCurrentInputs } = (await import(pathToFileURL(join(PROJECT_ROOT, 'scripts', 'build-inputs.mjs')).href)) as {
    builtFromCurrentInputs(): boolean;
  };
  if (!builtFromCurrentInputs()) {
    const build = spawnSync('npm', ['run', 'build', '--silent'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (build.status !== 0) {
      throw new Error(`npm run build failed before the tests (exit ${build.status}):\n${build.stdout}${build.stderr}`);
    }
  }
  const home = realpathSync(mkdtempSync(join(tmpdir(), 'paracle-test-home-')));
  writeFileSync(join(home, 'gitconfig'), GLOBAL_GIT_CONFIG);
  project.provide('isolatedHome', home);
  const packedRoot = realpathSync(mkdtempSync(join(tmpdir(), 'paracle-test-packed-')));
  const packed = { ready: join(packedRoot, 'ready.json'), failed: join(packedRoot, 'failed.txt') };
  project.provide('packed', packed);
  const tarball = packCheckout(PROJECT_ROOT, packedRoot);
  const packing = installPacked(tarball, packedRoot).then(
    (project) => {
      // Written under another name, then renamed: a waiting test never reads half of it.
      const made: PackedPackage = { tarball, project };
      writeFileSync(`${packed.ready}.tmp`, JSON.stringify(made));
      renameSync(`${packed.ready}.tmp`, packed.ready);
    },
    (error: Error) => writeFileSync(packed.failed, error.message),
  );
  const cache = spawnSync('npm', ['config', 'get', 'cache'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  project.provide('npmCache', cache.stdout.trim());
  project.provide('nodeExtraCaCerts', process.env.NODE_EXTRA_CA_CERTS ?? '');
  return async () => {
    await packing;
    rmSync(home, { recursive: true, force: true });
    rmSync(packedRoot, { recursive: true, force: true });
  };
}
