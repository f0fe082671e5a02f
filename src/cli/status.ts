import type { Command } from 'commander';

/** `paracle status`: where the project stands. Reads without the lock (see status-summary.ts). */
export function register(program: Command): void {
  program
    .command('status')
    .description('show project, phase, progress, blockers, next actions, revision and snapshot date')
    .addHelpText('after', '\nWith --json, prints one object with the same fields.')
    .action(async (_options: unknown, command: Command) => {
      const { commandContext } = await import('./command-context.js');
      const { readStatusState } = await import('./status-summary.js');
      const { ParacState } = await import('../state/model.js');
      const { StateMissingError } = await import('../errors.js');
      const context = commandContext(command);
      await (await import('../engine/state-engine.js')).catchUpWithEngine(context.root, context.timeout);
      const parsed = await readStatusState(context.stateFile);
      if (parsed === null) throw new StateMissingError(context.stateFile);
      const state = new ParacState(parsed);
      const phase = state.currentPhase;
      const summary = {
        project: { name: state.projectName ?? null, version: state.projectVersion ?? null },
        phase: { id: phase.id ?? null, name: phase.name ?? null, status: phase.status ?? null },
        progress: phase.progress ?? null,
        blockers: state.blockers,
        next_actions: state.nextActions,
        revision: state.revision,
        snapshot_date: state.snapshotDate ?? null,
      };
      if (context.json) {
        context.printJson(summary);
        return;
      }
      const project = [summary.project.name ?? '(unnamed project)', summary.project.version].filter(Boolean).join(' ');
      const phaseText = [phase.id, phase.name].filter(Boolean).join(' · ') || '(no current phase)';
      const lines = [
        project,
        `  phase         ${phaseText}${phase.status ? ` (${phase.status})` : ''}`,
        `  progress      ${summary.progress ?? 'unset'}`,
        `  revision      ${summary.revision}${summary.snapshot_date ? ` (snapshot ${summary.snapshot_date})` : ''}`,
        `  blockers      ${summary.blockers.length === 0 ? 'none' : summary.blockers.length}`,
        ...summary.blockers.map((b) => `    - [${b.severity}] ${b.id}: ${b.description}`),
        `  next actions  ${summary.next_actions.length === 0 ? 'none' : summary.next_actions.length}`,
        ...summary.next_actions.map((action) => `    - ${action}`),
      ];
      context.say(lines.join('\n'));
    });
}
