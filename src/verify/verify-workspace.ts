import { realpathSync } from 'node:fs';
import { readTextIfExists } from '../fs/read-text.js';
import { isAbsolute, relative, sep } from 'node:path';
import { ParacleError } from '../errors.js';
import { isAncestor, listCommitsSince, readBlobIds, readBlobText, readShallowCommits } from '../git/commit-graph.js';
import { readIndexEntries } from '../git/index-files.js';
import { readFileAtRevision } from '../git/revision-files.js';
import { resolveCommit } from '../git/resolve-revision.js';
import { findWorktreeTop } from '../git/worktree-files.js';
import { replayState } from '../history/history.js';
import { auditLogPath, stateFilePath } from '../state/paths.js';
import { committedRevision } from '../tasks/merge-revision.js';
import { validateWorkspace, type Problem } from '../validate/validate-workspace.js';
import { checkAuditLogAppendOnly, checkAuditLogLines } from './audit-log-check.js';
import { conflictMarkerProblem } from './conflict-marker-advice.js';
import { baseRevision, checkRevisionNotRewound, type RevisionCheckInput } from './revision-check.js';
import { revertedRevs, revertReference, walkRevisionHistory } from './revision-history.js';
import type { VerifyReport } from './verify-report.js';

/**
 * `paracle verify [--base <ref>]`, the edge: read the workspace's files (as they are in the working
 * tree, which in CI is the commit under test) and, with a base, the same files as committed there
 * (through src/git/), then run the pure checks:
 *
 *   1. validate   the state file and every `.parac/` YAML file, as `paracle validate` does
 *   2. markers    no git conflict markers in them, each reported with the way out
 *   3. log        every line of the audit log one JSON entry with the required fields
 *   4. base       (with --base) the state's revision raised if the state changed, unless only
 *                 `git revert`s took it down (the branch's history tells, revision-history.ts);
 *                 and, where the project tracks the audit log, the log at the base a prefix of the log now
 *   5. replay     where the audit log holds a trail (issue 14) and the file is what its newest entry
 *                 says was written, the trail rebuilds the file's data exactly
 *
 * File names in problems are relative to the repository top (what GitHub annotations need), or to
 * the current directory outside a repository.
 */

export interface VerifyOptions {
  /** The `.parac/` directory. */
  root: string;
  /** A commit-ish the branch is compared with (e.g. `origin/main`). */
  base?: string;
}

export async function verifyWorkspace(options: VerifyOptions): Promise<VerifyReport> {
  const root = realpathSync(options.root);
  const top = await findWorktreeTop(root);
  if (options.base !== undefined && top === null) {
    throw new ParacleError('VERIFY_NO_REPOSITORY', `--base ${options.base}: ${root} is not inside a git repository`);
  }
  const show = (file: string) => displayPath(file, top);
  const stateFile = stateFilePath(root);
  const logFile = auditLogPath(root);

  const validation = await validateWorkspace(root);
  const problems: Problem[] = [];
  const marked = new Set<string>();
  for (const file of validation.files) {
    const text = await readTextIfExists(file);
    const problem = text === null ? null : conflictMarkerProblem(show(file), text, file === stateFile ? 'state' : 'yaml');
    if (problem === null) continue;
    problems.push(problem);
    marked.add(file);
  }
  // A file with markers fails to parse at the first one; that is already said, with the way out.
  problems.push(...validation.problems.filter((p) => !marked.has(p.file)).map((p) => ({ ...p, file: show(p.file) })));

  const logText = await readTextIfExists(logFile);
  if (logText !== null) problems.push(...checkAuditLogLines(show(logFile), logText));

  let base: VerifyReport['summary']['base'] = null;
  if (options.base !== undefined && top !== null) {
    const commit = await resolveCommit(top, 'clean', options.base);
    if (commit === null) {
      throw new ParacleError(
        'VERIFY_BASE_UNKNOWN',
        `--base ${options.base}: no such commit in this clone; fetch it first (in GitHub Actions, actions/checkout with fetch-depth: 0)`,
      );
    }
    const statePath = repoPath(stateFile, top);
    const logPath = repoPath(logFile, top);
    const [baseState, baseLog, logTracked] = await Promise.all([
      readFileAtRevision(top, 'clean', commit, statePath),
      readFileAtRevision(top, 'clean', commit, logPath),
      isTracked(top, logPath),
    ]);
    const stateText = await readTextIfExists(stateFile);
    const history = needsHistory(baseState, stateText, validation.revision)
      ? await readRevisionHistory(top, commit, statePath, stateText!, validation.revision!)
      : undefined;
    problems.push(
      ...checkRevisionNotRewound({
        file: show(stateFile),
        baseRef: options.base,
        baseText: baseState,
        currentText: stateText,
        currentRevision: validation.revision,
        history,
      }),
    );
    // The audit log is append-only where the project tracks it (by default it is a local record).
    if (logTracked) {
      let logProblems = checkAuditLogAppendOnly(show(logFile), options.base, baseLog, logText);
      // Lines gone because a revert on the branch undid the commit that appended them are no edit.
      if (logProblems.length > 0) {
        const reverted = await readRevertedLogLines(top, commit, logPath);
        if (reverted.size > 0) logProblems = checkAuditLogAppendOnly(show(logFile), options.base, baseLog, logText, reverted);
      }
      problems.push(...logProblems);
    }
    const stateChanged = baseState !== stateText;
    base = {
      ref: options.base,
      // An unchanged file is not parsed a second time.
      revision: baseState === null ? null : stateChanged ? baseRevision(baseState) : validation.revision,
      stateChanged,
      logTracked,
      newLogLines: logTracked ? Math.max(0, countLines(logText) - countLines(baseLog)) : 0,
      reverts: (history?.findings.reverts ?? []).map((c) => c.slice(0, 7)),
    };
  }

  // 5. replay: where the log holds a trail, rebuilding the latest revision from it gives the file. Not
  // when the log's lines were already found damaged: that is the same finding, said once.
  const logDamaged = problems.some((p) => p.file === show(logFile));
  if (logText !== null && !logDamaged && !validation.problems.some((p) => p.file === stateFile) && !marked.has(stateFile)) {
    problems.push(...(await replayProblems(root, show(stateFile))));
  }

  return {
    ok: problems.length === 0,
    problems,
    summary: { stateFile: show(stateFile), revision: validation.revision, base, logLines: countLines(logText) },
  };
}

