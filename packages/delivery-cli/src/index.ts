/**
 * `delivery`: the pipeline's tool for the Delivery for Backstage ledger.
 *
 * @packageDocumentation
 */
import { Command, CommanderError } from 'commander';
import { artifactCommand } from './commands/artifact';
import { evidenceCommand } from './commands/evidence';
import { previewCommand } from './commands/preview';
import { promotionCommands } from './commands/promotion';
import { CliError, ExitCode } from './exitCodes';
import { CliIO } from './output';

export { ExitCode, CliError } from './exitCodes';
export type { ExitCodeValue } from './exitCodes';
export type { CliIO } from './output';

const EPILOG = `
Environment:
  DELIVERY_URL    the portal backend, e.g. https://backstage.example.com
  DELIVERY_TOKEN  a token the portal accepts (a static external-access token)

Exit codes:
  0 done (recorded, allowed, approved, released)   4 failed, aborted, rolled back, or a conflict
  1 unexpected error                               5 timed out waiting
  2 bad input (options, files, 400/404/422)        6 portal unreachable or failing after retries
  3 refused by the gates, or rejected              7 not allowed (401/403)`;

function program(io: CliIO): Command {
  const root = new Command('delivery')
    .description(
      "The pipeline's tool for the Delivery for Backstage ledger: record builds and their evidence, request promotions and wait for them, report rollouts, roll back, and manage preview namespaces.",
    )
    .option('--url <url>', 'the portal backend (default: $DELIVERY_URL)')
    .option(
      '--token <token>',
      'the token (default: $DELIVERY_TOKEN; prefer the variable)',
    )
    .option(
      '--json',
      'print the result as JSON on stdout (progress stays on stderr)',
    )
    .option('--retries <n>', 'retries of transient failures, with backoff', '4')
    .addHelpText('after', EPILOG)
    .showHelpAfterError()
    .configureOutput({
      writeOut: text => io.stdout(text),
      writeErr: text => io.stderr(text),
    });
  for (const command of [
    artifactCommand(io),
    evidenceCommand(io),
    ...promotionCommands(io),
    previewCommand(io),
  ]) {
    root.addCommand(command);
  }
  // Every command and subcommand reports parse errors instead of exiting.
  const override = (command: Command) => {
    command.exitOverride();
    command.configureOutput({
      writeOut: text => io.stdout(text),
      writeErr: text => io.stderr(text),
    });
    command.commands.forEach(override);
  };
  override(root);
  return root;
}

/**
 * Runs the CLI with `argv` (as in `process.argv`) and returns the exit code.
 *
 * @public
 */
export async function main(
  argv: string[],
  io: CliIO = {
    stdout: text => process.stdout.write(text),
    stderr: text => process.stderr.write(text),
    env: process.env,
  },
): Promise<number> {
  const json = argv.includes('--json');
  try {
    await program(io).parseAsync(argv);
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.BAD_INPUT;
    }
    const cli =
      error instanceof CliError
        ? error
        : new CliError(
            `Unexpected error: ${(error as Error)?.stack ?? error}`,
            ExitCode.ERROR,
          );
    io.stderr(`delivery: ${cli.message}\n`);
    if (json) {
      io.stdout(
        `${JSON.stringify(
          { error: cli.message, exitCode: cli.exitCode, details: cli.details },
          null,
          2,
        )}\n`,
      );
    }
    return cli.exitCode;
  }
}
