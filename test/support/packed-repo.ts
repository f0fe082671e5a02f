import { execFile } from 'node:child_process';
import { readdirSync, statSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { runGit } from '../../src/git/run-git.js';
import { tempDir } from './fixtures.js';
import { type RunResult, runNode, type TestRepo, testRepo, writeProjectFiles } from './git-repo.js';
import { copyPackedProject } from './packed-project.js';

/**
 * A user's project as it is after `npm install --save-dev paracle-hooks` from the packed tarball
 * (a copy of the project the global setup installed), made a git repository holding the real
 * fixture state, with `npx paracle-hooks install` run from its node_modules. Every folder made here
 * is removed by `removeScratchFolders` (call it in afterAll).
 */

export interface PackedRepo extends TestRepo {
  /** The installed package, `node_modules/paracle-hooks`. */
  packageDir: string;
  /** `paracle` as installed in node_modules (what `npx paracle-hooks` runs). */
  paracle(args: readonly string[], options?: { cwd?: string; env?: Record<string, string | undefined> }): Promise<RunResult>;
}

const IDENTITY: Array<[string, string]> = [
  ['user.name', 'Paracle Test'],
  ['user.email', 'test@paracle.invalid'],
  ['commit.gpgsign', 'false'],
  ['gc.auto', '0'],
  ['maintenance.auto', 'false'],
  ['core.autocrlf', 'false'],
  ['advice.detachedHead', 'false'],
  ['merge.conflictStyle', 'merge'],
];

const scratch: string[] = [];

/** A temp folder removed by removeScratchFolders. */
export function scratchDir(prefix: string): string {
  const dir = tempDir(prefix);
  scratch.push(dir);
  return dir;
}

/** A folder made elsewhere (copyPackedProject, say) that removeScratchFolders removes too. */
export function removeLater(dir: string): void {
  scratch.push(dir);
}

/**
 * Removes them all at once, off the main thread: a packed project holds thousands of files, and a
 * file's worth of synchronous removals on a loaded machine outlasted the hook timeout.
 */
export async function removeScratchFolders(): Promise<void> {
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export async function configureIdentity(dir: string): Promise<void> {
  for (const [key, value] of IDENTITY) await runGit(['config', key, value], { cwd: dir, env: 'clean' });
}

export interface PackedRepoOptions {
  /** Run `paracle-hooks install` (default true). */
  install?: boolean;
  /** Make the first commit through the hooks (default true; needs install). */
  commit?: boolean;
  /** The test runs npm in it: node_modules is copied whole, not linked (copyPackedProject). */
  npm?: boolean;
}

export async function makePackedRepo(options: PackedRepoOptions = {}): Promise<PackedRepo> {
  const dir = copyPackedProject('paracle-packed-repo-', { forNpm: options.npm ?? false });
  scratch.push(dirname(dir));
  await runGit(['init', '-q', '-b', 'main'], { cwd: dir, env: 'clean' });
  await configureIdentity(dir);
  writeProjectFiles(dir);
  const repo = packedRepoAt(dir);
  if (options.install ?? true) {
    const install = await repo.paracle(['install']);
    if (install.exitCode !== 0) throw new Error(`paracle-hooks install failed: ${install.stderr}`);
    if (options.commit ?? true) {
      await repo.git(['add', '-A']);
      const first = await repo.user(['commit', '-q', '-m', 'initial']);
      if (first.exitCode !== 0) throw new Error(`the first commit failed: ${first.stderr}`);
    }
  }
  return repo;
}

/** A PackedRepo view of a folder holding one (after a move or a copy, say). */
export function packedRepoAt(dir: string): PackedRepo {
  const packageDir = join(dir, 'node_modules', 'paracle-hooks');
  return {
    ...testRepo(dir),
    packageDir,
    paracle: (args, options = {}) => runNode([join(packageDir, 'dist', 'cli', 'bin.js'), ...args], options.cwd ?? dir, options.env),
  };
}

/** Any command, never throwing: its exit code and output (a command git or npm could not start is 127). */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number },
): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return new Promise((resolvePromise) => {
    execFile(
      command,
      [...args],
      { cwd: options.cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 0 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
        resolvePromise({ exitCode: code, stdout, stderr });
      },
    );
  });
}

/** Every file and symlink below `dir` with its size, for "nothing was added or changed here". */
export function treeListing(dir: string): Record<string, number> {
  const listing: Record<string, number> = {};
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else listing[relative(dir, path)] = statSync(path, { throwIfNoEntry: false })?.size ?? -1;
    }
  };
  visit(dir);
  return listing;
}

/**
 * A folder of links to every program in /usr/bin and /bin except node: a PATH like a GUI git
 * client's, started without the login shell's PATH (nvm, Homebrew, Volta put node elsewhere).
 */
export function pathWithoutNode(): string {
  const dir = scratchDir('paracle-no-node-path-');
  for (const folder of ['/usr/bin', '/bin']) {
    for (const name of readdirSync(folder)) {
      if (name === 'node' || name === 'nodejs') continue;
      try {
        symlinkSync(join(folder, name), join(dir, name));
      } catch {
        // the same name in both folders: the first one wins, as on PATH
      }
    }
  }
  return dir;
}
