// Reads a file as fast as it can until <stopFile> appears; counts reads that are not one whole version
// (a whole version starts `gen: N`, ends `end: N`, and has the length that N implies).
// argv: <file> <stopFile>. Prints one JSON line: { reads, torn, generations }.
import { existsSync, readFileSync } from 'node:fs';

const [file, stopFile] = process.argv.slice(2);
const expectedLength = (g) => `gen: ${g}\n`.length + 20_000 + (g % 7) * 9_000 + `\nend: ${g}\n`.length;
let reads = 0;
let torn = 0;
const generations = new Set();
process.stdout.write('ready\n');
while (!existsSync(stopFile)) {
  for (let i = 0; i < 20; i += 1) {
    const text = readFileSync(file, 'utf8');
    reads += 1;
    const head = /^gen: (\d+)\n/.exec(text);
    const tail = /\nend: (\d+)\n$/.exec(text);
    const generation = head ? Number(head[1]) : -1;
    if (!head || !tail || tail[1] !== head[1] || text.length !== expectedLength(generation)) torn += 1;
    else generations.add(generation);
  }
}
process.stdout.write(`${JSON.stringify({ reads, torn, generations: generations.size })}\n`);
