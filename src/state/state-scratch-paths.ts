/**
 * The files the state core makes beside its own files, and nothing else: `paracle install` ignores
 * them and pre-commit refuses a commit that stages one (ignore rules do not stop `git add -f` or a
 * file that is already tracked). Exactly these, because a real `.parac/` tracks files of other
 * paracle subsystems with similar names (e.g. `.parac/memory/data/locks/<hash>.lock`):
 *
 *   - `current_state.yaml.paracle-lock/` (the lock) and `current_state.yaml.paracle-queue/` (its
 *     waiting line), beside the state file;
 *   - `current_state.yaml.lock` (the Python tooling's filelock) and `current_state.yaml.tmp` (its
 *     temp file), beside the state file;
 *   - our temp files, `.<name>.<pid>.<host>.<n>.<random>.tmp`, beside the three files we replace
 *     atomically: the state file, the changelog and the audit log (`paracle log prune`).
 *
 * The audit log itself is ignored too (a local record, see docs/hooks.md), but never refused: a
 * project may choose to track it with `git add -f`.
 */

const STATE_DIR = '.parac/memory/context';
const STATE_NAME = 'current_state.yaml';

export const STATE_SCRATCH_IGNORE_RULES: readonly string[] = [
  `**/${STATE_DIR}/${STATE_NAME}.paracle-lock`,
  `**/${STATE_DIR}/${STATE_NAME}.paracle-queue`,
  `**/${STATE_DIR}/${STATE_NAME}.lock`,
  `**/${STATE_DIR}/${STATE_NAME}.tmp`,
  `**/${STATE_DIR}/.${STATE_NAME}.*.tmp`,
  '**/.parac/.changelog.md.*.tmp',
  '**/.parac/memory/logs/.state_changes.jsonl.*.tmp',
];

/** The audit log: this checkout's own record of state writes (process ids, this machine's times). */
export const AUDIT_LOG_IGNORE_RULE = '**/.parac/memory/logs/state_changes.jsonl';

const SCRATCH_PATH = [
  /(?:^|\/)\.parac\/memory\/context\/current_state\.yaml\.paracle-(?:lock|queue)(?:\/|$)/,
  /(?:^|\/)\.parac\/memory\/context\/current_state\.yaml\.(?:lock|tmp)$/,
  /(?:^|\/)\.parac\/memory\/context\/\.current_state\.yaml\.[^/]+\.tmp$/,
  /(?:^|\/)\.parac\/\.changelog\.md\.[^/]+\.tmp$/,
  /(?:^|\/)\.parac\/memory\/logs\/\.state_changes\.jsonl\.[^/]+\.tmp$/,
];

export function isStateScratchPath(repoPath: string): boolean {
  return SCRATCH_PATH.some((pattern) => pattern.test(repoPath));
}
