import { Option, type Command } from 'commander';

/** `paracle verify`: the CI check — the state is valid, not rewound, and the audit log only grew. */
export function register(program: Command): void {
  program
    .command('verify')
    .description(
      'CI check: the state file and .parac/*.yaml are valid and conflict-free, the audit log is well-formed; with --base, the revision was not rewound and the log only grew',
    )
    .option(
      '--base <ref>',
      'compare with this commit (e.g. origin/main): revision raised when the state changed, the log there a prefix of the log now',
    )
    .addOption(
      new Option('--format <format>', 'problem output: text (file:line:col: message on stderr) or github (::error annotations on stdout)')
        .choices(['text', 'github'])
        .default('text'),
    )
    .addHelpText(
      'after',
      '\nExit 0 when everything holds, 1 otherwise. --json prints { ok, problems: [{ file, line?, message }] }.\n' +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression shown in the help text
        'In GitHub Actions: paracle verify --base origin/${{ github.base_ref }} --format github',
    )
    .action(async (options: { base?: string; format: 'text' | 'github' }, command: Command) => {
      try {
        await runVerify(options, command);
      } catch (error) {
        // The one line on stderr and the exit code stay main's; GitHub reads annotations from stdout.
        if (options.format === 'github' && !command.optsWithGlobals<{ json?: boolean }>().json) {
          const { CliExit } = await import('./exit-codes.js');
          if (!(error instanceof CliExit)) {
            const { githubFailureAnnotation } = await import('../verify/verify-report.js');
            process.stdout.write(`${githubFailureAnnotation(error)}\n`);
          }
        }
        throw error;
      }
    });
}

async function runVerify(options: { base?: string; format: 'text' | 'github' }, command: Command): Promise<void> {
  const { commandContext } = await import('./command-context.js');
  const { verifyWorkspace } = await import('../verify/verify-workspace.js');
  const { problemLines, summaryLine, verifyJson } = await import('../verify/verify-report.js');
  const { CliExit, EXIT } = await import('./exit-codes.js');
  const context = commandContext(command);
  const report = await verifyWorkspace({ root: context.root, base: options.base });
  if (context.json) context.printJson(verifyJson(report));
  else if (options.format === 'github') {
    // Workflow commands are read from stdout.
    for (const line of problemLines(report, 'github')) process.stdout.write(`${line}\n`);
    if (report.ok) context.say(summaryLine(report));
    else process.stderr.write(`${summaryLine(report)}\n`);
  } else if (report.ok) context.say(summaryLine(report));
  else {
    for (const line of problemLines(report, 'text')) process.stderr.write(`${line}\n`);
    process.stderr.write(`${summaryLine(report)}\n`);
  }
  if (!report.ok) throw new CliExit(EXIT.failed);
}
