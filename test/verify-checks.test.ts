import { describe, expect, it } from 'vitest';
import { checkAuditLogAppendOnly, checkAuditLogLines } from '../src/verify/audit-log-check.js';
import { conflictMarkerProblem, findConflictMarkers } from '../src/verify/conflict-marker-advice.js';
import { checkRevisionNotRewound } from '../src/verify/revision-check.js';
import { githubAnnotation } from '../src/verify/verify-report.js';
import { readFixture } from './support/fixtures.js';

/** The pure checks behind `paracle verify`, on their own (the command end to end is in verify.test.ts). */

const entry = (n: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    timestamp: `2026-01-10T10:00:0${n}.000Z`,
    process_id: 100 + n,
    change_type: 'update',
    description: `change ${n}`,
    revision: n,
    ...extra,
  });
const log = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('audit log: append-only since the base', () => {
  const base = log(entry(1), entry(2), entry(3));

  it('lines added after the base’s are fine, and so is the same log', () => {
    expect(checkAuditLogAppendOnly('log', 'main', base, log(entry(1), entry(2), entry(3), entry(4)))).toEqual([]);
    expect(checkAuditLogAppendOnly('log', 'main', base, base)).toEqual([]);
    expect(checkAuditLogAppendOnly('log', 'main', null, log(entry(9)))).toEqual([]);
  });

  it('a union merge of the base branch into this one (this branch’s lines first) keeps every base line in order: fine', () => {
    const shared = [entry(1)];
    const baseNow = log(...shared, entry(2), entry(3));
    const merged = log(...shared, entry(7), entry(8), entry(2), entry(3), entry(9));
    expect(checkAuditLogAppendOnly('log', 'main', baseNow, merged)).toEqual([]);
  });

  it('an edited line is named, also after a union merge', () => {
    const edited = log(entry(1), entry(2, { description: 'rewritten' }), entry(3));
    expect(checkAuditLogAppendOnly('log', 'main', base, edited)).toEqual([
      { file: 'log', line: 2, message: expect.stringMatching(/^line 2 of the audit log at main was edited: /) },
    ]);
    const mergedThenEdited = log(entry(1), entry(7), entry(2), entry(3, { revision: 30 }));
    expect(checkAuditLogAppendOnly('log', 'main', base, mergedThenEdited)[0]).toMatchObject({ line: 3 });
  });

  it('a removed line is named: in the middle, the last ones, or the whole file', () => {
    expect(checkAuditLogAppendOnly('log', 'main', base, log(entry(1), entry(3)))[0]).toMatchObject({
      line: 2,
      message: expect.stringMatching(/was removed/),
    });
    expect(checkAuditLogAppendOnly('log', 'main', base, log(entry(1)))[0]).toMatchObject({ line: 2 });
    expect(checkAuditLogAppendOnly('log', 'main', base, '')[0]).toMatchObject({ line: 1 });
    expect(checkAuditLogAppendOnly('log', 'main', base, null)).toEqual([
      { file: 'log', message: 'the audit log was deleted since main (it had 3 lines); it is append-only: restore it' },
    ]);
  });

  it('reordered lines are caught (a line moved before an older one)', () => {
    expect(checkAuditLogAppendOnly('log', 'main', base, log(entry(1), entry(3), entry(2)))[0]).toMatchObject({ line: 3 });
  });
});

describe('audit log: every line an entry', () => {
  it('valid lines, blank lines and a final line without newline pass', () => {
    expect(checkAuditLogLines('log', `${entry(1)}\n\n${entry(2)}`)).toEqual([]);
  });

  it('each bad line is named; a flood of them is summed up', () => {
    const text = log(entry(1), '[1,2]', 'null', entry(2, { change_type: '' }), JSON.stringify({ change_type: 'x' }));
    expect(checkAuditLogLines('log', text).map((p) => [p.line, p.message])).toEqual([
      [2, 'not a JSON object (found an array); every line of the audit log is one entry'],
      [3, 'not a JSON object (found null); every line of the audit log is one entry'],
      [4, 'entry field "change_type" must be a non-empty string, got ""'],
      [5, 'entry lacks required fields "timestamp", "process_id", "description", "revision"'],
    ]);
    const flood = checkAuditLogLines('log', log(...Array.from({ length: 30 }, () => 'x')));
    expect(flood).toHaveLength(21);
    expect(flood.at(-1)).toEqual({ file: 'log', message: '10 more lines are not valid entries' });
  });
});

