import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { tempDir } from './fixtures.js';

/** The `npm pack` tarball of this checkout, made once for the run by the global setup. */
export function packedTarball(): string {
  return inject('packed').tarball;
}

/** The scratch project the global setup installed the tarball into, for reading only (copyPackedProject to change one). */
export function installedPackedProject(): string {
  return inject('packed').project;
}

/**
 * A fresh copy of a scratch project that installed the packed tarball as a devDependency
 * (`package.json` and `node_modules/`, nothing else: no git repository, no `.parac/`). Returns its folder.
 */
export function copyPackedProject(prefix = 'paracle-packed-'): string {
  const dir = join(tempDir(prefix), 'project');
  cpSync(inject('packed').project, dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

/** The environment for an npm command run by a test: npm's cache as the packed project was installed from (no network). */
export function npmEnvironment(): Record<string, string | undefined> {
  return { npm_config_cache: inject('npmCache'), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
}
