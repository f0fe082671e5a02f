import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * One environment for every test file (vitest `setupFiles`), inherited by every git, hook and CLI
 * process a test starts: git's messages in English whatever the machine's locale, no global or
 * system git config, no variable from a surrounding git hook, and none of paracle's own switches.
 */
const home = inject('isolatedHome');
const ENVIRONMENT: Record<string, string | undefined> = {
  LC_ALL: 'C',
  LANG: 'C',
  LANGUAGE: 'C',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: join(home, 'gitconfig'),
  XDG_CONFIG_HOME: home,
  HOME: home,
  GIT_DIR: undefined,
  GIT_WORK_TREE: undefined,
  GIT_INDEX_FILE: undefined,
  GIT_OBJECT_DIRECTORY: undefined,
  GIT_ALTERNATE_OBJECT_DIRECTORIES: undefined,
  GIT_CEILING_DIRECTORIES: undefined,
  HUSKY: undefined,
  PARACLE: undefined,
  PARACLE_TIMEOUT: undefined,
  PARACLE_PYTHON_LOCK: undefined,
  NO_COLOR: undefined,
  FORCE_COLOR: undefined,
  npm_lifecycle_event: undefined,
};
for (const [name, value] of Object.entries(ENVIRONMENT)) {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
