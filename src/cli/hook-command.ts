import { CliExit, EXIT } from './exit-codes.js';
import { writeJsonResult } from './json-output.js';
import type { HookRunOptions } from '../hooks-run/hook-context.js';
import type { HookOutcome } from '../hooks-run/outcome.js';
import { colorEnabled, formatOutcome } from '../hooks-run/report.js';

/** `paracle hook <name> [args]`: the same code git runs, then one line (or a diff) of output. */

export const HOOK_NAMES = ['pre-commit', 'post-merge'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

export interface HookCommandOptions extends Omit<HookRunOptions, 'paracRoot'> {
  root?: string;
  json?: boolean;
  quiet?: boolean;
}

export async function runHookCommand(name: string, args: readonly string[], options: HookCommandOptions): Promise<void> {
  const run: HookRunOptions = {
    cwd: options.cwd,
    fromGit: options.fromGit,
    paracRoot: options.root,
    timeout: options.timeout,
    dryRun: options.dryRun,
    env: options.env,
  };
  let outcome: HookOutcome;
  if (name === 'pre-commit') {
    if (args.length > 0) throw new CliExit(EXIT.usage, `pre-commit takes no arguments, got "${args.join(' ')}"`);
    const { runPreCommit } = await import('../hooks-run/pre-commit.js');
    outcome = await runPreCommit(run);
  } else if (name === 'post-merge') {
    const [flag, ...extra] = args;
    if (extra.length > 0 || (flag !== undefined && flag !== '0' && flag !== '1')) {
      throw new CliExit(EXIT.usage, `post-merge takes git's squash flag (0 or 1), got "${args.join(' ')}"`);
    }
    const { runPostMerge } = await import('../hooks-run/post-merge.js');
    outcome = await runPostMerge({ ...run, squash: flag === '1' });
  } else {
    throw new CliExit(EXIT.usage, `unknown hook "${name}"; expected one of: ${HOOK_NAMES.join(', ')}`);
  }
  if (options.json) {
    writeJsonResult({ hook: name, ...outcome }, { pretty: false });
    return;
  }
  const color = { stdout: colorEnabled(process.stdout), stderr: colorEnabled(process.stderr) };
  const printed = formatOutcome(outcome, { color, quiet: options.quiet });
  if (printed.stdout) process.stdout.write(printed.stdout);
  if (printed.stderr) process.stderr.write(printed.stderr);
}
