// Starts an atomic write and stops just before the rename, so the test can SIGKILL a writer whose temp
// file is complete on disk. argv: <file>
import { writeFileAtomic } from '../../dist/fs/atomic-write.js';

const [file] = process.argv.slice(2);
await writeFileAtomic(file, 'written by a writer that is about to be killed\n', {
  beforeRename: () => {
    process.stdout.write('ready\n');
    return new Promise(() => {
      setInterval(() => undefined, 1000);
    });
  },
});
