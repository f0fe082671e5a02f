// The quick-start demo, in a scratch folder. Part one: two writers race on one state file — a save
// that keeps the file's comments, a stale save refused with StateConflictError, the same change
// landing through updateState, and the audit trail that records every revision. Part two: the same
// state in a scratch git repository with the hooks installed, and a commit that updates it.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

// Part two: the git hooks, in a scratch repository that uses this toolkit as a devDependency.
const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const repo = join(scratch, 'repo');
mkdirSync(join(repo, 'node_modules'), { recursive: true });
symlinkSync(projectRoot, join(repo, 'node_modules', 'paracle-hooks'), 'dir');
writeFileSync(
  join(repo, 'package.json'),
  `${JSON.stringify({ name: 'demo-project', private: true, devDependencies: { 'paracle-hooks': '*' } }, null, 2)}\n`,
);
writeFileSync(join(repo, '.gitignore'), 'node_modules/\n');
mkdirSync(join(repo, '.parac', 'memory', 'context'), { recursive: true });
cpSync(stateFile, join(repo, '.parac', 'memory', 'context', 'current_state.yaml'));
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Demo',
  GIT_AUTHOR_EMAIL: 'demo@example.invalid',
  GIT_COMMITTER_NAME: 'Demo',
  GIT_COMMITTER_EMAIL: 'demo@example.invalid',
  NO_COLOR: '1',
};
delete env.HUSKY;
delete env.PARACLE;
const run = (command, args) => {
  const result = spawnSync(command, args, { cwd: repo, env, encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.trimEnd();
};
const paracle = (...args) => run(process.execPath, [join(projectRoot, 'dist', 'cli', 'bin.js'), ...args]);

say(`\n--- git hooks, in a scratch repository: ${repo}`);
run('git', ['init', '-q', '-b', 'main']);
run('git', ['config', 'commit.gpgsign', 'false']);
say(`$ paracle install\n${paracle('install')}`);
run('git', ['add', '-A']);
run('git', ['commit', '-q', '-m', 'Start the project']);
mkdirSync(join(repo, 'packages', 'core'), { recursive: true });
writeFileSync(join(repo, 'packages', 'core', 'parser.py'), 'def parse(text):\n    return text.split()\n');
writeFileSync(join(repo, 'docs.md'), '# Notes\n');
run('git', ['add', '-A']);
say(`$ git commit -m "Add the parser"\n${run('git', ['commit', '-q', '-m', 'Add the parser'])}`);
say(`$ git show --stat --format=%s HEAD\n${run('git', ['show', '--stat', '--format=%s', 'HEAD'])}`);
say(`$ paracle status\n${paracle('status')}`);
say(`$ paracle log --limit 3\n${paracle('log', '--limit', '3')}`);
say('\nNext: `npm test` runs the whole suite (real processes, real files, real git).');
