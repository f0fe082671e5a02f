// Appends two-entry batches without pause until killed; used to SIGKILL a writer in the middle of an append.
// argv: <paracRoot> <tag> <fillerRepeats>  (each repeat is 13 bytes of UTF-8; writes of several MB get torn by a kill)
import { appendStateChanges } from '../../dist/log/audit-log.js';

const [paracRoot, tag, repeats = '4000'] = process.argv.slice(2);
const filler = '日本語🚀'.repeat(Number(repeats));
process.stdout.write('started\n');
for (let seq = 0; ; seq += 1) {
  await appendStateChanges(paracRoot, [
    { change_type: 'update', description: `${tag}#${seq}a ${filler}`, revision: seq },
    { change_type: 'update', description: `${tag}#${seq}b ${filler}`, revision: seq },
  ]);
}
