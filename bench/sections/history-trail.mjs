// The history trail (issue 14). Targets: a save costs at most 1.1× what it cost before the trail;
// `paracle show --revision 1` on a trail of 1,000 saves of the real file at most 2× `paracle status`
// in the same run; a typical hook or session-end save adds under 2 KB to the log.
// Run alone (after `npm run build`): node bench/sections/history-trail.mjs [--quick]
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { statePatch } from '../../dist/log/state-patch.js';
import { loadState, saveState, updateState } from '../../dist/index.js';
import { parseStateText } from '../../dist/document/document.js';
import { readLogTail, readRevisionHighWater } from '../../dist/log/revision-high-water.js';
import { textHash } from '../../dist/log/trail.js';

const run = promisify(execFile);
export const title = 'history trail';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function project(text) {
  const dir = mkdtempSync(join(tmpdir(), 'paracle-bench-trail-'));
  const root = join(dir, '.parac');
  mkdirSync(join(root, 'memory', 'context'), { recursive: true });
  writeFileSync(join(root, 'memory', 'context', 'current_state.yaml'), text);
  return {
    dir,
    root,
    file: join(root, 'memory', 'context', 'current_state.yaml'),
    log: join(root, 'memory', 'logs', 'state_changes.jsonl'),
  };
}

export async function measure({ projectRoot, realStatePath, quick }) {
  const realText = readFileSync(realStatePath, 'utf8');
  const rows = [];

  // 1. Save cost. The trail's work in a save is timed on its own, interleaved with whole saves:
  //    the tail read (which replaced the high-water read), a hash of the text read and of the text
  //    written, and the diff. What the save paid before = save − (trail work − high-water read).
  {
    const p = project(realText);
    await updateState(p.root, (s) => s.updateProgress(1)); // the trail's first snapshot
    const saves = [];
    const extra = [];
    const runs = quick ? 15 : 60;
    for (let i = 0; i < runs + 5; i += 1) {
      const start = nowMs();
      const state = await loadState(p.root);
      state.updateProgress(i % 100);
      await saveState(state, p.root);
      const save = nowMs() - start;
      const text = readFileSync(p.file, 'utf8');
      const parsed = parseStateText(text, p.file);
      const next = structuredClone(parsed.data);
      next.revision = parsed.revision + 1;
      next.current_phase.progress = `${(i + 1) % 100}%`;
      const t0 = nowMs();
      await readLogTail(p.root);
      textHash(text);
      textHash(text);
      statePatch(parsed.data, next);
      const t1 = nowMs();
      await readRevisionHighWater(p.root);
      const t2 = nowMs();
      if (i >= 5) {
        saves.push(save);
        extra.push(t1 - t0 - (t2 - t1));
      }
    }
    const save = median(saves);
    const added = median(extra);
    rows.push({ measure: 'load + update + save with the trail (median)', value: `${save.toFixed(2)} ms` });
    rows.push({
      measure: 'trail work in a save: tail read + 2 hashes + diff, minus the high-water read it replaced (median)',
      value: `${added.toFixed(2)} ms`,
      note: `${(save / (save - added)).toFixed(3)}× the save without it (target ≤ 1.1×)`,
    });
    rmSync(p.dir, { recursive: true, force: true });
  }

  // 2. A trail of 1,000 saves of the real file (revision 0 → 1,000), mixed like a day's work.
  {
    const count = quick ? 200 : 1000;
    const p = project(realText.replace(/^revision: \d+$/m, 'revision: 0'));
    const sizes = [];
    let size = 0;
    let hookSizes = [];
    for (let i = 0; i < count; i += 1) {
      const kind = i % 5;
      if (kind === 0) await updateState(p.root, (s) => s.updateProgress(i % 100));
      else if (kind === 1) await updateState(p.root, (s) => s.addCompleted(`bench-item-${i}`));
      else if (kind === 2) await updateState(p.root, (s) => void s.addBlocker(`bench blocker ${i}`, 'low'));
      else if (kind === 3) {
        // As the pre-commit hook saves: a sections read, one auto_maintain entry.
        await updateState(p.root, (s) => s.setIn(['metrics', 'commits'], i), {
          sections: ['metrics', 'snapshot_date'],
          audit: { changeType: 'auto_maintain', description: 'Updated metrics from the commit' },
        });
      } else {
        // As a session end: several changes in one save.
        await updateState(p.root, (s) => {
          s.updateProgress((i + 3) % 100);
          s.addInProgress(`bench-session-${i}`);
          const blocker = s.blockers.at(-1);
          if (blocker) s.removeBlocker(blocker.id);
        });
      }
      const now = statSync(p.log).size;
      if (i > 0) {
        sizes.push(now - size);
        if (kind === 3) hookSizes.push(now - size);
      }
      size = now;
    }
    const bin = join(projectRoot, 'dist', 'cli', 'bin.js');
    const timed = async (args) => {
      const start = nowMs();
      await run(process.execPath, [bin, ...args], { cwd: p.dir, maxBuffer: 64 * 1024 * 1024 });
      return nowMs() - start;
    };
    const show = [];
    const status = [];
    const showLatest = [];
    const rounds = quick ? 5 : 15;
    for (let i = 0; i < rounds + 2; i += 1) {
      const a = await timed(['show', '--revision', '1']);
      const b = await timed(['status']);
      const c = await timed(['show']);
      if (i >= 2) {
        show.push(a);
        status.push(b);
        showLatest.push(c);
      }
    }
    const [a, b, c] = [median(show), median(status), median(showLatest)];
    rows.push({ measure: `trail of ${count} saves: log size`, value: `${(size / 1024).toFixed(0)} KiB` });
    rows.push({ measure: 'paracle status (median)', value: `${b.toFixed(1)} ms` });
    rows.push({
      measure: 'paracle show --revision 1 (median)',
      value: `${a.toFixed(1)} ms`,
      note: `${(a / b).toFixed(2)}× status (target ≤ 2×)`,
    });
    rows.push({ measure: `paracle show (revision ${count}, median)`, value: `${c.toFixed(1)} ms`, note: `${(c / b).toFixed(2)}× status` });
    hookSizes = hookSizes.sort((x, y) => x - y);
    rows.push({
      measure: 'log bytes added per save: median / max (all kinds)',
      value: `${median(sizes)} / ${Math.max(...sizes)} B`,
      note: 'target < 2 KB',
    });
    rows.push({ measure: 'log bytes added per hook-like save: median / max', value: `${median(hookSizes)} / ${hookSizes.at(-1)} B` });
    rmSync(p.dir, { recursive: true, force: true });
  }
  return rows;
}

export { measure as run };

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const projectRoot = resolve(fileURLToPath(import.meta.url), '../../..');
  const rows = await measure({
    projectRoot,
    realStatePath: join(projectRoot, 'test/fixtures/paracle/current_state.yaml'),
    quick: process.argv.includes('--quick'),
  });
  process.stdout.write(`| section | measure | value | note |\n| --- | --- | --- | --- |\n`);
  for (const row of rows) process.stdout.write(`| ${title} | ${row.measure} | ${row.value} | ${row.note ?? ''} |\n`);
}
