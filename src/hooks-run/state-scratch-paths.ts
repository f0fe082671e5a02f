/**
 * Files the state core makes beside the state file that must never be committed: the lock
 * (`<file>.paracle-lock/`), its waiting line (`<file>.paracle-queue/`), the plain `*.lock` file the
 * Python tooling leaves (its project once committed its lock files by accident), and temp files
 * (`.<file>.<pid>.<host>.<n>.<random>.tmp`). `paracle install` writes the ignore rules; pre-commit
 * also refuses a commit that stages one (ignore rules do not stop `git add -f` or a file that is
 * already tracked).
 */

export const STATE_SCRATCH_IGNORE_RULES: readonly string[] = [
  '**/.parac/**/*.paracle-lock',
  '**/.parac/**/*.paracle-queue',
  '**/.parac/**/*.lock',
  '**/.parac/**/.*.tmp',
];

const SCRATCH_PATH = [
  /(?:^|\/)\.parac\/(?:.*\/)?[^/]+\.paracle-(?:lock|queue)(?:\/|$)/,
  /(?:^|\/)\.parac\/(?:.*\/)?[^/]+\.lock$/,
  /(?:^|\/)\.parac\/(?:.*\/)?\.[^/]+\.tmp$/,
];

export function isStateScratchPath(repoPath: string): boolean {
  return SCRATCH_PATH.some((pattern) => pattern.test(repoPath));
}
