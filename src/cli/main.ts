import { Command, CommanderError } from 'commander';
import { registerClientCommands } from './commands/client.js';
import { registerGovernanceCommands } from './commands/governance.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerSecretCommands } from './commands/secret.js';
import { registerRecoverCommand } from './commands/recover.js';
import { registerCollateralCommands } from './commands/collateral.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerK8sCommands } from './commands/k8s.js';
import { registerCoordinatorCommands } from './commands/coordinator.js';
import { registerEvidenceCommands } from './commands/evidence.js';
import { registerMeasureCommand } from './commands/measure.js';
import { registerProtectCommands } from './commands/protect.js';
import { registerRunCommand } from './commands/run.js';
import { EXIT, describeError, exitCodeFor, runCommand as run } from './exit.js';
import { VERSION } from './version.js';

/**
 * Builds the `cloister` command line. Every action runs through `run`, which turns typed
 * errors into one line on stderr and the exit-code table in exit.ts (never a stack trace).
 */
export function buildProgram(): Command {
  const program = new Command('cloister')
    .description('Cloister: attestation and secrets for confidential containers (SGX, TDX, SEV-SNP)')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerEvidenceCommands(program, run);
  registerCollateralCommands(program, run);
  registerProtectCommands(program, run);
  registerCoordinatorCommands(program, run);
  registerClientCommands(program, run);
  registerGovernanceCommands(program, run);
  registerAuditCommands(program, run);
  registerSecretCommands(program, run);
  registerRecoverCommand(program, run);
  registerMeasureCommand(program);
  registerRunCommand(program, run);
  registerDemoCommand(program, run);
  registerK8sCommands(program, run);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; any other commander error is a usage error
      process.exitCode = e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT.OK : EXIT.USAGE;
      return;
    }
    process.stderr.write(`${describeError(e)}\n`);
    process.exitCode = exitCodeFor(e);
  }
}
