import { describe, expect, it, vi } from 'vitest';
import { exitForError } from '../src/cli/exit-for-error.js';
import { CliExit, EXIT } from '../src/cli/exit-codes.js';
import { StateConflictError, StateLockError, StateParseError, StateWriteError } from '../src/errors.js';

describe('exitForError: the one mapping from errors to exit codes', () => {
  it('maps each typed error to its documented code and prints one line naming the cause', () => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      expect(exitForError(new StateLockError('lock busy\nsecond line', 'state.yaml'))).toBe(EXIT.lockTimeout);
      expect(exitForError(new StateConflictError('state.yaml', 3, 4, { keys: ['a'] }))).toBe(EXIT.conflict);
      expect(exitForError(new StateParseError('state.yaml', 'bad', { line: 2, column: 5 }))).toBe(EXIT.failed);
      expect(exitForError(new StateWriteError('state.yaml', 'disk full'))).toBe(EXIT.failed);
      expect(exitForError(new CliExit(EXIT.usage, 'bad option'))).toBe(EXIT.usage);
      expect(exitForError(new Error('boom'))).toBe(EXIT.failed);
    } finally {
      write.mockRestore();
    }
    expect(lines).toEqual([
      'paracle: lock busy\n',
      'paracle: state.yaml: expected revision=3, got revision=4. State was modified by another process; reload it and retry. Keys: a.\n',
      'paracle: state.yaml:2:5: bad\n',
      'paracle: state.yaml: disk full\n',
      'paracle: bad option\n',
      'paracle: boom\n',
    ]);
    expect([EXIT.ok, EXIT.failed, EXIT.usage, EXIT.lockTimeout, EXIT.conflict]).toEqual([0, 1, 2, 3, 4]);
  });
});
