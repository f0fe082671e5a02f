// CLI start-up: `paracle --version` and `paracle status` on the real state file, against a bare
// `node -e 0` measured interleaved in the same loop (targets: 1.5× and 2×).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const title = 'cli start-up';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function timed(args, cwd) {
  const start = process.hrtime.bigint();
  await run(process.execPath, args, { cwd });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function measure({ projectRoot, realStatePath, quick }) {
  const dir = mkdtempSync(join(tmpdir(), 'paracle-bench-cli-'));
  mkdirSync(join(dir, '.parac', 'memory', 'context'), { recursive: true });
  copyFileSync(realStatePath, join(dir, '.parac', 'memory', 'context', 'current_state.yaml'));
  const bin = join(projectRoot, 'dist', 'cli', 'bin.js');
  const runs = quick ? 7 : 21;
  const node = [];
  const version = [];
  const status = [];
  for (let i = 0; i < runs + 2; i += 1) {
    const n = await timed(['-e', '0'], dir);
    const v = await timed([bin, '--version'], dir);
    const s = await timed([bin, 'status'], dir);
    if (i >= 2) {
      node.push(n);
      version.push(v);
      status.push(s);
    }
  }
  const [n, v, s] = [median(node), median(version), median(status)];
  return [
    { measure: 'node -e 0, interleaved (median)', value: `${n.toFixed(1)} ms` },
    { measure: 'paracle --version (median)', value: `${v.toFixed(1)} ms`, note: `${(v / n).toFixed(2)}× node start-up (target ≤ 1.5×)` },
    {
      measure: 'paracle status on the real file (median)',
      value: `${s.toFixed(1)} ms`,
      note: `${(s / n).toFixed(2)}× node start-up (target ≤ 2×)`,
    },
  ];
}

export { measure as run };
