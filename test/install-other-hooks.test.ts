import { appendFileSync, chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStateText } from '../src/document/document.js';
import { STATE_REL } from './support/git-repo.js';
import { makePackedRepo, removeScratchFolders } from './support/packed-repo.js';

/**
 * core.hooksPath already set by another tool (a `.githooks` folder here): install leaves it alone,
 * still sets up everything that does not depend on it (merge driver, .gitattributes, ignore rules,
 * prepare script), and prints the exact line each of that tool's hooks needs. Added as printed,
 * the line runs paracle's hook on a real commit.
 */

afterAll(removeScratchFolders);

describe('paracle install beside another tool’s hooks', () => {
  it('sets up the rest, leaves core.hooksPath alone, prints the lines; with them added, commits run paracle', async () => {
    const repo = await makePackedRepo({ install: false });
    mkdirSync(join(repo.dir, '.githooks'));
    const otherHook = join(repo.dir, '.githooks', 'pre-commit');
    writeFileSync(otherHook, '#!/bin/sh\necho "other tool: pre-commit ran" >&2\n');
    chmodSync(otherHook, 0o755);
    await repo.git(['config', 'core.hooksPath', '.githooks']);

    const install = await repo.paracle(['install']);
    expect(install.exitCode, install.stderr).toBe(0);
    const preCommitLine = 'node node_modules/paracle-hooks/hooks/pre-commit.cjs "$@" || exit $?';
    const postMergeLine = 'node node_modules/paracle-hooks/hooks/post-merge.cjs "$@" || exit $?';
    expect(install.stdout).toContain(
      "paracle: note: core.hooksPath is .githooks, another tool's hooks: left alone, so paracle's hooks are not installed. To run them, add to\n" +
        `paracle: note:   ${otherHook}:  ${preCommitLine}\n` +
        `paracle: note:   ${join(repo.dir, '.githooks', 'post-merge')}:  ${postMergeLine}\n`,
    );
    expect(install.stdout).toContain('paracle: git config merge.paracle-state.driver: current_state.yaml now merges');
    expect(install.stdout).toContain('paracle: .gitattributes: current_state.yaml merges with merge=paracle-state');
    expect(install.stdout).toContain('paracle: .gitignore: added rules');
    expect(install.stdout).toContain('paracle: package.json: scripts.prepare is now "paracle-hooks install || exit 0"');
    expect((await repo.git(['config', '--get', 'core.hooksPath'])).stdout.trim()).toBe('.githooks');
    expect(existsSync(join(repo.dir, '.husky'))).toBe(false);
    expect((await repo.git(['check-attr', 'merge', '--', STATE_REL])).stdout).toBe(`${STATE_REL}: merge: paracle-state\n`);

    // JSON names the same lines for a script to apply.
    const json = await repo.paracle(['install', '--json']);
    const report = JSON.parse(json.stdout) as { externalHooks: { hooksPath: string; lines: Array<{ line: string; present: boolean }> } };
    expect(report.externalHooks.hooksPath).toBe('.githooks');
    expect(report.externalHooks.lines.map((l) => [l.line, l.present])).toEqual([
      [preCommitLine, false],
      [postMergeLine, false],
    ]);

    const revision = () => parseStateText(repo.read(STATE_REL), STATE_REL).revision;
    await repo.git(['add', '-A']);
    expect((await repo.user(['commit', '-q', '-m', 'initial'])).exitCode).toBe(0);
    const before = revision();
    appendFileSync(otherHook, `${preCommitLine}\n`);
    writeFileSync(join(repo.dir, '.githooks', 'post-merge'), `#!/bin/sh\n${postMergeLine}\n`);
    chmodSync(join(repo.dir, '.githooks', 'post-merge'), 0o755);
    repo.write('packages/x.py', 'x\n');
    await repo.git(['add', '--', 'packages/x.py']);
    const commit = await repo.user(['commit', '-q', '-m', 'through the other tool']);
    expect(commit.exitCode, commit.stderr).toBe(0);
    expect(commit.stderr).toContain('other tool: pre-commit ran');
    expect(commit.stderr).toContain(`rev ${before} → ${before + 1}`);
    expect(parseStateText((await repo.show(`HEAD:${STATE_REL}`))!, STATE_REL).revision).toBe(before + 1);

    const again = await repo.paracle(['install']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe(
      "paracle: nothing changed\nparacle: note: core.hooksPath is .githooks (another tool's); its hooks already run paracle's\n",
    );
  });
});
