import { cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import { join, sep } from 'node:path';
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
 * The toolkit's own package is copied (tests change it: a stale bundle, a removed cache); its
 * dependencies, which nothing writes into, are hard links: a copy of their 2,900 files cost 0.4 s of
 * CPU each time, a link 0.06 s, and node sees the same files at the same paths.
 */
export function copyPackedProject(prefix = 'paracle-packed-', options: { forNpm?: boolean } = {}): string {
  const dir = join(tempDir(prefix), 'project');
  const from = packedPackage().project;
  // npm may write where a link is (the original's inode): a project npm will run in is copied whole.
  if (options.forNpm) {
    cpSync(from, dir, { recursive: true, verbatimSymlinks: true });
    return dir;
  }
  const modules = join(from, 'node_modules');
  const toolkit = join(modules, 'paracle-hooks');
  const below = (path: string, folder: string) => path === folder || path.startsWith(`${folder}${sep}`);
  cpSync(from, dir, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => source === modules || !below(source, modules) || below(source, toolkit),
  });
  linkTree(modules, join(dir, 'node_modules'));
  // A linked toolkit would let one test's edit of it reach every later copy.
  const copied = join(dir, 'node_modules', 'paracle-hooks', 'package.json');
  if (statSync(copied).nlink !== 1) throw new Error(`copyPackedProject: ${copied} is a hard link, not a copy`);
  return dir;
}

/** Hard links of every file below `from` at the same place below `to`, but for the toolkit's package (copied). */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      if (!existsSync(target)) linkTree(source, target);
    } else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else linkSync(source, target);
  }
}

/**
 * The environment for an npm command run by a test: npm's cache as the packed project was installed
 * from (no network needed), and the CA certificates the run started with, should it reach the registry.
 */
export function npmEnvironment(): Record<string, string | undefined> {
  return {
    npm_config_cache: inject('npmCache'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    NODE_EXTRA_CA_CERTS: inject('nodeExtraCaCerts') || undefined,
  };
}
