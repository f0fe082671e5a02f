import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { updateState } from '../src/store/store.js';
import { HISTORY } from './support/fixtures.js';
import { LOG_REL, STATE_REL, makeTestRepo, type RunResult, type TestRepo } from './support/git-repo.js';

/**
 * `paracle verify` in real repositories: a base commit on main, then the branch's changes in the
 * working tree (what CI has checked out), checked against `--base main`. Every failure is checked
 * in all three outputs: text, `--json` and `--format github`.
 */

const NO_HOOKS = { PARACLE: '0' };
const ROADMAP_REL = '.parac/roadmap/roadmap.yaml';

/** main: the real state after three saves, so the (tracked) audit log has three lines; nothing else changed yet. */
async function repoAtBase(): Promise<TestRepo> {
  const repo = await makeTestRepo();
  for (const item of ['first', 'second', 'third']) {
    await updateState(repo.paracRoot, (s) => s.addCompleted(`${item} item`));
  }
  await repo.git(['add', '-A']);
  // This project chose to track its audit log (by default it is ignored): the append-only check is for it.
  await repo.git(['add', '-f', '--', LOG_REL]);
  const commit = await repo.user(['commit', '-q', '-m', 'base'], { env: NO_HOOKS });
  expect(commit.exitCode, commit.stderr).toBe(0);
  await repo.git(['checkout', '-q', '-b', 'pr']);
  return repo;
}

interface Outputs {
  /** Only when asked for: the pure renderer is the same for every problem, so a few cases cover it. */
  text?: RunResult;
  json: { exitCode: number; report: { ok: boolean; problems: Array<{ file: string; line?: number; message: string }> } };
  github: RunResult;
}

async function verify(repo: TestRepo, args: string[] = ['--base', 'main'], options: { text?: boolean } = {}): Promise<Outputs> {
  const [json, github, text] = await Promise.all([
    repo.paracle(['verify', ...args, '--json']),
    repo.paracle(['verify', ...args, '--format', 'github']),
    options.text === false ? undefined : repo.paracle(['verify', ...args]),
  ]);
  return { text, json: { exitCode: json.exitCode, report: JSON.parse(json.stdout) }, github };
}

const NO_TEXT = { text: false };

