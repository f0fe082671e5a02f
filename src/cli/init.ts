import type { Command } from 'commander';
import { relative } from 'node:path';

/** `paracle init`: a starting `.parac/` with `current_state.yaml` at revision 0; never overwrites. */
export function register(program: Command): void {
  program
    .command('init')
    .description('create .parac/ with a starting current_state.yaml (revision 0); refuses to overwrite')
    .option('--name <name>', 'project name (default: package.json name, else the folder name)')
    .action(async (options: { name?: string }, command: Command) => {
      const { commandContext } = await import('./command-context.js');
      const { initWorkspace } = await import('../sync/init-workspace.js');
      const context = commandContext(command, { rootMustExist: false });
      const created = await initWorkspace(context.root, { name: options.name, timeout: context.timeout });
      if (context.json) context.printJson({ success: true, ...created });
      else {
        context.say(`paracle: created ${relative(process.cwd(), created.file) || created.file} (revision 0, project ${created.project})`);
      }
    });
}
