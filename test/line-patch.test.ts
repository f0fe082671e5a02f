import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { textHash } from '../src/log/trail.js';
import { applyLinePatches, linePatch } from '../src/text/line-patch.js';

/**
 * The line patches the Redis engine stores for every revision: applied in order on another host
 * they must give the writer's exact bytes, whatever the line endings.
 */

/** A small random text from a few line shapes, with or without a last newline, LF or CRLF. */
function randomText(random: () => number): string {
  const shapes = ['a: 1', 'b: two', '  - item', '# comment', '', 'c: "x\\ny"', 'é: ✓'];
  const lines = Array.from({ length: Math.floor(random() * 12) }, () => shapes[Math.floor(random() * shapes.length)]!);
  const ending = random() < 0.2 ? '\r\n' : '\n';
  const text = lines.join(ending);
  return random() < 0.7 && text !== '' ? text + ending : text;
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('line patches', () => {
  it('rebuild the exact text after a chain of random edits, last newline or not, LF or CRLF', () => {
    const random = seeded(21);
    for (let round = 0; round < 300; round += 1) {
      const chain = Array.from({ length: 4 }, () => randomText(random));
      const patches = chain.slice(1).map((after, i) => linePatch(chain[i]!, after));
      expect(applyLinePatches(chain[0]!, patches)).toBe(chain.at(-1));
    }
  });

  it('keep a last line without its newline apart from one with it', () => {
    expect(applyLinePatches('a\nb', [linePatch('a\nb', 'a\nb\n')])).toBe('a\nb\n');
    expect(applyLinePatches('a\nb\n', [linePatch('a\nb\n', 'a\nb')])).toBe('a\nb');
    expect(linePatch('', '')).toEqual([]);
    expect(applyLinePatches('', [linePatch('', 'x')])).toBe('x');
  });

  it('refuse a patch that does not fit the text', () => {
    expect(() => applyLinePatches('one\n', [linePatch('one\ntwo\nthree\n', 'one\n')])).toThrow(RangeError);
  });
});

describe('textHash', () => {
  it('is the first 32 hex digits of the sha256 of the text, asked in any order', () => {
    const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
    const texts = ['revision: 1\n', 'revision: 2\n', 'revision: 1\n', 'é\n', 'revision: 2\n', `${'revision: '}1\n`];
    for (const text of texts) expect(textHash(text)).toBe(sha(text));
  });
});