/** One failure, the same in every output: exit 1, one problem at `file:line`, its message matching. */
function expectOneProblem(out: Outputs, file: string, line: number | undefined, message: RegExp): void {
  expect(out.json.exitCode).toBe(1);
  expect(out.json.report.ok).toBe(false);
  expect(out.json.report.problems).toHaveLength(1);
  const problem = out.json.report.problems[0]!;
  expect(problem.file).toBe(file);
  expect(problem.line).toBe(line);
  expect(problem.message).toMatch(message);
  expect(Object.keys(problem).sort()).toEqual(line === undefined ? ['file', 'message'] : ['file', 'line', 'message']);

  if (out.text !== undefined) {
    expect(out.text.exitCode).toBe(1);
    expect(out.text.stdout).toBe('');
    const textLines = out.text.stderr.split('\n').filter(Boolean);
    expect(textLines).toHaveLength(2);
    expect(textLines[0]!.startsWith(`${file}${line === undefined ? '' : `:${line}`}`)).toBe(true);
    expect(textLines[0]).toContain(problem.message);
    expect(textLines[1]).toBe('paracle: verify failed: 1 problem');
  }

  expect(out.github.exitCode).toBe(1);
  const annotations = out.github.stdout.split('\n').filter(Boolean);
  expect(annotations).toHaveLength(1);
  const escaped = problem.message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const position = line === undefined ? '' : `,line=${line}`;
  expect(annotations[0]).toMatch(new RegExp(`^::error file=${escapeRegExp(file)}${position}(,col=\\d+)?,title=paracle verify::`));
  expect(annotations[0]!.endsWith(`::${escaped}`)).toBe(true);
  expect(out.github.stderr).toBe('paracle: verify failed: 1 problem\n');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function logLines(repo: TestRepo): string[] {
  return repo.read(LOG_REL).split('\n').filter(Boolean);
}

function lineOf(text: string, pattern: RegExp): number {
  return text.split('\n').findIndex((line) => pattern.test(line)) + 1;
}

describe('paracle verify passes', () => {
  it('a branch that saved the state (revision up, log appended): exit 0 in every format, nothing on stderr', async () => {
    const repo = await repoAtBase();
    await updateState(repo.paracRoot, (s) => s.updateProgress(50));
    const out = await verify(repo);
    expect(out.json).toEqual({ exitCode: 0, report: { ok: true, problems: [] } });
    expect(out.text!.exitCode).toBe(0);
    expect(out.text!.stderr).toBe('');
    expect(out.text!.stdout).toBe(
      `paracle: verify ok: ${STATE_REL} valid (revision 15); changed since main (revision 14 there); audit log 4 lines, append-only (1 new)\n`,
    );
    expect(out.github.exitCode).toBe(0);
    expect(out.github.stdout).toBe(out.text!.stdout);
    expect(out.github.stdout).not.toContain('::error');
  });

  it('without --base: the state and the log lines are checked, nothing about history', async () => {
    const repo = await repoAtBase();
    const text = repo.read(STATE_REL);
    repo.write(STATE_REL, text.replace(/^revision: \d+$/m, 'revision: 1'));
    const out = await verify(repo, []);
    expect(out.json.report).toEqual({ ok: true, problems: [] });
    expect(out.text!.stdout).toBe(`paracle: verify ok: ${STATE_REL} valid (revision 1); audit log 3 lines valid\n`);
  });

  it('an unchanged state needs no new revision', async () => {
    const repo = await repoAtBase();
    repo.write('packages/app.py', 'x\n');
    const out = await verify(repo);
    expect(out.json.report.ok).toBe(true);
    expect(out.text!.stdout).toContain('unchanged since main');
  });
});

describe('paracle verify fails, naming file and line', () => {
  it('a rewound revision', async () => {
    const repo = await repoAtBase();
    await updateState(repo.paracRoot, (s) => s.updateProgress(50));
    repo.write(STATE_REL, repo.read(STATE_REL).replace(/^revision: \d+$/m, 'revision: 9'));
    const out = await verify(repo);
    expectOneProblem(
      out,
      STATE_REL,
      lineOf(repo.read(STATE_REL), /^revision:/),
      /^revision 9 is below 14 at main: the state was rewound .*set revision to 15 or more$/,
    );
  });

  it('a changed state whose revision did not move', async () => {
    const repo = await repoAtBase();
    repo.write(STATE_REL, repo.read(STATE_REL).replace('progress: 0%', 'progress: 5%'));
    const out = await verify(repo, undefined, NO_TEXT);
    expectOneProblem(out, STATE_REL, 3, /^revision is still 14, as at main, though the state changed since: every change must raise it/);
  });

  it('an edited audit log line, by its number', async () => {
    const repo = await repoAtBase();
    await updateState(repo.paracRoot, (s) => s.updateProgress(50));
    const lines = logLines(repo);
    lines[1] = lines[1]!.replace('second item', 'a different story');
    repo.write(LOG_REL, `${lines.join('\n')}\n`);
    const out = await verify(repo);
    expectOneProblem(out, LOG_REL, 2, /^line 2 of the audit log at main was edited: the log is append-only/);
  });

  it('a removed audit log line, by its number (in the middle, and at the end)', async () => {
    const repo = await repoAtBase();
    await updateState(repo.paracRoot, (s) => s.updateProgress(50));
    const lines = logLines(repo);
    repo.write(LOG_REL, `${[lines[0], lines[2], lines[3]].join('\n')}\n`);
    expectOneProblem(await verify(repo, undefined, NO_TEXT), LOG_REL, 2, /^line 2 of the audit log at main was removed: /);
    repo.write(LOG_REL, `${lines.slice(0, 2).join('\n')}\n`);
    expectOneProblem(await verify(repo, undefined, NO_TEXT), LOG_REL, 3, /^line 3 of the audit log at main was removed: /);
  });

  it('an audit log line that is not JSON', async () => {
    const repo = await repoAtBase();
    await updateState(repo.paracRoot, (s) => s.updateProgress(50));
    repo.write(LOG_REL, `${repo.read(LOG_REL)}{"timestamp": "2026-01-10T10:00:00Z", "change_type": "upd\n`);
    expectOneProblem(
      await verify(repo, undefined, NO_TEXT),
      LOG_REL,
      5,
      /^not valid JSON \(.*\); every line of the audit log is one JSON object$/,
    );
  });

  it('an audit log entry without a required field, or with one of the wrong type', async () => {
    const repo = await repoAtBase();
    const base = repo.read(LOG_REL);
    const entry = { timestamp: '2026-01-10T10:00:00.000Z', process_id: 1, change_type: 'update', description: 'by hand', revision: 15 };
    const { timestamp: _dropped, ...withoutTimestamp } = entry;
    repo.write(LOG_REL, `${base}${JSON.stringify(withoutTimestamp)}\n`);
    expectOneProblem(await verify(repo, undefined, NO_TEXT), LOG_REL, 4, /^entry lacks required field "timestamp"$/);
    repo.write(LOG_REL, `${base}${JSON.stringify({ ...entry, revision: 'fifteen' })}\n`);
    expectOneProblem(
      await verify(repo, undefined, NO_TEXT),
      LOG_REL,
      4,
      /^entry field "revision" must be a non-negative integer, got "fifteen"$/,
    );
  });

  it('conflict markers in the state file, with the way out', async () => {
    const repo = await repoAtBase();
    const text = repo.read(STATE_REL);
    const at = lineOf(text, /^ {2}progress:/);
    const lines = text.split('\n');
    lines.splice(at - 1, 1, '<<<<<<< HEAD', '  progress: 10%', '=======', '  progress: 20%', '>>>>>>> other');
    repo.write(STATE_REL, lines.join('\n'));
    const out = await verify(repo);
    expectOneProblem(
      out,
      STATE_REL,
      at,
      /^git conflict marker "<<<<<<<": this merge ran without paracle's merge driver .*`git checkout -m -- \.parac\/memory\/context\/current_state\.yaml`/,
    );
    // `paracle validate` says it too, with its own way out.
    const validate = await repo.paracle(['validate']);
    expect(validate.exitCode).toBe(1);
    expect(validate.stderr).toBe(
      `${STATE_REL}:${at}:1: git conflict marker "<<<<<<<": finish the merge (keep the right lines, delete the markers), then \`git add\` the file\n`,
    );
  });

  it('conflict markers in another .parac YAML file', async () => {
    const repo = await repoAtBase();
    repo.write(ROADMAP_REL, `${repo.read(ROADMAP_REL)}<<<<<<< HEAD\nnote: a\n=======\nnote: b\n>>>>>>> other\n`);
    const at = lineOf(repo.read(ROADMAP_REL), /^<<<<<<< HEAD$/);
    expectOneProblem(
      await verify(repo, undefined, NO_TEXT),
      ROADMAP_REL,
      at,
      /^git conflict marker "<<<<<<<": keep the right lines, delete the markers, then `git add` the file$/,
    );
  });

  it('conflict markers in the audit log (merged without merge=union)', async () => {
    const repo = await repoAtBase();
    const lines = logLines(repo);
    repo.write(LOG_REL, `${lines.slice(0, 2).join('\n')}\n<<<<<<< HEAD\n${lines[2]}\n=======\n${lines[2]}\n>>>>>>> other\n`);
    const out = await verify(repo, undefined, NO_TEXT);
    expect(out.json.report.problems.map((p) => [p.file, p.line, p.message.split(':')[0]])).toEqual([
      [LOG_REL, 3, 'git conflict marker "<<<<<<<"'],
    ]);
    expect(out.json.report.problems[0]!.message).toContain('merge=union');
    expect(out.github.stdout).toMatch(
      new RegExp(`^::error file=${escapeRegExp(LOG_REL)},line=3,col=1,title=paracle verify::git conflict marker`),
    );
  });

  it('a state file that is not valid YAML (the real history has one: line 131)', async () => {
    const repo = await repoAtBase();
    repo.write(STATE_REL, readFileSync(join(HISTORY, '05-2026-01-05-6243e89.yaml'), 'utf8'));
    expectOneProblem(await verify(repo, undefined, NO_TEXT), STATE_REL, 131, /Nested mappings are not allowed in compact mappings/);
  });

  it('a state whose known fields have the wrong type (and a % in the message, escaped for GitHub)', async () => {
    const repo = await repoAtBase();
    await updateState(repo.paracRoot, (s) => s.setIn(['current_phase', 'progress'], '150%'));
    const out = await verify(repo);
    expectOneProblem(
      out,
      STATE_REL,
      lineOf(repo.read(STATE_REL), /^ {2}progress:/),
      /^current_phase\.progress must be a percentage from 0% to 100%, found string "150%"$/,
    );
    expect(out.github.stdout).toContain('from 0%25 to 100%25, found string "150%25"');
  });

  it('several problems at once: every one is reported', async () => {
    const repo = await repoAtBase();
    repo.write(STATE_REL, repo.read(STATE_REL).replace(/^revision: \d+$/m, 'revision: 2'));
    const lines = logLines(repo);
    repo.write(LOG_REL, `${[lines[0], 'garbage', lines[2]].join('\n')}\n`);
    const out = await verify(repo);
    expect(out.json.report.problems.map((p) => [p.file, p.line])).toEqual([
      [LOG_REL, 2],
      [STATE_REL, 3],
      [LOG_REL, 2],
    ]);
    expect(out.github.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    expect(out.text!.stderr.split('\n').filter(Boolean).at(-1)).toBe('paracle: verify failed: 3 problems');
  });

  it('a base that is not in the clone: one line saying to fetch it', async () => {
    const repo = await repoAtBase();
    const result = await repo.paracle(['verify', '--base', 'origin/main']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      'paracle: --base origin/main: no such commit in this clone; fetch it first (in GitHub Actions, actions/checkout with fetch-depth: 0)\n',
    );
  });

  it('a base that is not in the clone, under --format github: an ::error annotation on stdout too', async () => {
    const repo = await repoAtBase();
    const result = await repo.paracle(['verify', '--base', 'does-not-exist', '--format', 'github']);
    const message =
      '--base does-not-exist: no such commit in this clone; fetch it first (in GitHub Actions, actions/checkout with fetch-depth: 0)';
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe(`::error title=paracle verify::${message}\n`);
    expect(result.stderr).toBe(`paracle: ${message}\n`);
  });

  it('no .parac/ to verify, under --format github: an ::error annotation', async () => {
    const repo = await repoAtBase();
    const result = await repo.paracle(['verify', '--format', 'github', '--root', join(repo.dir, 'nowhere')]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^::error title=paracle verify::.*nowhere.*\n$/);
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('messages quote what they show, cut to a readable length', () => {
  const TOKEN = 5000;

  it('a 5,000-character revision token: cut, its length said, in validate and verify', async () => {
    const repo = await repoAtBase();
    repo.write(STATE_REL, repo.read(STATE_REL).replace(/^revision: \d+$/m, `revision: ${'A'.repeat(TOKEN)}`));
    const expected = /^revision must be a non-negative integer, found "A{30}…A{8}" \(5,000 characters\)$/;
    expectOneProblem(await verify(repo), STATE_REL, 3, expected);
    const validate = await repo.paracle(['validate']);
    expect(validate.exitCode).toBe(1);
    expect(validate.stderr.length).toBeLessThan(300);
    expect(validate.stderr).toContain('found "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…AAAAAAAA" (5,000 characters)');
  });

  it('a revision of 5,000 nines (too large for a number): says what was found, not null', async () => {
    const repo = await repoAtBase();
    repo.write(STATE_REL, repo.read(STATE_REL).replace(/^revision: \d+$/m, `revision: ${'9'.repeat(TOKEN)}`));
    expectOneProblem(await verify(repo), STATE_REL, 3, /^revision must be a non-negative integer, found 9{30}…9{8} \(5,000 characters\)$/);
    const validate = await repo.paracle(['validate']);
    expect(validate.exitCode).toBe(1);
    expect(validate.stderr).not.toContain('null');
    expect(validate.stderr).toContain('found 999999999999999999999999999999…99999999 (5,000 characters)');
  });

  it('a 5,000-character value in a known field: cut as well', async () => {
    const repo = await repoAtBase();
    await updateState(repo.paracRoot, (s) => s.setIn(['current_phase', 'progress'], 'B'.repeat(TOKEN)));
    expectOneProblem(
      await verify(repo, undefined, NO_TEXT),
      STATE_REL,
      lineOf(repo.read(STATE_REL), /^ {2}progress:/),
      /^current_phase\.progress must be a percentage from 0% to 100%, found string "B{30}…B{8}" \(5,000 characters\)$/,
    );
  });
});
