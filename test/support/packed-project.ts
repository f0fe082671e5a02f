import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { tempDir } from './fixtures.js';
import type { PackedPackage } from './packed-package.js';

/** How long a test file waits for the global setup's pack and install before failing (they take seconds). */
const PACKED_WAIT_MS = 300_000;

/**
 * The packed package, once the global setup has made it: it packs and installs while the first test
 * files run (global-setup.ts), so the few files that need it may wait here for it, synchronously,
 * since the helpers that need it are synchronous.
 */
function packedPackage(): PackedPackage {
  const { ready, failed } = inject('packed');
  const deadline = Date.now() + PACKED_WAIT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(ready)) {
    if (existsSync(failed)) throw new Error(`the global setup could not pack and install the package: ${readFileSync(failed, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`the packed package was not ready after ${PACKED_WAIT_MS / 1000} s (${ready})`);
    Atomics.wait(pause, 0, 0, 50);
  }
  return JSON.parse(readFileSync(ready, 'utf8')) as PackedPackage;
}

/** The `npm pack` tarball of this checkout, made once for the run by the global setup. */
export function packedTarball(): string {
  return packedPackage().tarball;
}

/** The scratch project the global setup installed the tarball into, for reading only (copyPackedProject to change one). */
export function installedPackedProject(): string {
  return packedPackage().project;
}

/**
 * A fresh copy of a scratch project that installed the packed tarball as a devDependency
 * (`package.json` and `node_modules/`, nothing else: no git repository, no `.parac/`). Returns its folder.
 */
export function copyPackedProject(prefix = 'paracle-packed-'): string {
  const dir = join(tempDir(prefix), 'project');
  cpSync(packedPackage().project, dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

/** The environment for an npm command run by a test: npm's cache as the packed project was installed from (no network). */
export function npmEnvironment(): Record<string, string | undefined> {
  return { npm_config_cache: inject('npmCache'), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
}
