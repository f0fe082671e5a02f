import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { STATE_REL } from './support/git-repo.js';
import { makePackedRepo, type PackedRepo, pathWithoutNode, removeScratchFolders, scratchDir } from './support/packed-repo.js';

/**
 * A GUI git client started without the shell's PATH runs the merge driver where `node` cannot be
 * found (or is a version manager's shim that fails). git must then get its own line merge, with
 * conflict markers that every reader of the state refuses, never "ours" kept silently. Real git,
 * the toolkit installed from the packed tarball.
 */

afterAll(removeScratchFolders);

const NO_HOOKS = { PARACLE: '0' };

/** main and `other` both saved the state since they forked, other twice: their `revision:` lines differ. */
async function divergedBranches(): Promise<PackedRepo> {
  const repo = await makePackedRepo();
  const commitAll = async (message: string) => {
    await repo.git(['add', '-A']);
    const result = await repo.user(['commit', '-q', '-m', message], { env: NO_HOOKS });
    expect(result.exitCode, result.stderr).toBe(0);
  };
  await repo.git(['checkout', '-q', '-b', 'other']);
  for (const item of ['other: first', 'other: second']) {
    expect((await repo.paracle(['session', 'end', '--complete', item])).exitCode).toBe(0);
  }
  await commitAll('other');
  await repo.git(['checkout', '-q', 'main']);
  expect((await repo.paracle(['session', 'end', '--progress', '30'])).exitCode).toBe(0);
  await commitAll('main');
  return repo;
}

async function mergeOther(repo: PackedRepo, path: string | undefined) {
  return repo.user(['merge', '--no-edit', 'other'], { env: path === undefined ? {} : { PATH: path } });
}

describe('the merge driver when node cannot run', () => {
  it('node not on PATH: git’s line merge with markers and a conflict; validate refuses the file', async () => {
    const repo = await divergedBranches();
    const merge = await mergeOther(repo, pathWithoutNode());
    expect(merge.exitCode).toBe(1);
    expect(merge.stdout).toContain(`CONFLICT (content): Merge conflict in ${STATE_REL}`);
    expect(merge.stderr).toContain(`paracle: node is not on PATH (`);
    expect(merge.stderr).toContain(`using git's line merge for ${STATE_REL}`);
    const text = repo.read(STATE_REL);
    expect(text).toMatch(/^<<<<<<< ours$/m);
    expect(text).toMatch(/^>>>>>>> theirs$/m);
    // Both sides are in the file, between markers where they collide.
    expect(text).toContain('other: second');
    expect(text).toContain('progress: 30%');
    const validate = await repo.paracle(['validate']);
    expect(validate.exitCode).toBe(1);
    expect(validate.stderr).toContain('git conflict marker "<<<<<<<"');

    // The same merge where node runs: the driver merges both sides, revision above both.
    expect((await repo.user(['merge', '--abort'])).exitCode).toBe(0);
    const withNode = await mergeOther(repo, undefined);
    expect(withNode.exitCode, withNode.stdout + withNode.stderr).toBe(0);
    const merged = parseStateText(repo.read(STATE_REL), STATE_REL).data as Record<string, any>;
    expect(merged.current_phase.progress).toBe('30%');
    expect(merged.current_phase.completed).toEqual(expect.arrayContaining(['other: first', 'other: second']));
  });

  it('a node that fails before the driver answers (a broken version-manager shim): the line merge too', async () => {
    const repo = await divergedBranches();
    const shims = scratchDir('paracle-node-shim-');
    mkdirSync(join(shims, 'bin'));
    writeFileSync(join(shims, 'bin', 'node'), '#!/bin/sh\necho "shim: no default node version set" >&2\nexit 126\n');
    chmodSync(join(shims, 'bin', 'node'), 0o755);
    const merge = await mergeOther(repo, `${join(shims, 'bin')}:${pathWithoutNode()}`);
    expect(merge.exitCode).toBe(1);
    expect(merge.stderr).toContain('paracle: node could not run the merge driver (exit 126)');
    expect(repo.read(STATE_REL)).toMatch(/^<<<<<<< ours$/m);
  });
});