/** Only a state that changed and whose revision is not above the base's needs its history read. */
function needsHistory(baseText: string | null, currentText: string | null, current: number | null): boolean {
  if (baseText === null || currentText === null || current === null || baseText === currentText) return false;
  const base = baseRevision(baseText);
  return base !== null && current <= base;
}

/**
 * The branch's commits since the base with the state's blob and revision in each (and in the
 * commits its reverts name), for the revert-or-rewind walk; and whether the working tree's state
 * went below HEAD's.
 */
async function readRevisionHistory(
  top: string,
  base: string,
  statePath: string,
  workingText: string,
  workingRevision: number,
): Promise<NonNullable<RevisionCheckInput['history']>> {
  const head = await resolveCommit(top, 'clean', 'HEAD');
  if (head === null) {
    return { baseIsAncestor: false, historyMissing: false, findings: { problems: [], reverts: [] }, workingTreeLowered: false };
  }
  const [baseIsAncestor, commits, headText, shallow] = await Promise.all([
    isAncestor(top, 'clean', base, head),
    listCommitsSince(top, 'clean', base, head),
    readFileAtRevision(top, 'clean', head, statePath),
    readShallowCommits(top, 'clean'),
  ]);
  const revs = [...commits.flatMap((c) => [c.commit, ...c.parents]), ...revertedRevs(commits)];
  const blobs = await readBlobIds(top, 'clean', revs, statePath);
  const revisions = new Map<string, number | null>();
  for (const oid of new Set(blobs.values())) {
    if (oid !== null) revisions.set(oid, committedRevision(await readBlobText(top, 'clean', oid)));
  }
  const headRevision = headText === null ? null : committedRevision(headText);
  return {
    baseIsAncestor,
    // The walk met a commit whose parents this clone lacks: what happened below it is unknown.
    historyMissing: commits.some((c) => shallow.has(c.commit)),
    findings: walkRevisionHistory({ commits, blobs, revisions }),
    workingTreeLowered: headText !== workingText && headRevision !== null && workingRevision < headRevision,
  };
}

/**
 * The audit log lines that the branch's `git revert`s removed: for each commit whose message says it
 * reverts another, the lines its parent's log has and its own does not.
 */
async function readRevertedLogLines(top: string, base: string, logPath: string): Promise<Set<string>> {
  const head = await resolveCommit(top, 'clean', 'HEAD');
  if (head === null) return new Set();
  const reverts = (await listCommitsSince(top, 'clean', base, head)).filter((c) => c.parents.length === 1 && revertReference(c.message));
  const lines = new Set<string>();
  for (const revert of reverts) {
    const [before, after] = await Promise.all([
      readFileAtRevision(top, 'clean', revert.parents[0]!, logPath),
      readFileAtRevision(top, 'clean', revert.commit, logPath),
    ]);
    const kept = new Set((after ?? '').split('\n'));
    for (const line of (before ?? '').split('\n')) if (line !== '' && !kept.has(line)) lines.add(line);
  }
  return lines;
}

async function isTracked(top: string, path: string): Promise<boolean> {
  return (await readIndexEntries({ cwd: top, env: 'clean' }, [path])).has(path);
}

function displayPath(file: string, top: string | null): string {
  const from = top ?? process.cwd();
  const rel = relative(from, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return file;
  return rel.split(sep).join('/');
}

/** Repository-relative with `/`, as git names files in a tree. */
function repoPath(file: string, top: string): string {
  return relative(top, file).split(sep).join('/');
}

function countLines(text: string | null): number {
  if (text === null || text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

async function replayProblems(root: string, file: string): Promise<Problem[]> {
  let check: Awaited<ReturnType<typeof replayState>>;
  try {
    check = await replayState(root);
  } catch {
    // A missing or unreadable state file is reported by the validation above.
    return [];
  }
  // A file changed outside paracle since the last save (a merge, a checkout, a hand edit) is not damage:
  // the next save records it, and in CI every merge commit is such a file. `paracle replay --check`
  // reports it; verify fails only where the file is what the trail says was written and still differs
  // from the trail's rebuild (a lost, altered or reordered entry).
  if (check.ok || !check.recorded) return [];
  if (check.gap !== null) return [{ file, message: `the audit trail cannot rebuild the latest revision: ${check.gap}` }];
  return [
    {
      file,
      message: `is what revision ${check.rebuilt?.revision} wrote, but the audit trail rebuilds it differently at ${check.differing.join(', ')}: a log entry was lost, altered or reordered; \`paracle history <key>\` shows what the trail knows`,
    },
  ];
}
