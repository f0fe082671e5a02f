import type { Command } from 'commander';
import { isAbsolute, relative } from 'node:path';

/** `paracle validate`: parse and check the state file and every other `.parac/` YAML file. */
export function register(program: Command): void {
  program
    .command('validate')
    .description('check the state file (conflict markers, YAML, types of known fields, revision) and the other .parac/*.yaml')
    .addHelpText('after', '\nExit 0 when everything is valid, 1 with one line per problem (file:line:column: message) otherwise.')
    .action(async (_options: unknown, command: Command) => {
      const { commandContext } = await import('./command-context.js');
      const { validateWorkspace } = await import('../validate/validate-workspace.js');
      const { CliExit, EXIT } = await import('./exit-codes.js');
      const context = commandContext(command);
      const show = (file: string) => {
        const rel = relative(process.cwd(), file);
        return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
      };
      const report = await validateWorkspace(context.root, show);
      if (context.json) context.printJson(report);
      else if (report.ok) {
        const others = report.files.length - 1;
        context.say(
          `paracle: ${report.files[0]} is valid (revision ${report.revision})${others > 0 ? `; ${others} other YAML file${others === 1 ? '' : 's'} valid` : ''}`,
        );
      } else {
        for (const p of report.problems) {
          process.stderr.write(
            `${p.file}${p.line !== undefined ? `:${p.line}` : ''}${p.column !== undefined ? `:${p.column}` : ''}: ${p.message}\n`,
          );
        }
      }
      if (!report.ok) throw new CliExit(EXIT.failed);
    });
}
