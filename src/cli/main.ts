/**
 * The `foresight` command line. Each subcommand lives in its own file; this one only
 * assembles them and turns errors into one clear message and a non-zero exit.
 */
import { Command } from 'commander';
import { ConfigError, ForesightError } from '../util/errors.js';
import { addSecretsFromEnv, scrub } from '../telemetry/log.js';
import { anomaliesCommand } from './anomalies-command.js';
import { backtestCommand } from './backtest-command.js';
import { benchCommand } from './bench-command.js';
import { demoCommand } from './demo-command.js';
import { exitOnSignal } from './exit-on-signal.js';
import { exportHistoryCommand } from './export-history-command.js';
import { replayCommand } from './replay-command.js';
import { planCommand } from './plan-command.js';
import { reportCommand } from './report-command.js';
import { alertBridgeCommand, committerCommand, processorCommand } from './service-commands.js';
import { stackCommand } from './stack-command.js';

const program = new Command('foresight')
  .description('Predictive FinOps for Kubernetes, delivered the GitOps way')
  .version('0.1.0')
  .showHelpAfterError()
  .addHelpText(
    'after',
    [
      '',
      'processor, committer, alert-bridge, replay, report, export-history and bench (not bench score) connect to what',
      'each needs of Kafka, the schema registry and Redis, named by FORESIGHT_KAFKA_BROKERS,',
      "FORESIGHT_SCHEMA_REGISTRY_URL and FORESIGHT_REDIS_URL (default: the local stack's default ports); for",
      'the local stack, wherever it runs: eval "$(npx foresight stack env)".',
      'Move the local stack with FORESIGHT_STACK_*_PORT (see "foresight stack up --help").',
    ].join('\n'),
  );

program.addCommand(stackCommand());
program.addCommand(processorCommand());
program.addCommand(committerCommand());
program.addCommand(alertBridgeCommand());
program.addCommand(replayCommand());
program.addCommand(demoCommand());
program.addCommand(backtestCommand());
program.addCommand(anomaliesCommand());
program.addCommand(benchCommand());
program.addCommand(exportHistoryCommand());
program.addCommand(reportCommand());
program.addCommand(planCommand());

// errors name the command that failed ("foresight report: …"), as the tools a user pipes them to do
let running = 'foresight';
program.hook('preAction', (_program, action) => {
  const names: string[] = [];
  for (let c: Command | null = action; c; c = c.parent) names.unshift(c.name());
  running = names.join(' ');
});

// before any command installs handlers of its own: a one-shot command stopped by a signal still cleans up at exit
exitOnSignal();

try {
  await program.parseAsync(process.argv);
  process.exit(0); // do not linger on client sockets and timers once the command is done
} catch (err) {
  // what reaches the terminal is scrubbed of known secrets, as every log line is
  addSecretsFromEnv();
  const say = (text: string): void => console.error(scrub(text));
  if (err instanceof ConfigError) {
    say(`${running}: invalid configuration: ${err.message}`);
    process.exit(2);
  }
  if (err instanceof ForesightError) {
    say(`${running}: ${err.message}`);
    process.exit(1);
  }
  const io = err as NodeJS.ErrnoException;
  if (io.code === 'ENOENT' || io.code === 'EACCES' || io.code === 'EISDIR') {
    say(`${running}: ${io.path ?? ''}: ${io.code === 'ENOENT' ? 'no such file or directory' : io.code === 'EACCES' ? 'permission denied' : 'is a directory'}`);
    process.exit(1);
  }
  say(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
}
