import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { argvAmends, isAmendCommit, type ProcessInfo } from '../src/hooks-run/commit-invocation.js';
import { ignoreBlock, paracIgnoreBlock, upsertIgnoreRules } from '../src/hooks-install/ignore-rules.js';
import { highestRevision, readRevisionHighWater } from '../src/log/revision-high-water.js';
import { mergeStateTexts } from '../src/merge-driver/merge-state-texts.js';
import { parseStateText } from '../src/document/document.js';
import { updateState } from '../src/store/store.js';
import { tempDir } from './support/fixtures.js';
import { CLI, LOG_REL, STATE_REL, makeTestRepo, runNode, testRepo, type TestRepo } from './support/git-repo.js';

/** Many real git commands with hooks per test: generous on a shared, loaded machine. */
const GIT_TIMEOUT = { timeout: 240_000 };

/**
 * The hooks leave git as they found it (issue 9), each point with real git and the hooks
 * `paracle install` wrote: the audit log stays a local record, the snapshot does not count
 * paracle's own files, `--amend` names the right commit, only the state core's own files are
 * refused and ignored, a merge keeps one commit's `recent_changes`, and a revision this clone
 * wrote is never written again.
 */

const NO_HOOKS = { PARACLE: '0' };
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

async function repoFor(options: Parameters<typeof makeTestRepo>[0]): Promise<TestRepo> {
  const repo = await makeTestRepo(options);
  made.push(repo.dir);
  return repo;
}

type Data = Record<string, any>;

function parse(text: string | null): Data {
  if (text === null) throw new Error('missing state');
  return parseStateText(text, 'state').data as Data;
}

async function porcelain(repo: TestRepo): Promise<string> {
  return (await repo.git(['status', '--porcelain', '--untracked-files=all'])).stdout;
}

async function commitFile(repo: TestRepo, file: string, content = `${file}\n`, args: string[] = []): Promise<void> {
  repo.write(file, content);
  await repo.git(['add', '--', file]);
  const result = await repo.user(['commit', '-q', '-m', `add ${file}`, ...args]);
  expect(result.exitCode, result.stderr).toBe(0);
}

async function summary(repo: TestRepo, rev: string): Promise<string> {
  return (await repo.git(['log', '-1', '--format=%h %s', rev])).stdout.trim();
}

