// Replaces a file N times with self-checking contents of varying size. argv: <file> <count>
import { writeFileAtomic } from '../../dist/fs/atomic-write.js';

const [file, countText] = process.argv.slice(2);
const count = Number(countText);
export function contentFor(generation) {
  const body = 'x'.repeat(20_000 + (generation % 7) * 9_000);
  const head = `gen: ${generation}\n`;
  const tail = `\nend: ${generation}\n`;
  return `${head}${body}${tail}`;
}
process.stdout.write('ready\n');
for (let generation = 1; generation <= count; generation += 1) {
  await writeFileAtomic(file, contentFor(generation));
}
process.stdout.write('done\n');
