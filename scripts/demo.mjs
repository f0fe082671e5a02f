// The quick-start demo: in a scratch folder, two writers race on one state file.
// Shows a save that keeps the file's comments, a stale save refused with StateConflictError,
// the same change landing through updateState, and the audit trail that records every revision.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadState, saveState, updateState, getRecentChanges, StateConflictError } from '../dist/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'paracle-demo-'));
const root = join(scratch, '.parac');
const stateFile = join(root, 'memory', 'context', 'current_state.yaml');
mkdirSync(join(root, 'memory', 'context'), { recursive: true });
writeFileSync(
  stateFile,
  `# Project State — edited by people and tools alike
version: "1.0"
snapshot_date: "2026-01-01"
revision: 0

project:
  name: demo-project # shown in dashboards
  version: 0.1.0

current_phase:
  id: phase_1
  name: Core
  status: in_progress
  progress: 10%
  focus_areas:
    - "State that survives concurrent writers"
  notes: >
    Folded text stays folded: this paragraph is long enough that a YAML
    library re-emitting the whole file would re-flow it.

blockers: []
`,
);

const say = (text) => process.stdout.write(`${text}\n`);
const show = (title) => {
  say(`\n--- ${title}`);
  say(readFileSync(stateFile, 'utf8').trimEnd());
};

say(`Scratch folder: ${scratch}`);
show('the state file as written by hand');

// Two writers load the same revision.
const alice = await loadState(root);
const bob = await loadState(root);

bob.updateProgress(40);
bob.addCompleted('atomic writes');
say(`\nbob saves → revision ${await saveState(bob, root)}`);

alice.updateProgress(55);
try {
  await saveState(alice, root);
} catch (error) {
  if (!(error instanceof StateConflictError)) throw error;
  say(`alice's stale save is refused (${error.code}):\n  ${error.message}`);
}

const updated = await updateState(root, (state) => {
  state.updateProgress(55);
  state.addBlocker('Waiting for review', 'high');
});
say(`alice retries with updateState (read, change, write in one lock hold) → revision ${updated.revision}`);

show('after both writers: comments, folded text and key order are untouched');

say('\n--- the audit trail (.parac/memory/logs/state_changes.jsonl), newest first');
for (const entry of await getRecentChanges(root, 10)) {
  say(`  rev ${entry.revision}  ${entry.change_type.padEnd(13)} ${entry.description}`);
}

try {
  execFileSync('git', ['--version'], { stdio: 'ignore' });
  say('\nNext: `npm test` runs the whole suite (real processes, real files, real git).');
} catch {
  say('\nNext: `npm test` runs the whole suite.');
}
