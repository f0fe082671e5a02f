import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HOOKS_CONFIG, parseHooksConfig } from '../src/config/hooks-config.js';
import { runGit } from '../src/git/run-git.js';
import { hasUnstagedChanges, parseStatusV2, stagedPaths } from '../src/git/status.js';
import { partialCommitRealIndex } from '../src/git/repo-layout.js';
import { BLOCK_START, renderHookBlock, upsertBlock } from '../src/hooks-install/hook-script.js';
import { ignoreBlock, upsertIgnoreRules } from '../src/hooks-install/ignore-rules.js';
import { preparedScript, withPrepareScript } from '../src/hooks-install/prepare-script.js';
import { colorEnabled, formatOutcome } from '../src/hooks-run/report.js';
import { isStateScratchPath } from '../src/state/state-scratch-paths.js';
import { unifiedDiff } from '../src/text/unified-diff.js';
import { scratchPathFor } from '../src/fs/scratch-files.js';
import { lockPathFor } from '../src/lock/lock.js';
import { addChangelogEntry } from '../src/tasks/changelog.js';
import { DEFAULT_AREAS, classifyStagedPaths, recentChangesEdits } from '../src/tasks/changes-by-area.js';
import { committedRevision } from '../src/tasks/merge-revision.js';
import { compileGlob, matcherFor } from '../src/tasks/path-glob.js';
import { parseRoadmapText, roadmapAlignmentWarning, roadmapCurrentPhase, statePhaseId } from '../src/tasks/roadmap-alignment.js';
import { snapshotEdits } from '../src/tasks/snapshot.js';
import { withRevision } from '../src/state/revision.js';
import { applyStateEdits } from '../src/state/state-edits.js';
import { historyFiles, readFixture, tempDir } from './support/fixtures.js';

/** The pure parts of the hooks: tasks, parsers, renderers. Data in, data out. */

describe('path globs', () => {
  const cases: Array<[string, string, boolean]> = [
    ['packages/', 'packages/a.py', true],
    ['packages/', 'packages/x/y/z.py', true],
    ['packages/', 'packagesx/a.py', false],
    ['packages/', 'src/packages/a.py', false],
    ['packages/', 'packages/new\nline.py', true],
    ['**/roadmap.{yaml,md}', 'roadmap.yaml', true],
    ['**/roadmap.{yaml,md}', 'a/b/roadmap.md', true],
    ['**/roadmap.{yaml,md}', 'a/roadmap.yml', false],
    ['*.sql', 'schema.sql', true],
    ['*.sql', 'db/schema.sql', false],
    ['**/*.sql', 'db/deep/schema.sql', true],
    ['docs/*.md', 'docs/a.md', true],
    ['docs/*.md', 'docs/sub/a.md', false],
    ['docs/**/*.md', 'docs/a.md', true],
    ['src/[ab].ts', 'src/a.ts', true],
    ['src/[!ab].ts', 'src/a.ts', false],
    ['src/?.ts', 'src/c.ts', true],
    ['src/?.ts', 'src//.ts', false],
    ['/top.txt', 'top.txt', true],
    ['a+b (1).txt', 'a+b (1).txt', true],
  ];
  it.each(cases)('%s vs %j → %s', (glob, path, expected) => {
    expect(compileGlob(glob).test(path)).toBe(expected);
  });
});

describe('changes by area', () => {
  it('classifies into the first matching area, in configuration order, at most five files each', () => {
    const paths = [
      'docs/a.md',
      'packages/p/1.py',
      'README.md',
      'docs/roadmap.md',
      ...Array.from({ length: 6 }, (_, i) => `packages/p/${i + 2}.py`),
      '.parac/roadmap/roadmap.yaml',
    ];
    expect(classifyStagedPaths(paths, DEFAULT_AREAS)).toEqual([
      {
        area: 'packages',
        count: 7,
        files: ['packages/p/1.py', 'packages/p/2.py', 'packages/p/3.py', 'packages/p/4.py', 'packages/p/5.py'],
      },
      { area: 'docs', count: 2, files: ['docs/a.md', 'docs/roadmap.md'] },
      { area: 'roadmap', count: 1, files: ['.parac/roadmap/roadmap.yaml'] },
    ]);
    expect(classifyStagedPaths(['README.md', 'src/x.ts'], DEFAULT_AREAS)).toEqual([]);
  });

  it('recent_changes is replaced with this commit’s areas', () => {
    const edits = recentChangesEdits([{ area: 'tests', count: 1, files: ['tests/a.py'] }]);
    const before = { recent_changes: [{ area: 'old', count: 9, files: [] }], other: 1 };
    expect(applyStateEdits(before, edits).data).toEqual({ recent_changes: [{ area: 'tests', count: 1, files: ['tests/a.py'] }], other: 1 });
  });
});

