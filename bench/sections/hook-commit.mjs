// `npm run bench` section: what the git hooks cost a commit (see bench/hook-commit.mjs).
import { benchHookCommit, floorRatio, hookCostRatio } from '../hook-commit.mjs';

export const title = 'git hooks';

export async function run({ quick, fixtures }) {
  const result = await benchHookCommit({ runs: quick ? 5 : 31, fixtures });
  const unwatched = (result.withHooksUnwatchedMs - result.withoutHooksMs) / result.nodeStartMs;
  return [
    {
      measure: 'git commit of one staged file in packages/, hooks installed (median)',
      value: `${result.withHooksMs.toFixed(1)} ms`,
      note: `${result.runs} runs, real state file`,
    },
    { measure: 'the same commit with hooks skipped (--no-verify)', value: `${result.withoutHooksMs.toFixed(1)} ms`, note: '' },
    {
      measure: 'git commit touching no watched area, hooks installed',
      value: `${result.withHooksUnwatchedMs.toFixed(1)} ms`,
      note: `hook adds ${unwatched.toFixed(2)}× a node start-up`,
    },
    {
      measure: "the same commit with the hooks installed but PARACLE=0 (husky's wrappers only)",
      value: `${result.huskyOnlyMs.toFixed(1)} ms`,
      note: `husky's own share: ${floorRatio(result, 'huskyOnlyMs').toFixed(2)}× a node start-up`,
    },
    {
      measure: 'floor: husky running `node -e 0` as the whole pre-commit hook',
      value: `${result.bareNodeMs.toFixed(1)} ms`,
      note: `adds ${floorRatio(result, 'bareNodeMs').toFixed(2)}× a node start-up`,
    },
    {
      measure: 'floor: husky running a node script that only asks `git status` and runs `git add -u` on one file',
      value: `${result.skeletonMs.toFixed(1)} ms`,
      note: `adds ${floorRatio(result, 'skeletonMs').toFixed(2)}× a node start-up: the least a node hook that stages its writes costs here`,
    },
    { measure: 'node -e 0, same run', value: `${result.nodeStartMs.toFixed(1)} ms`, note: '' },
    {
      measure: 'cost the hook adds to a commit',
      value: `${(result.withHooksMs - result.withoutHooksMs).toFixed(1)} ms`,
      note: `${hookCostRatio(result).toFixed(2)}× a node start-up (target ≤ 2×)`,
    },
  ];
}
