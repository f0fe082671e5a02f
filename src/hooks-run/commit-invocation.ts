import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * Whether the `git commit` running this pre-commit hook is `git commit --amend`. git tells a
 * pre-commit hook nothing about it (same arguments, same environment; measured with git 2.39), yet
 * the snapshot must name the commit the new one builds on: for an amend, the amended commit's
 * parent, not the commit about to be replaced. So the hook looks at the command line of the git
 * process above it (the hook runs under one or two `sh` of husky's): on Linux in /proc, elsewhere
 * with `ps`. Any failure to tell means "not an amend", the plain commit's answer.
 */

/** How far up to look: node ← sh (hook script) ← sh (husky's runner) ← git, with room to spare. */
const MAX_ANCESTORS = 6;

export interface ProcessInfo {
  parentPid: number;
  argv: string[];
}

export function isAmendCommit(startPid: number = process.ppid, read: (pid: number) => ProcessInfo | null = readProcess): boolean {
  let pid = startPid;
  for (let depth = 0; depth < MAX_ANCESTORS && pid > 1; depth += 1) {
    const info = read(pid);
    if (info === null) return false;
    if (isGitProcess(info.argv)) return argvAmends(info.argv);
    pid = info.parentPid;
  }
  return false;
}

function isGitProcess(argv: readonly string[]): boolean {
  const name = basename(argv[0] ?? '').replace(/\.exe$/i, '');
  return name === 'git';
}

/**
 * `--amend` or an abbreviation git accepts for it (`--am`, `--ame`, `--amen`), before a `--` that
 * starts the paths. A value of another option that happens to read `--amend` (`-m --amend`) is
 * taken for the option: a message like that is rare, and the cost is a stale `last_commit`. An alias (`git ci --amend`) is the same process, so the subcommand's name is
 * not checked: no other git command that runs pre-commit takes an option spelled like this.
 */
export function argvAmends(argv: readonly string[]): boolean {
  let amend = false;
  for (const arg of argv.slice(1)) {
    if (arg === '--') break;
    // The last of `--amend` / `--no-amend` wins, as git reads them.
    if (/^--am(?:e(?:n(?:d)?)?)?$/.test(arg)) amend = true;
    else if (arg === '--no-amend') amend = false;
  }
  return amend;
}

function readProcess(pid: number): ProcessInfo | null {
  try {
    if (process.platform === 'linux') return readProcFs(pid);
    return readWithPs(pid);
  } catch {
    return null;
  }
}

function readProcFs(pid: number): ProcessInfo | null {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  if (argv[argv.length - 1] === '') argv.pop();
  // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so fields count from the last ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const parentPid = Number(fields[1]);
  return Number.isInteger(parentPid) ? { parentPid, argv } : null;
}

/** macOS and the BSDs: one `ps` per ancestor (a few ms each; only on commits that touch a watched area). */
function readWithPs(pid: number): ProcessInfo | null {
  const result = spawnSync('ps', ['-o', 'ppid=', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
  const match = /^\s*(\d+)\s+(.*)$/.exec(result.stdout ?? '');
  if (result.status !== 0 || !match) return null;
  // ps joins the arguments with spaces: enough to find a git process and an --amend among them.
  return { parentPid: Number(match[1]), argv: match[2]!.trim().split(/\s+/) };
}
