import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { LOG_REL, STATE_REL, makeTestRepo, sharedScene, type TestRepo } from './support/git-repo.js';

/** Many real git commands with hooks per test: generous on a shared, loaded machine. */
const GIT_TIMEOUT = { timeout: 240_000 };

/**
 * End to end: real `git merge` / `git pull`, the installed post-merge hook, the real fixture state.
 * post-merge writes nothing (a hook that cannot put its change into a commit must not leave the
 * tree modified): the merge driver already committed a revision above both sides; post-merge
 * checks the result and warns with the command that repairs it.
 */

const NO_HOOKS = { PARACLE: '0' };

function revisionOf(text: string | null): number {
  if (text === null) throw new Error('missing state');
  return parseStateText(text, 'state').revision;
}

function logText(repo: TestRepo): string {
  const file = join(repo.dir, LOG_REL);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** The local audit log gained exactly the merge driver's note of the revision it wrote; nothing from post-merge. */
function driverEntryOnly(before: string, after: string): Record<string, unknown> {
  expect(after.startsWith(before)).toBe(true);
  const added = after.slice(before.length).split('\n').filter(Boolean);
  expect(added).toHaveLength(1);
  const entry = JSON.parse(added[0]!) as Record<string, unknown>;
  expect(entry).toMatchObject({ change_type: 'merge', hook: 'merge-driver' });
  return entry;
}

async function porcelain(repo: TestRepo): Promise<string> {
  return (await repo.git(['status', '--porcelain', '--untracked-files=all'])).stdout;
}

function paracleLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('paracle:'));
}

async function commitFile(repo: TestRepo, file: string, content: string, env: Record<string, string> = {}): Promise<void> {
  repo.write(file, content);
  await repo.git(['add', '--', file]);
  const result = await repo.user(['commit', '-q', '-m', `add ${file}`], { env });
  expect(result.exitCode, result.stderr).toBe(0);
}

/** main at the first commit; `side` branched from it with two commits in watched areas (two revisions). */
const repoWithSide = sharedScene(async () => {
  const repo = await makeTestRepo({ committed: true });
  await repo.git(['checkout', '-q', '-b', 'side']);
  await commitFile(repo, 'packages/side.py', 'side\n');
  await commitFile(repo, 'docs/side.md', 'side\n');
  await repo.git(['checkout', '-q', 'main']);
  return repo;
});

