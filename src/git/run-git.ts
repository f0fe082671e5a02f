import { spawn } from 'node:child_process';
import { GitCommandError } from '../errors.js';

/**
 * The one door through which this project runs git. Every spawn gets the same fixed flags, and
 * every caller states what it wants from git's hook environment:
 *
 * - `hook`: keep GIT_INDEX_FILE, GIT_DIR and GIT_WORK_TREE as git set them for the running hook.
 *   Inside pre-commit they name the index being committed (`.git/index`, `index.lock` for
 *   `commit -a`, a temporary `next-index-*.lock` for `commit <paths>`) and, in a linked worktree,
 *   that worktree's git dir. Reading what is staged and staging our own update must use them, or
 *   we would read and write the wrong index.
 * - `clean`: drop them, for git calls about a repository chosen by path (tests, `paracle install`),
 *   so a toolkit run from inside some other repository's hook never acts on that repository.
 *
 * `indexFile` overrides GIT_INDEX_FILE for one call (staging into the real index during a
 * `git commit <paths>` as well as into the temporary one).
 */
export type HookEnvironment = 'hook' | 'clean';

export interface GitOptions {
  cwd: string;
  env: HookEnvironment;
  indexFile?: string;
  input?: string | Uint8Array;
  /** Exit codes that are answers rather than failures (e.g. 1 from `diff --quiet`). */
  okExitCodes?: readonly number[];
  /**
   * false: run git exactly as a person types it, without the fixed flags — for tests that make a
   * real `git commit`/`git merge`, since git exports `--literal-pathspecs`, `--no-optional-locks`
   * and `-c` settings to the hooks it runs, which would then not see what a user's hooks see.
   */
  fixedFlags?: boolean;
  /** Variables to set (or, as undefined, remove) for this call, after the policy above. */
  extraEnv?: Readonly<Record<string, string | undefined>>;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Flags for every call. `--no-optional-locks`: a status run while `git commit` holds index.lock
 * must not try to refresh and rewrite the index. `--literal-pathspecs`: the paths we pass are file
 * names, never globs (`[id].ts`, `*.md` are legal names). The `-c` settings keep output and side
 * effects independent of the user's configuration.
 */
const FIXED_FLAGS = [
  '--no-optional-locks',
  '--literal-pathspecs',
  '-c',
  'core.quotePath=false',
  '-c',
  'color.ui=false',
  '-c',
  'log.showSignature=false',
  '-c',
  'submodule.recurse=false',
  '-c',
  'gc.auto=0',
] as const;

const HOOK_VARIABLES = ['GIT_INDEX_FILE', 'GIT_DIR', 'GIT_WORK_TREE'] as const;

export function gitEnvironment(
  options: Pick<GitOptions, 'env' | 'indexFile' | 'extraEnv'>,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  if (options.env === 'clean') for (const name of HOOK_VARIABLES) delete env[name];
  if (options.indexFile !== undefined) env.GIT_INDEX_FILE = options.indexFile;
  for (const [name, value] of Object.entries(options.extraEnv ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  // Never wait for a pager or a credential prompt inside a hook.
  env.GIT_PAGER = 'cat';
  env.GIT_TERMINAL_PROMPT = '0';
  return env;
}

/**
 * Spawned with node's own child_process rather than execa: importing execa costs a large share of
 * a node start-up on every commit (docs/design.md), and the one thing needed from it (spawn, feed
 * stdin, collect output, typed error with cause) is these lines.
 */
export async function runGit(args: readonly string[], options: GitOptions): Promise<GitResult> {
  return new Promise<GitResult>((resolvePromise, reject) => {
    const child = spawn('git', options.fixedFlags === false ? [...args] : [...FIXED_FLAGS, ...args], {
      cwd: options.cwd,
      env: gitEnvironment(options),
      // stdin is a pipe only when there is input: every pipe is a socket pair plus a stream object,
      // made again on each of a hook's git calls; without one git reads /dev/null (end of input).
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      reject(
        new GitCommandError(args, null, '', `could not run git ${args.find((a) => !a.startsWith('-')) ?? ''}: ${error.message}`, {
          cause: error,
        }),
      );
    });
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === null) {
        reject(new GitCommandError(args, null, stderr, `git was stopped by ${signal ?? 'a signal'}`));
      } else if (code !== 0 && !(options.okExitCodes ?? []).includes(code)) {
        reject(new GitCommandError(args, code, stderr));
      } else {
        resolvePromise({ stdout, stderr, exitCode: code });
      }
    });
    if (child.stdin) {
      // git may exit before reading all of stdin (e.g. on a bad option); that is reported by its exit code.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}
