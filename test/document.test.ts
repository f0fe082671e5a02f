import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StateParseError } from '../src/errors.js';
import { parseStateText } from '../src/document/document.js';
import { historyFiles, INVALID_HISTORY_PREFIX, readFixture } from './support/fixtures.js';
import { basename } from 'node:path';

function parseError(text: string, file = 'state.yaml'): StateParseError {
  try {
    parseStateText(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(StateParseError);
    return error as StateParseError;
  }
  throw new Error('expected a StateParseError');
}

describe('parseStateText', () => {
  it('parses a text it saw before to data of its own: a caller that edits its copy changes no later parse', () => {
    const text = 'revision: 3\nproject:\n  name: x\nlist: [a, b]\n';
    const first = parseStateText(text, 'a.yaml');
    (first.data.project as { name: string }).name = 'edited';
    (first.data.list as string[]).push('c');
    const second = parseStateText(text, 'b.yaml');
    (second.data.list as string[]).pop();
    const third = parseStateText(text, 'c.yaml');
    expect(third).toEqual({ text, revision: 3, data: { revision: 3, project: { name: 'x' }, list: ['a', 'b'] } });
    // A bad text is never remembered: each parse names its own file.
    expect(() => parseStateText('revision: -1\n', 'one.yaml')).toThrow(/one\.yaml/);
    expect(() => parseStateText('revision: -1\n', 'two.yaml')).toThrow(/two\.yaml/);
  });

  it('reads the real file: revision 11, progress 0%, and keys the model does not know', () => {
    const { data, revision } = parseStateText(readFixture('current_state.yaml'), 'current_state.yaml');
    expect(revision).toBe(11);
    expect((data.current_phase as Record<string, unknown>).progress).toBe('0%');
    expect(Object.keys(data).length).toBeGreaterThanOrEqual(20);
  });

  it('reads every committed version except the one upstream committed broken', () => {
    for (const file of historyFiles()) {
      const text = readFileSync(file, 'utf8');
      if (basename(file).startsWith(INVALID_HISTORY_PREFIX)) {
        const error = parseError(text, file);
        expect(error.code).toBe('STATE_PARSE');
        expect(error.line).toBe(131);
        expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:131:\\d+: `));
      } else {
        expect(() => parseStateText(text, file)).not.toThrow();
      }
    }
  });

  it('takes a file without revision as revision 0', () => {
    expect(parseStateText('a: 1\n', 'f').revision).toBe(0);
  });

  it.each([
    ['an empty file', '', /state\.yaml: the file is empty/],
    ['a blank file', '  \n\n', /state\.yaml: the file is empty/],
    ['a list at the top', '- a\n- b\n', /state\.yaml: the top level must be a mapping, found a list|top level must be a mapping/],
    ['a scalar at the top', 'just text\n', /top level must be a mapping of keys, found a string/],
    ['a negative revision', 'a: 1\nrevision: -1\n', /state\.yaml:2:11: revision must be a non-negative integer, found -1/],
    ['a fractional revision', 'revision: 1.5\n', /state\.yaml:1:11: revision must be a non-negative integer/],
    ['a string revision', 'revision: "3"\n', /state\.yaml:1:11: revision must be a non-negative integer, found "3"/],
    ['two documents', 'a: 1\n---\nb: 2\n', /state\.yaml:2:1: expected one YAML document, found 2/],
    ['a duplicate key', 'a: 1\na: 2\n', /state\.yaml:2:1: Map keys must be unique/],
    ['an unclosed quote', 'a: "open\nb: 2\n', /state\.yaml:\d+:\d+: /],
  ])('refuses %s with file and position', (_name, text, pattern) => {
    expect(parseError(text).message).toMatch(pattern);
  });

  it('refuses git conflict markers, naming the line', () => {
    const text = 'a: 1\n<<<<<<< HEAD\nrevision: 3\n=======\nrevision: 4\n>>>>>>> other\n';
    const error = parseError(text);
    expect(error.message).toMatch(/^state\.yaml:2:1: git conflict marker "<<<<<<<"/);
    expect(parseError('a: 1\n=======\n').line).toBe(2);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 10; i += 1)
      text += `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    expect(parseError(text).message).toMatch(/too many alias expansions/);
  });

  it('keeps __proto__ as data without touching any prototype', () => {
    const { data } = parseStateText('__proto__:\n  polluted: yes\nrevision: 1\n', 'f');
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.hasOwn(data, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
