// Child process for the CLI tests: takes the state lock, says so on stdout, and holds it until killed.
// Usage: node cli-hold-lock.mjs <stateFile>
import { acquireStateLock } from '../../dist/state/lock.js';

const [stateFile] = process.argv.slice(2);
await acquireStateLock(stateFile, { command: 'cli-hold-lock test child' });
process.stdout.write('held\n');
setInterval(() => {}, 1000);