function logLines(repo: TestRepo): string[] {
  const file = join(repo.dir, LOG_REL);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

async function isIgnored(dir: string, path: string): Promise<boolean> {
  const { runGit } = await import('../src/git/run-git.js');
  const result = await runGit(['check-ignore', '-q', '--no-index', '--', path], {
    cwd: dir,
    env: 'clean',
    okExitCodes: [1],
    fixedFlags: false,
  });
  return result.exitCode === 0;
}

describe('the audit log is a local record', GIT_TIMEOUT, () => {
  it('ignored, never staged: after every commit the tree is clean and the snapshot counts no paracle file', async () => {
    const repo = await repoFor({ committed: true });
    expect(logLines(repo).length).toBeGreaterThan(0);
    expect(await porcelain(repo)).toBe('');
    expect((await repo.git(['ls-files', '--', LOG_REL])).stdout).toBe('');
    expect(await isIgnored(repo.dir, LOG_REL)).toBe(true);
    await commitFile(repo, 'packages/b.py');
    expect(await porcelain(repo)).toBe('');
    const state = parse(await repo.show(`HEAD:${STATE_REL}`));
    expect(state.repository).toMatchObject({ last_commit: await summary(repo, 'HEAD^'), has_uncommitted_changes: false });
    // A file of the user's that stays out of the commit does count.
    repo.write('notes/draft.txt', 'not committed\n');
    await commitFile(repo, 'packages/c.py');
    expect(parse(await repo.show(`HEAD:${STATE_REL}`)).repository.has_uncommitted_changes).toBe(true);
    expect(await porcelain(repo)).toBe('?? notes/draft.txt\n');
  });

  it('without the ignore rule (an install from before), the hook still does not count its own log, as `paracle sync` does not', async () => {
    const repo = await repoFor({ committed: true });
    repo.write('.gitignore', 'node_modules/\n');
    await repo.git(['add', '.gitignore']);
    expect((await repo.user(['commit', '-q', '-m', 'old ignore rules'], { env: NO_HOOKS })).exitCode).toBe(0);
    // What the set-up's saves left: the log and the Python tooling's lock file, both ignored by a current install.
    const before = '?? .parac/memory/context/current_state.yaml.lock\n?? .parac/memory/logs/state_changes.jsonl\n';
    expect(await porcelain(repo)).toBe(before);
    await commitFile(repo, 'packages/b.py');
    expect(parse(await repo.show(`HEAD:${STATE_REL}`)).repository.has_uncommitted_changes).toBe(false);
    expect(await porcelain(repo)).toBe(before);
    const sync = await repo.paracle(['sync', '--no-metrics', '--no-roadmap', '--json']);
    expect(sync.exitCode, sync.stderr).toBe(0);
    expect(parse(repo.read(STATE_REL)).repository.has_uncommitted_changes).toBe(false);
  });

  it('a project that tracks its log: pre-commit commits its own entries; the user’s unstaged lines stay unstaged', async () => {
    const repo = await repoFor({ committed: true });
    await repo.git(['add', '-f', '--', LOG_REL]);
    expect((await repo.user(['commit', '-q', '-m', 'track the log'], { env: NO_HOOKS })).exitCode).toBe(0);
    await commitFile(repo, 'packages/b.py');
    expect(await porcelain(repo)).toBe('');
    const committed = (await repo.show(`HEAD:${LOG_REL}`))!.split('\n').filter(Boolean);
    expect(committed).toEqual(logLines(repo));
    const last = JSON.parse(committed.at(-1)!);
    expect(last).toMatchObject({ change_type: 'auto_maintain', revision: parse(await repo.show(`HEAD:${STATE_REL}`)).revision });

    const mine = JSON.stringify({
      timestamp: new Date().toISOString(),
      process_id: 1,
      change_type: 'note',
      description: 'mine',
      revision: 0,
    });
    writeFileSync(join(repo.dir, LOG_REL), `${readFileSync(join(repo.dir, LOG_REL), 'utf8')}${mine}\n`);
    await commitFile(repo, 'packages/c.py');
    const after = (await repo.show(`HEAD:${LOG_REL}`))!.split('\n').filter(Boolean);
    expect(after.slice(0, committed.length)).toEqual(committed);
    expect(after.slice(committed.length).map((line) => JSON.parse(line).change_type)).toEqual(['auto_maintain']);
    expect(logLines(repo).slice(-2)[0]).toBe(mine);
    expect(await porcelain(repo)).toBe(` M ${LOG_REL}\n`);
  });
});

describe('last_commit names the commit the new one builds on', GIT_TIMEOUT, () => {
  it('--amend: the amended commit’s parent; amending the first commit: none', async () => {
    const repo = await repoFor({ committed: true });
    await commitFile(repo, 'packages/a.py');
    const parent = await summary(repo, 'HEAD^');
    await commitFile(repo, 'packages/a.py', 'changed\n', ['--amend', '--no-edit']);
    expect(parse(await repo.show(`HEAD:${STATE_REL}`)).repository.last_commit).toBe(parent);
    // git accepts an abbreviation of --amend.
    await commitFile(repo, 'packages/a.py', 'changed again\n', ['--amen', '--no-edit']);
    expect(parse(await repo.show(`HEAD:${STATE_REL}`)).repository.last_commit).toBe(parent);
    expect(await porcelain(repo)).toBe('');

    const fresh = await repoFor({});
    fresh.write('packages/first.py', 'x\n');
    await fresh.git(['add', '-A']);
    expect((await fresh.user(['commit', '-q', '-m', 'first'])).exitCode).toBe(0);
    await commitFile(fresh, 'packages/first.py', 'y\n', ['--amend', '--no-edit']);
    expect(parse(await fresh.show(`HEAD:${STATE_REL}`)).repository.last_commit).toBeNull();
  });

  it('the git process above the hook is found through the shells between, and its arguments read', () => {
    const tree = new Map<number, ProcessInfo>([
      [40, { parentPid: 30, argv: ['sh', '-e', '.husky/pre-commit'] }],
      [30, { parentPid: 20, argv: ['sh', '.husky/_/pre-commit'] }],
      [20, { parentPid: 10, argv: ['/usr/bin/git', '-c', 'x=y', 'commit', '-q', '--amend', '-m', 'm'] }],
      [10, { parentPid: 1, argv: ['bash'] }],
    ]);
    const read = (pid: number) => tree.get(pid) ?? null;
    expect(isAmendCommit(40, read)).toBe(true);
    tree.set(20, { parentPid: 10, argv: ['git', 'commit', '-m', '--amend is in the message'] });
    expect(isAmendCommit(40, read)).toBe(false);
    expect(isAmendCommit(99, read)).toBe(false);
    expect(argvAmends(['git', 'ci', '--am'])).toBe(true);
    expect(argvAmends(['git', 'commit', '--', '--amend'])).toBe(false);
    expect(argvAmends(['git', 'commit', '--amend', '--no-amend'])).toBe(false);
    // This very process is not run by `git commit --amend`.
    expect(isAmendCommit()).toBe(false);
  });
});

describe('only the state core’s own files are refused and ignored', GIT_TIMEOUT, () => {
  const STATE_CORE_FILES = [
    '.parac/memory/context/current_state.yaml.lock',
    '.parac/memory/context/current_state.yaml.tmp',
    '.parac/memory/context/current_state.yaml.paracle-lock/lock',
    '.parac/memory/context/current_state.yaml.paracle-queue/1700000000000-42-abc',
    '.parac/memory/context/.current_state.yaml.4242.0a1b2c3d.1.ff00aa.tmp',
    '.parac/.changelog.md.4242.0a1b2c3d.2.ff00aa.tmp',
    '.parac/memory/logs/.state_changes.jsonl.4242.0a1b2c3d.3.ff00aa.tmp',
  ];
  const OTHER_FILES = ['.parac/memory/data/locks/5eed1babaa8dd7808c4a75fb939a7490.lock', '.parac/tools/uv.lock', 'yarn.lock', 'src/.x.tmp'];

  it('a tracked lock file of another paracle subsystem commits; each state-core file is refused by name', async () => {
    const repo = await repoFor({ committed: true });
    repo.write(OTHER_FILES[0]!, '{"owner": "another subsystem"}\n');
    await repo.git(['add', '-A']);
    await commitFile(repo, 'packages/with-lock.py');
    expect((await repo.git(['ls-files', '--', OTHER_FILES[0]!])).stdout).toBe(`${OTHER_FILES[0]}\n`);
    expect(await porcelain(repo)).toBe('');

    for (const file of STATE_CORE_FILES) {
      repo.write(file, 'x');
      repo.write('packages/try.py', file);
      await repo.git(['add', '-f', '--', file, 'packages/try.py']);
      const head = await repo.head();
      const result = await repo.user(['commit', '-q', '-m', 'try']);
      expect(result.exitCode, file).not.toBe(0);
      expect(result.stderr, file).toContain(`refusing to commit the state lock or temp file ${JSON.stringify(file)}`);
      expect(await repo.head()).toBe(head);
      await repo.git(['rm', '-q', '-r', '--cached', '--', file]);
      rmSync(join(repo.dir, file), { recursive: true, force: true });
    }
  });

  it('install and init ignore exactly those files and the audit log; an older install’s block is updated in place', async () => {
    const dir = tempDir('paracle-ignore-exact-');
    made.push(dir);
    const { runGit } = await import('../src/git/run-git.js');
    await runGit(['init', '-q'], { cwd: dir, env: 'clean' });
    writeFileSync(join(dir, '.gitignore'), ignoreBlock());
    for (const file of [...STATE_CORE_FILES, LOG_REL, `app/${LOG_REL}`]) expect(await isIgnored(dir, file), file).toBe(true);
    for (const file of [...OTHER_FILES, STATE_REL, '.parac/changelog.md', '.parac/memory/logs/README.md']) {
      expect(await isIgnored(dir, file), file).toBe(false);
    }
    // `.parac/.gitignore` (paracle init) says the same relative to .parac/.
    writeFileSync(join(dir, '.gitignore'), '');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, '.parac'), { recursive: true });
    writeFileSync(join(dir, '.parac', '.gitignore'), paracIgnoreBlock());
    for (const file of [...STATE_CORE_FILES, LOG_REL]) expect(await isIgnored(dir, file), file).toBe(true);
    for (const file of [...OTHER_FILES, STATE_REL]) expect(await isIgnored(dir, file), file).toBe(false);

    const legacy =
      'node_modules/\n\n# >>> paracle-hooks: the state lock and temp files must never be committed\n**/.parac/**/*.paracle-lock\n**/.parac/**/*.lock\n# <<< paracle-hooks\nmine/\n';
    const upgraded = upsertIgnoreRules(legacy);
    expect(upgraded).toBe(`node_modules/\n\n${ignoreBlock()}mine/\n`);
    expect(upsertIgnoreRules(upgraded)).toBe(upgraded);
  });

  it('`paracle install` says so, and notes a log the project already tracks; `paracle init` writes .parac/.gitignore', async () => {
    const repo = await repoFor({ installed: false });
    repo.write(LOG_REL, '');
    await repo.git(['add', '-f', '--', LOG_REL]);
    const install = await repo.paracle(['install']);
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain(
      'paracle: .gitignore: added rules so the state lock, temp files and the local audit log are never committed\n',
    );
    expect(install.stdout).toContain(
      `paracle: note: ${LOG_REL} is tracked by git; paracle now keeps the audit log as a local record. To stop tracking it: git rm --cached -- ${LOG_REL}, then commit`,
    );

    const dir = tempDir('paracle-init-ignore-');
    made.push(dir);
    const project = testRepo(dir);
    await project.git(['init', '-q']);
    const init = await runNode([CLI, 'init', '--name', 'demo'], dir);
    expect(init.exitCode, init.stderr).toBe(0);
    expect(project.read('.parac/.gitignore')).toBe(paracIgnoreBlock());
    await project.git(['add', '-A']);
    expect((await project.git(['diff', '--cached', '--name-only'])).stdout.split('\n').filter(Boolean).sort()).toEqual(
      ['.parac/.gitignore', STATE_REL].sort(),
    );
  });
});

