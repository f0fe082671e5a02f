/**
 * The top-level commands `buildProgram` registers (test/packed-install.test.ts checks the two agree).
 * The CLI entry names its code cache after one of them, or `other`, never after what was typed:
 * a typo or a `--root` value must not create a file.
 */
export const COMMAND_NAMES = [
  'engine',
  'history',
  'hook',
  'init',
  'install',
  'lock',
  'log',
  'merge-driver',
  'remerge',
  'replay',
  'revert',
  'schema',
  'session',
  'show',
  'status',
  'sync',
  'uninstall',
  'validate',
  'verify',
] as const;

/** The command `argv` runs, for naming its code cache: a known name, or `other`. */
export function cacheNameForArgv(argv: readonly string[]): string {
  const known: readonly string[] = COMMAND_NAMES;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    // The global options that take a value: their value is never the command.
    if (arg === '--root' || arg === '--timeout') {
      i += 1;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return known.includes(arg) ? arg : 'other';
  }
  return 'default';
}
