import { fstatSync, readSync } from 'node:fs';

/** One step back through a file: the whole lines of one more chunk, newest first, and the bytes read from the end so far. */
export interface LinesStep {
  lines: Buffer[];
  read: number;
}

/**
 * The lines of an open file from its end back, a chunk at a time (the first `firstChunk` bytes, then
 * `chunk`), split at `\n` bytes, which never occur inside a UTF-8 sequence. A line whose start is in an
 * earlier chunk comes with that chunk; the file's first line comes with the last step. Synchronous: the
 * store reads the log's end inside every save's lock hold (see writeFileAtomic).
 */
export function* linesFromEnd(fd: number, firstChunk: number, chunk: number): Generator<LinesStep> {
  const size = fstatSync(fd).size;
  let position = size;
  // Bytes before the first `\n` seen so far: the end of a line whose start is in an earlier chunk.
  let carry = Buffer.alloc(0);
  while (position > 0) {
    const length = Math.min(position === size ? firstChunk : chunk, position);
    position -= length;
    const bytes = Buffer.alloc(length);
    const bytesRead = readSync(fd, bytes, 0, length, position);
    const buffer = Buffer.concat([bytes.subarray(0, bytesRead), carry]);
    const lines: Buffer[] = [];
    let end = buffer.length;
    for (let i = buffer.length - 1; i >= 0; i -= 1) {
      if (buffer[i] !== 0x0a) continue;
      lines.push(buffer.subarray(i + 1, end));
      end = i;
    }
    carry = buffer.subarray(0, end);
    if (position === 0 && carry.length > 0) lines.push(carry);
    yield { lines, read: size - position };
  }
}