describe('post-merge writes nothing', GIT_TIMEOUT, () => {
  it('a merge of two branches that both changed the state: the driver’s revision is in the merge commit, the tree stays clean', async () => {
    const repo = await repoWithSide();
    await commitFile(repo, 'packages/main.py', 'main\n');
    const ours = revisionOf(await repo.show(`HEAD:${STATE_REL}`));
    const theirs = revisionOf(await repo.show(`side:${STATE_REL}`));
    const log = logText(repo);

    const result = await repo.user(['merge', '--no-ff', '--no-edit', 'side']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(paracleLines(result.stderr)).toEqual([
      `paracle: merged ${STATE_REL} (revision ${ours} and ${theirs} → ${Math.max(ours, theirs) + 1})`,
    ]);
    expect(revisionOf(await repo.show(`HEAD:${STATE_REL}`))).toBe(Math.max(ours, theirs) + 1);
    expect(repo.read(STATE_REL)).toBe(await repo.show(`HEAD:${STATE_REL}`));
    expect(await porcelain(repo)).toBe('');
    expect(driverEntryOnly(log, logText(repo))).toMatchObject({ revision: Math.max(ours, theirs) + 1 });
  });

  it('fast-forward (what `git pull` does when behind), twice: nothing written, nothing to stop the next one', async () => {
    const repo = await repoWithSide();
    const log = logText(repo);
    const first = await repo.user(['merge', '--ff-only', 'side~1']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(paracleLines(first.stderr)).toEqual([]);
    expect(await porcelain(repo)).toBe('');
    const second = await repo.user(['merge', '--ff-only', 'side']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(await porcelain(repo)).toBe('');
    expect(repo.read(STATE_REL)).toBe(await repo.show(`side:${STATE_REL}`));
    expect(logText(repo)).toBe(log);
  });

  it('git pull from another clone runs the same hook: the state as merged, the tree clean', async () => {
    const upstream = await repoWithSide();
    const clone = await makeTestRepo({ committed: true });
    await clone.git(['remote', 'add', 'origin', upstream.dir]);
    await commitFile(clone, 'packages/clone.py', 'clone\n');
    const result = await clone.user(['pull', '--no-rebase', '--no-edit', 'origin', 'side']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await porcelain(clone)).toBe('');
    const merged = revisionOf(await clone.show(`HEAD:${STATE_REL}`));
    expect(merged).toBeGreaterThan(revisionOf(await clone.show(`HEAD^1:${STATE_REL}`)));
    expect(merged).toBeGreaterThan(revisionOf(await clone.show(`HEAD^2:${STATE_REL}`)));
  });

  it('squash merge: exactly what git stages, nothing else', async () => {
    const repo = await repoWithSide();
    await commitFile(repo, 'packages/main.py', 'main\n');
    const log = logText(repo);
    const result = await repo.user(['merge', '--squash', 'side']);
    expect(result.exitCode, result.stderr).toBe(0);
    // Everything is staged (git's squash); nothing is modified in the working tree on top of it.
    const lines = (await porcelain(repo)).split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line[1], line).toBe(' ');
    expect(repo.read(STATE_REL)).toBe(await repo.show(`:${STATE_REL}`));
    driverEntryOnly(log, logText(repo));
  });

  it('a merge where only our side changed the state: ours as committed, no new revision needed', async () => {
    const repo = await makeTestRepo({ committed: true });
    await repo.git(['checkout', '-q', '-b', 'side']);
    await commitFile(repo, 'notes/side.txt', 'no watched area\n');
    await repo.git(['checkout', '-q', 'main']);
    await commitFile(repo, 'packages/a.py', 'a\n');
    const ours = await repo.show(`HEAD:${STATE_REL}`);
    const result = await repo.user(['merge', '--no-ff', '--no-edit', 'side']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(paracleLines(result.stderr)).toEqual([]);
    expect(await repo.show(`HEAD:${STATE_REL}`)).toBe(ours);
    expect(await porcelain(repo)).toBe('');
  });
});

describe('post-merge warns with the command that repairs it', GIT_TIMEOUT, () => {
  it('`merge -s ours` keeps the older state: a warning naming `npx paracle-hooks remerge`; nothing written', async () => {
    const repo = await repoWithSide();
    await commitFile(repo, 'notes.txt', 'main only\n');
    const before = repo.read(STATE_REL);
    const result = await repo.user(['merge', '-s', 'ours', '--no-edit', 'side']);
    expect(result.exitCode, result.stderr).toBe(0);
    const warnings = paracleLines(result.stderr);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^paracle: warning: \.parac\/memory\/context\/current_state\.yaml: the merge [0-9a-f]{7} has revision 12, not above 14 in [0-9a-f]{7}, though the state differs there .*: run `npx paracle-hooks remerge` to redo the state's merge key by key, then commit the file$/,
    );
    expect(repo.read(STATE_REL)).toBe(before);
    expect(await porcelain(repo)).toBe('');
  });

  it('a merge git made line by line (the driver not set up): warned; `paracle remerge` redoes it, the amended merge verifies', async () => {
    const repo = await makeTestRepo({ committed: true });
    await repo.git(['config', '--remove-section', 'merge.paracle-state']);
    const base = repo.read(STATE_REL);
    const revision = revisionOf(base);
    // Each side one save (same revision line), far apart in the file: git's line merge is clean.
    const bumped = base.replace(/^revision: \d+$/m, `revision: ${revision + 1}`);
    await repo.git(['checkout', '-q', '-b', 'side']);
    repo.write(STATE_REL, bumped.replace('  adr: ADR-022\n', '  adr: ADR-023\n'));
    await repo.git(['add', STATE_REL]);
    expect((await repo.user(['commit', '-q', '-m', 'side: adr'], { env: NO_HOOKS })).exitCode).toBe(0);
    await repo.git(['checkout', '-q', 'main']);
    repo.write(STATE_REL, bumped.replace('blockers: []\n', 'blockers:\n  - id: b1\n    description: waiting\n    severity: low\n'));
    await repo.git(['add', STATE_REL]);
    expect((await repo.user(['commit', '-q', '-m', 'main: blocker'], { env: NO_HOOKS })).exitCode).toBe(0);

    const merge = await repo.user(['merge', '--no-edit', 'side']);
    expect(merge.exitCode, merge.stdout + merge.stderr).toBe(0);
    const warnings = paracleLines(merge.stderr);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`has revision ${revision + 1}, not above ${revision + 1} in`);
    expect(warnings[0]).toContain(
      "run `npx paracle-hooks remerge` to redo the state's merge key by key, then commit the file (the merge driver is not set up in this clone: `npx paracle-hooks install` sets it up for the next merge)",
    );
    expect(await porcelain(repo)).toBe('');
    const failing = await repo.paracle(['verify', '--base', 'side']);
    expect(failing.exitCode).toBe(1);
    expect(failing.stderr).toMatch(/revision \d+ is not above \d+ at side: the merge [0-9a-f]{7} .*`paracle remerge [0-9a-f]{7}`/);

    const remerge = await repo.paracle(['remerge']);
    expect(remerge.exitCode, remerge.stderr).toBe(0);
    expect(remerge.stderr).toMatch(
      new RegExp(
        `^paracle: redid the merge of ${STATE_REL.replace(/\./g, '\\.')} in [0-9a-f]{7} with the merge driver \\(revision ${revision + 1} and ${revision + 1} → ${revision + 2}\\)`,
      ),
    );
    expect(remerge.stderr).toContain('`npx paracle-hooks install` sets it up so the next merge uses it');
    const redone = parseStateText(repo.read(STATE_REL), 'redone').data as Record<string, any>;
    expect(redone.revision).toBe(revision + 2);
    expect(redone.strategic_direction.adr).toBe('ADR-023');
    expect(redone.blockers).toEqual([{ id: 'b1', description: 'waiting', severity: 'low' }]);
    expect(await porcelain(repo)).toBe(` M ${STATE_REL}\n`);
    await repo.git(['add', STATE_REL]);
    const amend = await repo.user(['commit', '-q', '--amend', '--no-edit']);
    expect(amend.exitCode, amend.stderr).toBe(0);
    expect(await porcelain(repo)).toBe('');
    for (const base of ['side', 'HEAD^1']) {
      const verify = await repo.paracle(['verify', '--base', base]);
      expect(verify.exitCode, `${base}: ${verify.stderr}`).toBe(0);
    }
  });

  it('an invalid state taken as committed from the other side: a warning pointing at `paracle validate`; nothing written', async () => {
    const repo = await makeTestRepo({ committed: true });
    await repo.git(['checkout', '-q', '-b', 'side']);
    const broken = repo.read(STATE_REL).replace('blockers: []', 'blockers: [unclosed');
    repo.write(STATE_REL, broken);
    await repo.git(['add', STATE_REL]);
    expect((await repo.user(['commit', '-q', '--no-verify', '-m', 'break the state'])).exitCode).toBe(0);
    await repo.git(['checkout', '-q', 'main']);
    await commitFile(repo, 'notes.txt', 'x\n');
    const log = logText(repo);

    const result = await repo.user(['merge', '--no-ff', '--no-edit', 'side']);
    expect(result.exitCode).toBe(0);
    const warnings = paracleLines(result.stderr);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^paracle: warning: the merged \.parac\/memory\/context\/current_state\.yaml is not a valid state \(.*current_state\.yaml:\d+:\d+: .*\): find it with `npx paracle-hooks validate`, fix it by hand and commit it$/,
    );
    expect(repo.read(STATE_REL)).toBe(broken);
    expect(logText(repo)).toBe(log);
    expect(await porcelain(repo)).toBe('');
  });

  it('`paracle remerge` refuses what it cannot do, and writes nothing', async () => {
    const repo = await repoWithSide();
    const notMerge = await repo.paracle(['remerge']);
    expect(notMerge.exitCode).toBe(1);
    expect(notMerge.stderr).toMatch(
      /^paracle: HEAD \([0-9a-f]{7}\) is not a merge of two commits; name the merge to redo: paracle remerge <commit>\n$/,
    );
    await commitFile(repo, 'packages/main.py', 'main\n');
    expect((await repo.user(['merge', '--no-ff', '--no-edit', 'side'])).exitCode).toBe(0);
    repo.write(STATE_REL, `${repo.read(STATE_REL)}# my own edit\n`);
    const edited = repo.read(STATE_REL);
    const dirty = await repo.paracle(['remerge']);
    expect(dirty.exitCode).toBe(1);
    expect(dirty.stderr).toContain('has changes that are not committed; commit or stash them first');
    expect(repo.read(STATE_REL)).toBe(edited);
  });
});