describe('a merge keeps one commit’s recent_changes', GIT_TIMEOUT, () => {
  const state = (recent: unknown, extra = '') => `revision: 3\nrecent_changes: ${JSON.stringify(recent)}\nblockers: []\n${extra}`;
  const packages = [{ area: 'packages', count: 1, files: ['packages/a.py'] }];
  const docs = [{ area: 'docs', count: 2, files: ['docs/a.md', 'docs/b.md'] }];
  const tests = [{ area: 'tests', count: 1, files: ['tests/t.py'] }];

  it('theirs when they changed it (the branch merged in, the commit replayed), else ours; never a union', async () => {
    const both = await mergeStateTexts({ base: state(tests), current: state(packages), other: state(docs, 'note: x\n') });
    expect(both.conflicts).toEqual([]);
    expect(parse(both.text).recent_changes).toEqual(docs);
    const oursOnly = await mergeStateTexts({ base: state(tests), current: state(packages), other: state(tests, 'note: x\n') });
    expect(parse(oursOnly.text).recent_changes).toEqual(packages);
    // Same area on both sides with different counts: no conflict markers, one side's list.
    const same = await mergeStateTexts({
      base: state(tests),
      current: state([{ area: 'docs', count: 1, files: ['docs/a.md'] }]),
      other: state(docs),
    });
    expect(same.conflicts).toEqual([]);
    expect(parse(same.text).recent_changes).toEqual(docs);
  });

  it('through a real rebase: each replayed commit keeps its own list', async () => {
    const repo = await repoFor({ committed: true });
    await repo.git(['checkout', '-q', '-b', 'topic']);
    await commitFile(repo, 'docs/topic.md');
    await repo.git(['checkout', '-q', 'main']);
    await commitFile(repo, 'packages/main.py');
    await repo.git(['checkout', '-q', 'topic']);
    const rebase = await repo.user(['rebase', 'main']);
    expect(rebase.exitCode, rebase.stdout + rebase.stderr).toBe(0);
    expect(await porcelain(repo)).toBe('');
    expect(parse(await repo.show(`HEAD:${STATE_REL}`)).recent_changes).toEqual([{ area: 'docs', count: 1, files: ['docs/topic.md'] }]);
  });
});