describe('state edits', () => {
  it('copies along the edited path only and never changes the input', () => {
    const input = { a: { b: 1, keep: { deep: true } }, untouched: { x: 1 } };
    const frozen = structuredClone(input);
    const { data, skipped } = applyStateEdits(input, [
      { path: ['a', 'b'], value: 2 },
      { path: ['new', 'k'], value: 'v' },
    ]);
    expect(input).toEqual(frozen);
    expect(data).toEqual({ a: { b: 2, keep: { deep: true } }, untouched: { x: 1 }, new: { k: 'v' } });
    expect(data.untouched).toBe(input.untouched);
    expect(skipped).toEqual([]);
  });

  it('leaves a path alone when a non-mapping is in the way', () => {
    const { data, skipped } = applyStateEdits(
      { repository: 'github.com/x' },
      snapshotEdits('2026-01-01', { branch: 'main', lastCommit: null, hasUncommittedChanges: false }),
    );
    expect(data).toEqual({ repository: 'github.com/x', snapshot_date: '2026-01-01' });
    expect(skipped.map((e) => e.path.join('.'))).toEqual([
      'repository.branch',
      'repository.last_commit',
      'repository.has_uncommitted_changes',
    ]);
  });

  it('keeps __proto__ as data', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const { data } = applyStateEdits(input, [{ path: ['a'], value: 2 }]);
    expect(Object.keys(data)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('places a new revision after snapshot_date, as the store does', () => {
    expect(Object.keys(withRevision({ version: '1', snapshot_date: 'x', project: {} }, 3))).toEqual([
      'version',
      'snapshot_date',
      'revision',
      'project',
    ]);
    expect(Object.keys(withRevision({ project: {} }, 3))).toEqual(['revision', 'project']);
    expect(withRevision({ revision: 1, a: 1 }, 5)).toEqual({ revision: 5, a: 1 });
  });

  it('snapshot: detached HEAD and the first commit', () => {
    const { data } = applyStateEdits({}, snapshotEdits('2026-02-03', { branch: null, lastCommit: null, hasUncommittedChanges: true }));
    expect(data).toEqual({
      snapshot_date: '2026-02-03',
      repository: { branch: '(detached)', last_commit: null, has_uncommitted_changes: true },
    });
  });
});

describe('changelog', () => {
  const real = readFixture('changelog.md');

  it('adds a dated block right under [Unreleased], before the existing sections', () => {
    const next = addChangelogEntry(real, ['Package updates', 'Documentation updates'], '2026-02-01')!;
    expect(next).toContain('## [Unreleased]\n\n### Changed (2026-02-01)\n\n- Package updates\n- Documentation updates\n\n### Added\n');
    // Nothing else moved.
    expect(next.replace('### Changed (2026-02-01)\n\n- Package updates\n- Documentation updates\n\n', '')).toBe(real);
  });

  it('at most once per day: the same areas change nothing, a new area adds one bullet to the day’s block', () => {
    const once = addChangelogEntry(real, ['Package updates'], '2026-02-01')!;
    expect(addChangelogEntry(once, ['Package updates'], '2026-02-01')).toBeNull();
    const twice = addChangelogEntry(once, ['Package updates', 'Test updates'], '2026-02-01')!;
    expect(twice.split('### Changed (2026-02-01)')).toHaveLength(2);
    expect(twice).toContain('### Changed (2026-02-01)\n\n- Package updates\n- Test updates\n\n### Added');
    const nextDay = addChangelogEntry(twice, ['Package updates'], '2026-02-02')!;
    expect(nextDay.indexOf('### Changed (2026-02-02)')).toBeLessThan(nextDay.indexOf('### Changed (2026-02-01)'));
  });

  it('keeps CRLF line endings; leaves a changelog without [Unreleased] alone', () => {
    const crlf = real.replace(/\n/g, '\r\n');
    const next = addChangelogEntry(crlf, ['Package updates'], '2026-02-01')!;
    expect(next.replace(/\r\n/g, '')).not.toContain('\n');
    expect(next).toContain('### Changed (2026-02-01)\r\n\r\n- Package updates\r\n');
    expect(addChangelogEntry('# Changelog\n\n## [1.0.0]\n', ['x'], '2026-02-01')).toBeNull();
    expect(addChangelogEntry(real, [], '2026-02-01')).toBeNull();
    expect(addChangelogEntry('## [Unreleased]\n', ['A'], '2026-02-01')).toBe('## [Unreleased]\n\n### Changed (2026-02-01)\n\n- A\n');
  });
});

describe('roadmap alignment', () => {
  it('reads the roadmap’s current_phase with the yaml library and compares it with the state’s', async () => {
    const parsed = async (text: string) => {
      const read = await parseRoadmapText(text, 'roadmap.yaml');
      if ('error' in read) throw new Error(read.error);
      return read.roadmap;
    };
    const roadmap = await parsed(readFixture('roadmap.yaml'));
    expect(roadmapCurrentPhase(roadmap)).toBe('phase_10');
    expect(roadmapCurrentPhase(await parsed('a: 1\ncurrent_phase: "phase_2" # note\n'))).toBe('phase_2');
    expect(roadmapCurrentPhase(await parsed("current_phase: 'it''s'\n"))).toBe("it's");
    expect(roadmapCurrentPhase(await parsed('current_phase:\n  id: x\n'))).toBeNull();
    expect(roadmapCurrentPhase(await parsed('top:\n  current_phase: nested\n'))).toBeNull();
    expect(await parseRoadmapText('a: [1\n', 'roadmap.yaml')).toEqual({ error: expect.stringMatching(/^roadmap\.yaml:\d+:\d+: /) });
    // The hook reads one entry of a long file: only that entry is parsed; an error is placed in the whole file.
    expect(await parseRoadmapText(readFixture('roadmap.yaml'), 'roadmap.yaml', ['current_phase'])).toEqual({
      roadmap: { current_phase: 'phase_10' },
    });
    expect(await parseRoadmapText('a: 1\nb: 2\ncurrent_phase: [x\n', 'roadmap.yaml', ['current_phase'])).toEqual({
      error: expect.stringMatching(/^roadmap\.yaml:[34]:\d+: /),
    });
    expect(await parseRoadmapText('a: 1\n', 'roadmap.yaml', ['current_phase'])).toEqual({ roadmap: {} });
    expect(statePhaseId({ current_phase: { id: 'phase_10' } })).toBe('phase_10');
    expect(statePhaseId({ current_phase: 'phase_3' })).toBe('phase_3');
    expect(roadmapAlignmentWarning(roadmap, { current_phase: { id: 'phase_10' } })).toBeNull();
    expect(roadmapAlignmentWarning(roadmap, { current_phase: { id: 'phase_9' } })).toBe(
      'roadmap.yaml says current_phase is phase_10 but current_state.yaml is at phase_9; update one of them',
    );
    expect(roadmapAlignmentWarning(await parsed('nothing: here\n'), { current_phase: { id: 'phase_9' } })).toBeNull();
  });
});

describe('committed revision', () => {
  it('reads the committed revision from the top-level line, as the store would parse it', async () => {
    const { parseStateText } = await import('../src/document/document.js');
    for (const file of historyFiles()) {
      const text = readFileSync(file, 'utf8');
      if (basename(file).startsWith('05-')) continue; // invalid YAML upstream; the line scan does not care
      expect(committedRevision(text), basename(file)).toBe(parseStateText(text, file).revision);
    }
    expect(committedRevision('a: 1\n')).toBe(0);
    expect(committedRevision('revision: "7" # quoted\n')).toBe(7);
    expect(committedRevision('revision: seven\n')).toBeNull();
    expect(committedRevision('x:\n  revision: 3\n')).toBe(0);
  });
});

describe('git status --porcelain=v2 -z', () => {
  it('parses headers, changes, renames, conflicts, untracked and odd names', () => {
    const output = [
      '# branch.oid 0123456789abcdef0123456789abcdef01234567',
      '# branch.head feature/x',
      '# branch.ab +1 -0',
      '1 M. N... 100644 100644 100644 aaa bbb packages/with space.py',
      '1 .M N... 100644 100644 100644 aaa aaa docs/new\nline.md',
      '2 R. N... 100644 100644 100644 aaa aaa R100 packages/new name.py',
      'packages/old name.py',
      'u UU N... 100644 100644 100644 100644 a b c conflict.txt',
      '? untracked ü.txt',
      '! ignored.log',
      '',
    ].join('\0');
    const status = parseStatusV2(output);
    expect(status.headOid).toBe('0123456789abcdef0123456789abcdef01234567');
    expect(status.branch).toBe('feature/x');
    expect(stagedPaths(status)).toEqual(['packages/with space.py', 'packages/new name.py', 'conflict.txt']);
    expect(status.entries[2]).toMatchObject({ kind: 'renamed', originalPath: 'packages/old name.py' });
    expect(status.entries[1]).toMatchObject({ path: 'docs/new\nline.md', staged: '.', unstaged: 'M' });
    expect(hasUnstagedChanges(status)).toBe(true);
    expect(hasUnstagedChanges(parseStatusV2('# branch.oid (initial)\0# branch.head (detached)\x001 A. N... 0 100644 100644 0 a x\0'))).toBe(
      false,
    );
    const initial = parseStatusV2('# branch.oid (initial)\0# branch.head (detached)\0');
    expect(initial).toEqual({ headOid: null, branch: null, entries: [] });
  });

  it('knows the temporary index of `git commit <paths>`', () => {
    expect(partialCommitRealIndex({ GIT_INDEX_FILE: '/r/.git/next-index-4900.lock' }, '/r')).toBe('/r/.git/index.lock');
    expect(partialCommitRealIndex({ GIT_INDEX_FILE: '.git/worktrees/w/next-index-1.lock' }, '/r')).toBe('/r/.git/worktrees/w/index.lock');
    expect(partialCommitRealIndex({ GIT_INDEX_FILE: '/r/.git/index.lock' }, '/r')).toBeNull();
    expect(partialCommitRealIndex({}, '/r')).toBeNull();
  });
});

describe('unified diff', () => {
  /** Checked by git itself: the patch must apply to `before` and produce `after`. */
  async function applies(before: string, after: string): Promise<void> {
    const dir = tempDir('paracle-diff-');
    mkdirSync(join(dir, 'f'));
    writeFileSync(join(dir, 'f', 'file.txt'), before);
    const patch = unifiedDiff(before, after, { from: 'a/f/file.txt', to: 'b/f/file.txt' });
    await runGit(['apply', '--whitespace=nowarn', '--unidiff-zero', '-'], { cwd: dir, env: 'clean', input: patch });
    expect(readFileSync(join(dir, 'f', 'file.txt'), 'utf8')).toBe(after);
  }

  it('equal texts give nothing', () => {
    expect(unifiedDiff('a\n', 'a\n', { from: 'a', to: 'b' })).toBe('');
  });

  it('matches diff -u on a small case', () => {
    const diff = unifiedDiff('a\nb\nc\nd\ne\nf\ng\nh\n', 'a\nB\nc\nd\ne\nf\ng\nh\ni\n', { from: 'x', to: 'y', context: 1 });
    expect(diff).toBe('--- x\n+++ y\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -8 +8,2 @@\n h\n+i\n');
  });

  it('marks a missing final newline', () => {
    expect(unifiedDiff('a\nb', 'a\nc\n', { from: 'x', to: 'y' })).toBe(
      '--- x\n+++ y\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n',
    );
  });

  it('every pair of consecutive real state files: the diff applies and gives the newer one', async () => {
    const files = historyFiles().map((f) => readFileSync(f, 'utf8'));
    for (let i = 1; i < files.length; i += 1) await applies(files[i - 1]!, files[i]!);
    await applies('', 'new\nfile\n');
    await applies('only\n', '');
  });
});

describe('hooks.yaml', () => {
  const file = 'hooks.yaml';
  it('defaults when empty; tasks switch off; areas replace the defaults in order', () => {
    expect(parseHooksConfig(null, file)).toEqual(DEFAULT_HOOKS_CONFIG);
    const config = parseHooksConfig(
      {
        pre_commit: true,
        post_merge: false,
        tasks: { changelog: false },
        areas: { api: ['api/'], docs: { paths: 'manual/', label: 'Manual updates' } },
      },
      file,
    );
    expect(config.postMerge).toBe(false);
    expect(config.tasks).toEqual({ changesByArea: true, snapshot: true, changelog: false, roadmapAlignment: true });
    expect(config.areas).toEqual([
      { name: 'api', paths: ['api/'], label: 'Api updates' },
      { name: 'docs', paths: ['manual/'], label: 'Manual updates' },
    ]);
  });

  it.each([
    [{ tasks: { changelgo: false } }, 'unknown key "tasks.changelgo" (known: changes_by_area, snapshot, changelog, roadmap_alignment)'],
    [{ task: {} }, 'unknown key "task"'],
    [{ tasks: { snapshot: 'no' } }, 'tasks.snapshot must be true or false, found "no"'],
    [{ tasks: { snapshot: 'x'.repeat(500) } }, `found "${'x'.repeat(30)}…${'x'.repeat(8)}" (500 characters)`],
    [{ areas: { x: [] } }, 'areas.x must be a glob or a non-empty list of globs'],
    [{ areas: { x: { paths: ['a/'], colour: 1 } } }, 'unknown key "areas.x.colour"'],
    [['a'], 'the file must be a mapping of keys'],
  ])('%j is refused: %s', (raw, message) => {
    expect(() => parseHooksConfig(raw, file)).toThrow(message);
  });
});

describe('install pieces', () => {
  const paths = {
    toolkitFromHookDir: '../node_modules/paracle-hooks',
    toolkitFromTop: 'node_modules/paracle-hooks',
    huskyFromTop: '.husky',
  };
  const block = renderHookBlock({ hook: 'pre-commit', ...paths, root: null });

  it('the hook block runs the toolkit with node, relative to the hook file, else the main worktree’s', () => {
    expect(block).toContain('paracle_hook="${0%/*}/../node_modules/paracle-hooks/hooks/pre-commit.cjs"');
    expect(block).toContain('paracle_hook="$paracle_main/node_modules/paracle-hooks/hooks/pre-commit.cjs"');
    expect(block).toContain('if [ "${PARACLE-}" != 0 ]; then');
    expect(renderHookBlock({ hook: 'post-merge', ...paths, toolkitFromHookDir: '..', root: 'my app/.parac' })).toContain(
      `node "$paracle_hook" --root 'my app/.parac' "$@"`,
    );
  });

  it('keeps existing content, adds the block once, replaces an older block in place', () => {
    expect(upsertBlock(null, block)).toBe(block);
    const withTest = upsertBlock('npm test', block);
    expect(withTest).toBe(`npm test\n${block}`);
    expect(upsertBlock(withTest, block)).toBe(withTest);
    const old = withTest.replace('pre-commit.cjs', 'old-entry.cjs').concat('echo after\n');
    expect(upsertBlock(old, block)).toBe(`${withTest}echo after\n`);
    expect(upsertBlock(old, block).split(BLOCK_START)).toHaveLength(2);
  });

  it('prepare script: set, appended after husky, an earlier one brought up to date, or left alone', () => {
    expect(preparedScript(undefined)).toBe('paracle-hooks install || exit 0');
    expect(preparedScript('husky')).toBe('husky && (paracle-hooks install || exit 0)');
    expect(preparedScript('husky && (paracle-hooks install || exit 0)')).toBeNull();
    expect(preparedScript('paracle-hooks install || true')).toBeNull();
    // What earlier versions wrote, which fails `npm ci --omit=dev`:
    expect(preparedScript('paracle install')).toBe('paracle-hooks install || exit 0');
    expect(preparedScript('husky && paracle install')).toBe('husky && (paracle-hooks install || exit 0)');
    expect(preparedScript('paracle install && echo done')).toBe('(paracle-hooks install || exit 0) && echo done');
    expect(preparedScript('paracle install --quiet')).toBe('paracle-hooks install --quiet || exit 0');
    expect(preparedScript('npm run reinstall')).toBe('npm run reinstall && (paracle-hooks install || exit 0)');
    expect(withPrepareScript('{\n\t"name": "x"\n}', 'paracle install')).toBe(
      '{\n\t"name": "x",\n\t"scripts": {\n\t\t"prepare": "paracle install"\n\t}\n}',
    );
  });

  it('ignore rules: added once, and they match what the state core really creates', async () => {
    const once = upsertIgnoreRules('node_modules/\n');
    expect(once).toBe(`node_modules/\n\n${ignoreBlock()}`);
    expect(upsertIgnoreRules(once)).toBe(once);
    expect(upsertIgnoreRules(null)).toBe(ignoreBlock());

    const state = 'app/.parac/memory/context/current_state.yaml';
    const made = [
      lockPathFor(`/r/${state}`).slice(3),
      `${lockPathFor(`/r/${state}`).slice(3)}/owner.json`,
      `${state}.paracle-queue/ticket-1`,
      `${state}.lock`,
      scratchPathFor(`/r/${state}`).slice(3),
    ];
    for (const path of made) expect(isStateScratchPath(path), path).toBe(true);
    for (const path of [state, 'app/.parac/changelog.md', 'yarn.lock', 'src/.x.tmp']) expect(isStateScratchPath(path), path).toBe(false);

    // git agrees: every one of them is ignored by the block, none of the real files is.
    const dir = tempDir('paracle-ignore-');
    await runGit(['init', '-q'], { cwd: dir, env: 'clean' });
    writeFileSync(join(dir, '.gitignore'), ignoreBlock());
    // check-ignore refuses the door's --literal-pathspecs, so this query runs without the fixed flags.
    const check = async (path: string) =>
      (await runGit(['check-ignore', '-q', '--no-index', '--', path], { cwd: dir, env: 'clean', okExitCodes: [1], fixedFlags: false }))
        .exitCode === 0;
    for (const path of made) expect(await check(path), path).toBe(true);
    expect(await check(state)).toBe(false);
    expect(await check('app/.parac/changelog.md')).toBe(false);
  });
});

describe('output', () => {
  it('colour: NO_COLOR wins, FORCE_COLOR forces, otherwise only a terminal', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '1', NO_COLOR: 'yes' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
  });

  it('one summary line; nothing when nothing changed; warnings first', () => {
    const plain = { stdout: false, stderr: false };
    expect(formatOutcome({ kind: 'unchanged', warnings: [] }, { color: plain })).toEqual({ stdout: '', stderr: '' });
    const updated = formatOutcome(
      {
        kind: 'updated',
        fileName: 'current_state.yaml',
        revision: { from: 12, to: 13 },
        detail: 'packages: 3, docs: 1',
        changelogUpdated: false,
        warnings: ['w'],
      },
      { color: plain },
    );
    expect(updated.stderr).toBe('paracle: warning: w\nparacle: current_state.yaml rev 12 → 13 (packages: 3, docs: 1)\n');
  });

  it('default config matches the seed layout', () => {
    expect(matcherFor(DEFAULT_AREAS.find((a) => a.name === 'templates')!.paths)('content/templates/x.yaml')).toBe(true);
    expect(matcherFor(DEFAULT_AREAS.find((a) => a.name === 'examples')!.paths)('content/examples/x.py')).toBe(true);
  });
});
