import { existsSync, readFileSync, readdirSync, renameSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { updateState } from '../src/store/store.js';
import { parseStateText } from '../src/document/document.js';
import { INVALID_HISTORY_PREFIX, historyFiles, tempDir } from './support/fixtures.js';
import { LOG_REL, STATE_REL, cloneTestRepo, makeTestRepo, type TestRepo } from './support/git-repo.js';

/**
 * The merge driver end to end: registered by the real `paracle install`, run by a real `git merge`
 * (and rebase, and `git checkout -m`) on the real state file and its real history.
 */

/** Commits made to set a scene, without the hooks (they are tested with the hooks on below). */
const NO_HOOKS = { PARACLE: '0' };
const DRIVER_CONFIG = 'merge.paracle-state.driver';

type Data = Record<string, any>;

async function commitAll(repo: TestRepo, message: string, env: Record<string, string | undefined> = NO_HOOKS): Promise<void> {
  await repo.git(['add', '-A']);
  const result = await repo.user(['commit', '-q', '-m', message], { env });
  expect(result.exitCode, result.stderr).toBe(0);
}

/** A commit made through the hooks (in a project that tracks its audit log, they commit their own entries too). */
async function commitThroughHooks(repo: TestRepo, message: string): Promise<void> {
  await commitAll(repo, message, {});
  expect(await porcelain(repo)).toBe('');
}

async function stateAt(repo: TestRepo, rev: string): Promise<{ text: string; data: Data; revision: number }> {
  const text = await repo.show(`${rev}:${STATE_REL}`);
  if (text === null) throw new Error(`no state at ${rev}`);
  const parsed = parseStateText(text, `${rev}:${STATE_REL}`);
  return { text, data: parsed.data as Data, revision: parsed.revision };
}

async function logAt(repo: TestRepo, rev: string): Promise<string[]> {
  return ((await repo.show(`${rev}:${LOG_REL}`)) ?? '').split('\n').filter(Boolean);
}

function later(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/** Untracked or modified files after a merge: the driver must leave nothing but the merge result. */
async function porcelain(repo: TestRepo): Promise<string> {
  return (await repo.git(['status', '--porcelain', '--untracked-files=all'])).stdout;
}

describe('paracle install registers the merge driver', () => {
  it('git config runs `paracle merge-driver` from node_modules; .gitattributes names the state file and the union-merged log', async () => {
    const repo = await makeTestRepo();
    const driver = (await repo.git(['config', '--get', DRIVER_CONFIG])).stdout.trim();
    // Relative to the worktree top, where git runs the driver: the repository can be moved or copied.
    expect(driver).toContain('paracle_bin=node_modules/paracle-hooks/dist/cli/bin.js;');
    expect(driver).toContain('node "$paracle_bin" merge-driver --marker-size %L %O %A %B %P');
    expect(driver).toContain('git merge-file'); // the fallback when the toolkit is gone
    const attributes = (
      await repo.git(['check-attr', 'merge', '--', STATE_REL, LOG_REL, '.parac/changelog.md', '.parac/roadmap/roadmap.yaml'])
    ).stdout;
    expect(attributes.split('\n').filter(Boolean)).toEqual([
      `${STATE_REL}: merge: paracle-state`,
      `${LOG_REL}: merge: union`,
      '.parac/changelog.md: merge: union',
      '.parac/roadmap/roadmap.yaml: merge: unspecified',
    ]);
  });

  it('keeps what .gitattributes had, adds its lines once, and a second run changes nothing', async () => {
    const repo = await makeTestRepo({ installed: false });
    repo.write('.gitattributes', '*.png binary\n*.sh text eol=lf');
    const first = await repo.paracle(['install']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toContain(
      'paracle: git config merge.paracle-state.driver: current_state.yaml now merges with `paracle merge-driver`\n',
    );
    expect(first.stdout).toContain(
      'paracle: .gitattributes: current_state.yaml merges with merge=paracle-state, state_changes.jsonl and changelog.md with merge=union (commit it)\n',
    );
    const attributes = repo.read('.gitattributes');
    expect(attributes.startsWith('*.png binary\n*.sh text eol=lf\n\n# >>> paracle-hooks')).toBe(true);
    const config = (await repo.git(['config', '--get-regexp', '^merge\\.'])).stdout;

    const second = await repo.paracle(['install']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).not.toContain('merge');
    expect(repo.read('.gitattributes')).toBe(attributes);
    expect((await repo.git(['config', '--get-regexp', '^merge\\.'])).stdout).toBe(config);
    expect(attributes.split('merge=paracle-state')).toHaveLength(2);
  });
});

describe('merging real history: upstream changes on one branch, a local edit on the other', () => {
  const valid = historyFiles().filter((f) => !basename(f).startsWith(INVALID_HISTORY_PREFIX));
  const pairOf = (older: string) => {
    const index = valid.findIndex((f) => basename(f).startsWith(older));
    return [valid[index]!, valid[index + 1]!] as const;
  };
  // Consecutive valid versions with different kinds of change: scalars, new keys, revision appearing, long folded text.
  const pairs = ['02-', '03-', '09-', '15-', '17-'].map(pairOf);

  it.each(pairs.map(([older, newer]) => [basename(older), basename(newer), older, newer]))(
    '%s → %s: no conflict in either direction, every upstream change and the local edit present, revision above both',
    async (_older, _newer, olderFile, newerFile) => {
      const older = readFileSync(olderFile, 'utf8');
      const newer = readFileSync(newerFile, 'utf8');
      const repo = await makeTestRepo();
      repo.write(STATE_REL, older);
      await commitAll(repo, 'base: the older version');
      await repo.git(['checkout', '-q', '-b', 'upstream']);
      repo.write(STATE_REL, newer);
      await commitAll(repo, 'upstream: the newer version');
      await repo.git(['checkout', '-q', '-b', 'local', 'main']);
      // A local edit through the library, as a person or tool would make it: a blocker and a new key.
      await updateState(repo.paracRoot, (state) => {
        state.addBlocker('waiting for the security review', 'high');
        state.setIn(['local_note'], 'kept through the merge');
      });
      await commitAll(repo, 'local: a blocker and a note');

      const base = await stateAt(repo, 'main');
      const upstream = await stateAt(repo, 'upstream');
      const local = await stateAt(repo, 'local');
      expect(upstream.data.blockers ?? []).toEqual(base.data.blockers ?? []);
      const localBlocker = (local.data.blockers as Data[]).at(-1)!;
      const expected: Data = {
        ...upstream.data,
        local_note: 'kept through the merge',
        blockers: [...(upstream.data.blockers ?? []), localBlocker],
        revision: Math.max(upstream.revision, local.revision) + 1,
        snapshot_date: later(upstream.data.snapshot_date, local.data.snapshot_date),
      };

      // On the local branch, merge upstream in; on a copy of upstream, merge the local branch in.
      const onLocal = await repo.user(['merge', '--no-edit', 'upstream'], { env: NO_HOOKS });
      expect(onLocal.exitCode, onLocal.stdout + onLocal.stderr).toBe(0);
      expect(onLocal.stderr).toContain(
        `paracle: merged ${STATE_REL} (revision ${local.revision} and ${upstream.revision} → ${expected.revision})`,
      );
      expect(await porcelain(repo)).toBe('');
      await repo.git(['checkout', '-q', '-b', 'upstream-merge', 'upstream']);
      const onUpstream = await repo.user(['merge', '--no-edit', 'local'], { env: NO_HOOKS });
      expect(onUpstream.exitCode, onUpstream.stdout + onUpstream.stderr).toBe(0);
      expect(await porcelain(repo)).toBe('');

      const a = await stateAt(repo, 'local');
      const b = await stateAt(repo, 'upstream-merge');
      expect(a.data).toEqual(expected);
      expect(b.data).toEqual(expected);
      expect(a.revision).toBeGreaterThan(Math.max(upstream.revision, local.revision));
      // The side that changed more (upstream) keeps its text: every line of it is there, whichever branch merged.
      expect(a.text).toBe(b.text);
      const mergedLines = new Set(a.text.split('\n'));
      const localKeys = /^(revision|snapshot_date|blockers):/;
      expect(newer.split('\n').filter((line) => !mergedLines.has(line) && !localKeys.test(line))).toEqual([]);
      expect(a.text).not.toMatch(/^<{7}|^>{7}/m);
    },
  );
});

describe('a true conflict', () => {
  it('both branches set current_phase.progress: git reports the conflict, markers around that key only, the rest merged', async () => {
    const repo = await makeTestRepo();
    await commitAll(repo, 'base');
    await repo.git(['checkout', '-q', '-b', 'other']);
    await updateState(repo.paracRoot, (s) => {
      s.updateProgress(60);
      s.addBlocker('theirs: waiting on legal', 'low');
    });
    await commitAll(repo, 'other: 60%');
    await repo.git(['checkout', '-q', 'main']);
    await updateState(repo.paracRoot, (s) => {
      s.updateProgress(40);
      s.setIn(['next_actions'], [...(s.nextActions as string[]), 'ours: write the release notes']);
    });
    await commitAll(repo, 'main: 40%');
    const head = await repo.head();
    const [ours, theirs] = [await stateAt(repo, 'main'), await stateAt(repo, 'other')];

    const result = await repo.user(['merge', '--no-edit', 'other'], { env: NO_HOOKS });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(`CONFLICT (content): Merge conflict in ${STATE_REL}`);
    expect(result.stderr).toContain('both sides changed current_phase.progress differently; everything else is merged');
    expect(await repo.head()).toBe(head);
    const stages = (await repo.git(['ls-files', '-u', '--', STATE_REL])).stdout.split('\n').filter(Boolean);
    expect(stages.map((line) => line.split('\t')[0]!.split(' ')[2])).toEqual(['1', '2', '3']);
    // The audit log is a local record (ignored): not part of the merge.
    expect((await repo.git(['ls-files', '-u', '--', LOG_REL])).stdout).toBe('');
    expect(await porcelain(repo)).toBe(`UU ${STATE_REL}\n`);

    const text = repo.read(STATE_REL);
    const lines = text.split('\n');
    const start = lines.findIndex((line) => line.startsWith('<<<<<<<'));
    expect(lines.slice(start, start + 5)).toEqual([
      '<<<<<<< ours (current_phase.progress)',
      '  progress: 40%',
      '=======',
      '  progress: 60%',
      '>>>>>>> theirs (current_phase.progress)',
    ]);
    expect(lines.filter((line) => /^(<{7}|={7}|>{7})/.test(line))).toHaveLength(3);

    // Taking ours (as a person would) gives the clean merge of everything else.
    const resolved = lines.filter((_, i) => i < start || i === start + 1 || i > start + 4).join('\n');
    const merged = parseStateText(resolved, 'resolved').data as Data;
    expect(merged.current_phase.progress).toBe('40%');
    expect(merged.revision).toBe(Math.max(ours.revision, theirs.revision) + 1);
    expect(merged.next_actions.at(-1)).toBe('ours: write the release notes');
    expect((merged.blockers as Data[]).map((b) => b.description)).toEqual(['theirs: waiting on legal']);

    // `paracle validate` and `paracle verify` refuse the file until it is resolved.
    const validate = await repo.paracle(['validate']);
    expect(validate.exitCode).toBe(1);
    expect(validate.stderr).toContain(`${STATE_REL}:${start + 1}:1: git conflict marker "<<<<<<<"`);
    const verifyConflicted = await repo.paracle(['verify', '--json']);
    expect(verifyConflicted.exitCode).toBe(1);
    expect(JSON.parse(verifyConflicted.stdout).problems).toEqual([
      {
        file: STATE_REL,
        line: start + 1,
        message:
          'git conflict marker "<<<<<<<": both branches changed current_phase.progress differently (the merge driver merged everything else): ' +
          'keep one side between the markers, delete the markers, then `git add` the file',
      },
    ]);
    repo.write(STATE_REL, `${resolved}`);
    await repo.git(['add', '--', STATE_REL]);
    const commit = await repo.user(['commit', '--no-edit', '-q'], { env: NO_HOOKS });
    expect(commit.exitCode, commit.stderr).toBe(0);
    const verify = await repo.paracle(['verify', '--base', 'other']);
    expect(verify.exitCode, verify.stderr).toBe(0);
  });
});

describe('comments each branch added', () => {
  /** The state with `comment` on the line above the top-level `key`. */
  function addCommentAbove(repo: TestRepo, key: string, comment: string): void {
    const text = repo.read(STATE_REL);
    const at = text.search(new RegExp(`^${key}:`, 'm'));
    repo.write(STATE_REL, `${text.slice(0, at)}${comment}\n${text.slice(at)}`);
  }
  const lineBefore = (text: string, line: string) => {
    const lines = text.split('\n');
    return lines[lines.indexOf(line) - 1];
  };

  it('one above blockers, one above risks, each with a commit through the hooks: the merge keeps both', async () => {
    const repo = await makeTestRepo();
    await commitAll(repo, 'base');
    await repo.git(['checkout', '-q', '-b', 'b']);
    addCommentAbove(repo, 'risks', '# Risks are reviewed every Monday');
    repo.write('packages/b.py', 'b\n');
    await commitThroughHooks(repo, 'b: a comment above risks');
    repo.write('docs/b.md', 'b\n');
    await commitThroughHooks(repo, 'b: docs');
    await repo.git(['checkout', '-q', 'main']);
    addCommentAbove(repo, 'blockers', '# Blockers: ask legal before adding one');
    repo.write('packages/a.py', 'a\n');
    await commitThroughHooks(repo, 'main: a comment above blockers');
    const [main, b] = [await stateAt(repo, 'main'), await stateAt(repo, 'b')];

    const merge = await repo.user(['merge', '--no-edit', 'b']);
    expect(merge.exitCode, merge.stdout + merge.stderr).toBe(0);
    const merged = await stateAt(repo, 'HEAD');
    expect(lineBefore(merged.text, 'blockers: []')).toBe('# Blockers: ask legal before adding one');
    expect(lineBefore(merged.text, 'risks:')).toBe('# Risks are reviewed every Monday');
    expect(merged.revision).toBe(Math.max(main.revision, b.revision) + 1);
    expect(merged.data.recent_changes).toEqual(b.data.recent_changes);
    expect(await porcelain(repo)).toBe('');
  });

  it('different comments above the same key: git reports a conflict around that entry, the rest merged', async () => {
    const repo = await makeTestRepo();
    await commitAll(repo, 'base');
    await repo.git(['checkout', '-q', '-b', 'b']);
    addCommentAbove(repo, 'blockers', '# theirs: nothing blocks us');
    await updateState(repo.paracRoot, (s) => s.updateProgress(20));
    await commitAll(repo, 'b');
    await repo.git(['checkout', '-q', 'main']);
    addCommentAbove(repo, 'blockers', '# ours: ask legal first');
    await commitAll(repo, 'main');

    const merge = await repo.user(['merge', '--no-edit', 'b'], { env: NO_HOOKS });
    expect(merge.exitCode).toBe(1);
    expect(merge.stderr).toContain('both sides changed comments of blockers differently; everything else is merged');
    const lines = repo.read(STATE_REL).split('\n');
    const start = lines.indexOf('<<<<<<< ours (comments of blockers)');
    expect(lines.slice(start, start + 7)).toEqual([
      '<<<<<<< ours (comments of blockers)',
      '# ours: ask legal first',
      'blockers: []',
      '=======',
      '# theirs: nothing blocks us',
      'blockers: []',
      '>>>>>>> theirs (comments of blockers)',
    ]);
    const resolved = [...lines.slice(0, start), ...lines.slice(start + 4, start + 6), ...lines.slice(start + 7)].join('\n');
    expect((parseStateText(resolved, 'resolved').data as Data).current_phase.progress).toBe('20%');
  });
});

describe('branches that both committed through the hooks', () => {
  it('merge cleanly (revision, snapshot, recent_changes, repository); a tracked audit log keeps every line; verify agrees', async () => {
    const repo = await makeTestRepo();
    // This project chose to track its audit log (by default a local record): it merges with merge=union.
    repo.write(LOG_REL, '');
    await repo.git(['add', '-f', '--', LOG_REL]);
    await commitAll(repo, 'base');
    const changelogBefore = repo.read('.parac/changelog.md');
    await repo.git(['checkout', '-q', '-b', 'feature']);
    repo.write('packages/feature.py', 'feature\n');
    await commitThroughHooks(repo, 'feature work');
    repo.write('docs/feature.md', 'feature docs\n');
    await commitThroughHooks(repo, 'feature docs');
    await repo.git(['checkout', '-q', 'main']);
    repo.write('packages/main.py', 'main\n');
    await commitThroughHooks(repo, 'main work');

    const [main, feature] = [await stateAt(repo, 'main'), await stateAt(repo, 'feature')];
    const [baseLog, mainLog, featureLog] = [await logAt(repo, 'main~1'), await logAt(repo, 'main'), await logAt(repo, 'feature')];
    expect(main.data.repository.last_commit).not.toBe(feature.data.repository.last_commit);
    expect(main.revision).not.toBe(feature.revision);

    const result = await repo.user(['merge', '--no-edit', 'feature']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const merged = await stateAt(repo, 'HEAD');
    expect(merged.revision).toBe(Math.max(main.revision, feature.revision) + 1);
    // One commit's recent_changes (the branch merged in), never a union of both sides' lists.
    expect(merged.data.recent_changes).toEqual(feature.data.recent_changes);
    // The hooks' snapshot of the checkout: ours at the merge; post-merge writes nothing.
    expect(merged.data.repository).toEqual(main.data.repository);
    expect(repo.read(STATE_REL)).toBe(merged.text);
    expect(await porcelain(repo)).toBe('');

    // Both branches added today's changelog block at the same spot: merge=union keeps both sides' lines.
    const changelog = repo.read('.parac/changelog.md');
    expect(changelog).not.toMatch(/^(<{7}|={7}|>{7})/m);
    expect(changelog.length).toBeGreaterThan(changelogBefore.length);
    expect((await repo.git(['show', 'feature:.parac/changelog.md'])).stdout.split('\n').every((line) => changelog.includes(line))).toBe(
      true,
    );

    // Union merge: the shared lines first, then each side's own, each once.
    const log = await logAt(repo, 'HEAD');
    expect(log.slice(0, baseLog.length)).toEqual(baseLog);
    expect(new Set(log)).toEqual(new Set([...mainLog, ...featureLog]));
    expect(log).toHaveLength(new Set([...mainLog, ...featureLog]).size);

    for (const base of ['HEAD~2', 'feature', 'HEAD~1']) {
      const verify = await repo.paracle(['verify', '--base', base]);
      expect(verify.exitCode, `${base}: ${verify.stderr}`).toBe(0);
    }
  });
});

describe('the driver in other git operations', () => {
  it('a rebase replays the state commits through the driver and leaves nothing behind', async () => {
    const repo = await makeTestRepo();
    await commitAll(repo, 'base');
    await repo.git(['checkout', '-q', '-b', 'topic']);
    await updateState(repo.paracRoot, (s) => void s.addBlocker('topic blocker', 'medium'));
    await commitAll(repo, 'topic 1');
    await updateState(repo.paracRoot, (s) => s.setIn(['topic_note'], 'second topic commit'));
    await commitAll(repo, 'topic 2');
    await repo.git(['checkout', '-q', 'main']);
    await updateState(repo.paracRoot, (s) => s.updateProgress(30));
    await commitAll(repo, 'main moved on');
    const mainRevision = (await stateAt(repo, 'main')).revision;

    await repo.git(['checkout', '-q', 'topic']);
    const rebase = await repo.user(['rebase', 'main'], { env: NO_HOOKS });
    expect(rebase.exitCode, rebase.stdout + rebase.stderr).toBe(0);
    expect(await porcelain(repo)).toBe('');
    expect(readdirSync(repo.dir).filter((name) => name.startsWith('.merge_file'))).toEqual([]);
    const rebased = await stateAt(repo, 'HEAD');
    expect(rebased.data.current_phase.progress).toBe('30%');
    expect(rebased.data.topic_note).toBe('second topic commit');
    expect((rebased.data.blockers as Data[]).map((b) => b.description)).toEqual(['topic blocker']);
    expect(rebased.revision).toBeGreaterThan(mainRevision);
    expect((await stateAt(repo, 'HEAD~1')).revision).toBeGreaterThan(mainRevision);
  });

  it('from a linked worktree, with package.json in a subfolder', async () => {
    const repo = await makeTestRepo({ installed: false });
    mkdirSync(join(repo.dir, 'app'));
    for (const entry of ['package.json', 'node_modules', '.parac']) renameSync(join(repo.dir, entry), join(repo.dir, 'app', entry));
    repo.write('.gitignore', 'node_modules/\napp/node_modules/\n');
    const install = await repo.paracle(['install'], { cwd: join(repo.dir, 'app') });
    expect(install.exitCode, install.stderr).toBe(0);
    const state = `app/${STATE_REL}`;
    expect((await repo.git(['check-attr', 'merge', '--', state, `app/${LOG_REL}`])).stdout).toBe(
      `${state}: merge: paracle-state\napp/${LOG_REL}: merge: union\n`,
    );
    await commitAll(repo, 'base');
    const worktree = join(tempDir('paracle-worktree-'), 'linked');
    await repo.git(['worktree', 'add', '-q', '-b', 'wt', worktree, 'main']);
    expect(existsSync(join(worktree, 'app', 'node_modules'))).toBe(false);

    await updateState(join(repo.dir, 'app', '.parac'), (s) => s.updateProgress(10));
    await commitAll(repo, 'main: progress');
    await updateState(join(worktree, 'app', '.parac'), (s) => s.setIn(['from_worktree'], true));
    await repo.git(['add', '-A'], { cwd: worktree });
    expect((await repo.user(['commit', '-q', '-m', 'worktree edit'], { cwd: worktree, env: NO_HOOKS })).exitCode).toBe(0);

    const merge = await repo.user(['merge', '--no-edit', 'main'], { cwd: worktree, env: NO_HOOKS });
    expect(merge.exitCode, merge.stdout + merge.stderr).toBe(0);
    expect(merge.stderr).toContain(`paracle: merged ${state}`);
    const merged = parseStateText((await repo.show(`wt:${state}`))!, 'merged').data as Data;
    expect(merged.current_phase.progress).toBe('10%');
    expect(merged.from_worktree).toBe(true);
  });
});

describe('a clone where the driver is not configured', () => {
  /** main and `other` both changed the state since the clone's base; the clone never ran `paracle install`. */
  async function divergedClone(): Promise<{ clone: TestRepo; origin: TestRepo }> {
    const origin = await makeTestRepo();
    await commitAll(origin, 'base');
    const clone = await cloneTestRepo(origin);
    // `git config --get` exits 1 for a key that is not set (and other codes for real failures).
    expect(await clone.user(['config', '--get', DRIVER_CONFIG])).toEqual({ exitCode: 1, stdout: '', stderr: '' });
    await clone.git(['checkout', '-q', '-b', 'other']);
    // Two saves on one side, one on the other: the `revision:` lines differ, so git's line merge conflicts there.
    await updateState(clone.paracRoot, (s) => void s.addBlocker('from other', 'low'));
    await updateState(clone.paracRoot, (s) => s.setIn(['other_note'], 'second save'));
    await commitAll(clone, 'other');
    await clone.git(['checkout', '-q', 'main']);
    await updateState(clone.paracRoot, (s) => s.updateProgress(25));
    await commitAll(clone, 'main');
    return { clone, origin };
  }

  it('git falls back to a text merge; validate and verify catch the markers and say how to recover; install + checkout -m recovers', async () => {
    const { clone } = await divergedClone();
    const merge = await clone.user(['merge', '--no-edit', 'other']);
    expect(merge.exitCode).toBe(1);
    expect(merge.stdout).toContain(`CONFLICT (content): Merge conflict in ${STATE_REL}`);
    const text = clone.read(STATE_REL);
    const markerLine = text.split('\n').findIndex((line) => line.startsWith('<<<<<<< HEAD')) + 1;
    expect(markerLine).toBeGreaterThan(0);
    // The log merged line by line (merge=union is built into git), no conflict there.
    expect((await clone.git(['ls-files', '-u', '--', LOG_REL])).stdout).toBe('');

    const validate = await clone.paracle(['validate']);
    expect(validate.exitCode).toBe(1);
    expect(validate.stderr).toContain(`${STATE_REL}:${markerLine}:1: git conflict marker "<<<<<<<": finish the merge`);

    const verify = await clone.paracle(['verify', '--json']);
    expect(verify.exitCode).toBe(1);
    const report = JSON.parse(verify.stdout) as { ok: boolean; problems: Array<{ file: string; line?: number; message: string }> };
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ file: STATE_REL, line: markerLine });
    expect(report.problems[0]!.message).toContain(
      'run `paracle install`, then `git checkout -m -- .parac/memory/context/current_state.yaml`',
    );

    // The way out the message gives: install registers the driver; checkout -m redoes the file's merge with it.
    const install = await clone.paracle(['install']);
    expect(install.exitCode, install.stderr).toBe(0);
    const redo = await clone.user(['checkout', '-m', '--', STATE_REL]);
    expect(redo.exitCode, redo.stderr).toBe(0);
    const redone = parseStateText(clone.read(STATE_REL), 'redone').data as Data;
    expect(redone.current_phase.progress).toBe('25%');
    expect((redone.blockers as Data[]).map((b) => b.description)).toEqual(['from other']);
    expect(redone.revision).toBe(Math.max((await stateAt(clone, 'main')).revision, (await stateAt(clone, 'other')).revision) + 1);
    await clone.git(['add', '--', STATE_REL]);
    const commit = await clone.user(['commit', '-q', '--no-edit']);
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect((await clone.paracle(['verify', '--base', 'other'])).exitCode).toBe(0);
  });

  it('the pre-commit hook refuses to commit the markers and says how to recover', async () => {
    const { clone } = await divergedClone();
    // Hooks installed, merge driver not (as after an install by a version that had none).
    expect((await clone.paracle(['install'])).exitCode).toBe(0);
    await clone.git(['config', '--remove-section', 'merge.paracle-state']);
    const merge = await clone.user(['merge', '--no-edit', 'other']);
    expect(merge.exitCode).toBe(1);
    await clone.git(['add', '-A']);
    const head = await clone.head();
    const commit = await clone.user(['commit', '-q', '--no-edit']);
    expect(commit.exitCode, commit.stderr).not.toBe(0);
    expect(commit.stderr).toMatch(/current_state\.yaml:\d+:1: git conflict marker "<<<<<<<"/);
    expect(commit.stderr).toContain('git add');
    expect(await clone.head()).toBe(head);
  });
});
