// Holds the state lock until killed, as another writer (an editor plugin, a long CLI run) would;
// the hook and CLI tests use it to meet a busy lock.
// Prints "held" once it has the lock. Usage: node hold-state-lock.mjs <stateFile> <command label>
import { acquireStateLock } from '../../dist/lock/lock.js';

const [stateFile, command = 'hold-state-lock'] = process.argv.slice(2);
await acquireStateLock(stateFile, { command });
process.stdout.write('held\n');
setInterval(() => undefined, 1 << 30);