describe('the revision high-water mark', GIT_TIMEOUT, () => {
  it('after `git revert` of a state commit, every next save writes above what this clone wrote', async () => {
    const repo = await repoFor({ committed: true });
    await commitFile(repo, 'packages/a.py');
    await commitFile(repo, 'docs/b.md');
    const top = parse(await repo.show(`HEAD:${STATE_REL}`)).revision as number;
    const revert = await repo.user(['revert', '--no-edit', 'HEAD']);
    expect(revert.exitCode, revert.stderr).toBe(0);
    expect(await porcelain(repo)).toBe('');
    expect(parse(repo.read(STATE_REL)).revision).toBe(top - 1);
    expect(await readRevisionHighWater(repo.paracRoot)).toBe(top);

    // The preview says what the save writes.
    const dry = await repo.paracle(['session', 'end', '--complete', 'x', '--dry-run']);
    expect(dry.stdout).toContain(`\n-revision: ${top - 1}\n+revision: ${top + 1}\n`);
    const end = await repo.paracle(['session', 'end', '--complete', 'x']);
    expect(end.stdout).toContain(`rev ${top - 1} → ${top + 1} (`);
    await repo.git(['checkout', '--', STATE_REL]);

    // sync: the same, and not mistaken for a merge with someone else's save.
    const sync = await repo.paracle(['sync', '--no-roadmap', '--json']);
    expect(JSON.parse(sync.stdout)).toMatchObject({ revision: top + 2, previous_revision: top - 1, reconciled: false });
    await repo.git(['checkout', '--', STATE_REL]);

    // The library, and a commit through the hook.
    const saved = await updateState(repo.paracRoot, (s) => s.setIn(['note'], 'library'));
    expect(saved.revision).toBe(top + 3);
    await repo.git(['checkout', '--', STATE_REL]);
    await commitFile(repo, 'packages/c.py');
    expect(parse(await repo.show(`HEAD:${STATE_REL}`)).revision).toBe(top + 4);
    // One number per save; the history trail (issue 14) logs what git changed (the revert, the checkouts)
    // as an `external_edit` at the number of the save that found it, so those are left out here.
    const entries = logLines(repo).map((line) => JSON.parse(line) as { revision: number; change_type: string });
    const revisions = entries.filter((e) => e.change_type !== 'external_edit').map((e) => e.revision);
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(entries.filter((e) => e.change_type === 'external_edit').length).toBeGreaterThan(0);
  });

  it('the merge driver notes the revision it wrote in the local log; a tracked log is left to git', async () => {
    const repo = await repoFor({ committed: true });
    await repo.git(['checkout', '-q', '-b', 'side']);
    await commitFile(repo, 'packages/side.py');
    await repo.git(['checkout', '-q', 'main']);
    await commitFile(repo, 'docs/main.md');
    expect((await repo.user(['merge', '--no-edit', 'side'])).exitCode).toBe(0);
    const merged = parse(await repo.show(`HEAD:${STATE_REL}`)).revision;
    expect(JSON.parse(logLines(repo).at(-1)!)).toMatchObject({ change_type: 'merge', hook: 'merge-driver', revision: merged });
    expect(await porcelain(repo)).toBe('');
  });

  it('read from the log’s tail: the highest readable revision, a cut first line skipped', async () => {
    const line = (revision: unknown) => JSON.stringify({ change_type: 'x', description: '', revision });
    expect(highestRevision([line(3), line(9), line(4), 'garbage', line('7'), ''].join('\n'), false)).toBe(9);
    expect(highestRevision(`${line(99).slice(5)}\n${line(2)}\n`, true)).toBe(2);
    expect(highestRevision('', false)).toBe(-1);
    const dir = tempDir('paracle-high-water-');
    made.push(dir);
    expect(await readRevisionHighWater(join(dir, '.parac'))).toBe(-1);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, '.parac', 'memory', 'logs'), { recursive: true });
    const many = Array.from({ length: 2000 }, (_, i) => line(i)).join('\n');
    writeFileSync(join(dir, '.parac', 'memory', 'logs', 'state_changes.jsonl'), `${many}\n`);
    expect(await readRevisionHighWater(join(dir, '.parac'), 1024)).toBe(1999);
  });
});
