import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';
import { removeTempDirs } from './fixtures.js';

/**
 * One environment for every test file (vitest `setupFiles`), inherited by every git, hook and CLI
 * process a test starts: git's messages in English whatever the machine's locale, one time zone,
 * no system git config and the suite's own global one (global-setup.ts), no variable from a
 * surrounding git hook (the suite may itself run inside one, e.g. a pre-push hook), none of
 * paracle's own switches, no repository or `.parac/` found above the temp folder, and no extra CA
 * certificates to load.
 */
const home = inject('isolatedHome');

// Whatever git exported to a hook around this run (GIT_DIR, GIT_INDEX_FILE, GIT_CONFIG_PARAMETERS,
// GIT_AUTHOR_DATE, GIT_DEFAULT_HASH, ...) would change what git does in the temp repositories.
for (const name of Object.keys(process.env)) {
  if (name.startsWith('GIT_')) delete process.env[name];
  // PARACLE_STRESS chooses the length of the stress loops; every other PARACLE_* is a switch of the toolkit.
  if (name.startsWith('PARACLE_') && name !== 'PARACLE_STRESS') delete process.env[name];
}

const ENVIRONMENT: Record<string, string | undefined> = {
  LC_ALL: 'C',
  LANG: 'C',
  LANGUAGE: 'C',
  // Dates the toolkit writes (snapshot_date, changelog headings) are local dates; one zone for all.
  TZ: 'UTC',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: join(home, 'gitconfig'),
  // Every test folder is inside the temp folder: neither git nor paracle's search for `.parac/`
  // (src/state/paths.ts) looks above it, even when the temp folder sits inside some repository.
  GIT_CEILING_DIRECTORIES: realpathSync(tmpdir()),
  XDG_CONFIG_HOME: home,
  HOME: home,
  HUSKY: undefined,
  PARACLE: undefined,
  NO_COLOR: undefined,
  FORCE_COLOR: undefined,
  npm_lifecycle_event: undefined,
  // Each node a test starts would load the machine's extra CA certificates, ~45 ms of CPU, for no use:
  // about a sixth of the suite's CPU. Only npm reaches a TLS server (npmEnvironment gives them back);
  // the Redis TLS test gives its own.
  NODE_EXTRA_CA_CERTS: undefined,
};
for (const [name, value] of Object.entries(ENVIRONMENT)) {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

// Each test file removes every temp folder it made (see tempDir in fixtures.ts).
afterAll(removeTempDirs);
