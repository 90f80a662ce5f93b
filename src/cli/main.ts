/**
 * The `foresight` command line. Each subcommand lives in its own file; this one only
 * assembles them and turns errors into one clear message and a non-zero exit.
 */
import { Command } from 'commander';
import { ConfigError, ForesightError } from '../util/errors.js';
import { stackCommand } from './stack-command.js';

const program = new Command('foresight')
  .description('Predictive FinOps for Kubernetes, delivered the GitOps way')
  .version('0.1.0')
  .showHelpAfterError();

program.addCommand(stackCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`foresight: invalid configuration: ${err.message}`);
    process.exit(2);
  }
  if (err instanceof ForesightError) {
    console.error(`foresight: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