describe('revision not rewound', () => {
  const real = readFixture('current_state.yaml');
  const withRevision = (n: number) => real.replace(/^revision: \d+$/m, `revision: ${n}`);

  it('only a changed state must have a higher revision', () => {
    const check = (baseText: string | null, currentText: string, currentRevision: number | null) =>
      checkRevisionNotRewound({ file: 'state', baseRef: 'main', baseText, currentText, currentRevision });
    expect(check(withRevision(11), withRevision(12), 12)).toEqual([]);
    expect(check(withRevision(11), withRevision(11), 11)).toEqual([]);
    expect(check(null, withRevision(0), 0)).toEqual([]);
    expect(check(withRevision(11), withRevision(3), null)).toEqual([]);
    expect(check(withRevision(11), withRevision(10), 10)).toEqual([
      { file: 'state', line: 3, column: 1, message: expect.stringMatching(/^revision 10 is below 11 at main/) },
    ]);
    // A base that is not valid YAML as a whole still has a readable revision line.
    expect(check(`${withRevision(11)}broken: [\n`, withRevision(11).replace('progress: 0%', 'progress: 1%'), 11)).toHaveLength(1);
  });
});

describe('conflict markers and GitHub annotations', () => {
  it('finds git’s markers (with diff3’s) and nothing that merely looks like them', () => {
    const text = [
      'a',
      '<<<<<<< HEAD',
      'b',
      '||||||| base',
      'c',
      '=======',
      'd',
      '>>>>>>> other',
      '======= not one',
      '<<<<<<<< eight',
      '  <<<<<<< indented',
    ].join('\n');
    expect(findConflictMarkers(text).map((m) => m.line)).toEqual([2, 4, 6, 8]);
  });

  it('the way out depends on who wrote the markers', () => {
    const block = (label: string) => `a: 1\n<<<<<<< ${label}\nb: 1\n=======\nb: 2\n>>>>>>> other\n`;
    const hint = (text: string, kind: 'state' | 'yaml' = 'state') => conflictMarkerProblem('s.yaml', text, kind)!.message;
    expect(hint(block('HEAD'))).toMatch(/without paracle's merge driver .*run `paracle install`, then `git checkout -m -- s\.yaml`/);
    expect(hint(block('ours (current_phase.progress)'))).toMatch(
      /^git conflict marker "<<<<<<<": both branches changed current_phase\.progress differently/,
    );
    expect(hint(block('ours (line merge)'))).toMatch(/could not merge the file key by key \(a side was not a valid state\)/);
    expect(hint(block('ours (x)'), 'yaml')).toBe(
      'git conflict marker "<<<<<<<": keep the right lines, delete the markers, then `git add` the file',
    );
    expect(hint(`${block('HEAD')}${block('HEAD')}`)).toMatch(/^git conflict marker "<<<<<<<" \(2 conflicts in the file\): /);
    expect(conflictMarkerProblem('s.yaml', 'a: 1\n', 'state')).toBeNull();
  });

  it('escapes what GitHub’s workflow commands need escaped', () => {
    expect(githubAnnotation({ file: 'a,b:c.yaml', line: 3, column: 1, message: '100% done\nnext line\r' })).toBe(
      '::error file=a%2Cb%3Ac.yaml,line=3,col=1,title=paracle verify::100%25 done%0Anext line%0D',
    );
    expect(githubAnnotation({ file: 'log', message: 'm' })).toBe('::error file=log,title=paracle verify::m');
  });
});
