/** `foresight report`: one self-contained HTML page (and optionally JSON) of costs, budgets, forecasts, capacity, savings and outcomes, from Redis. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { writeReport } from '../report/write-report.js';
import { cliLogger, executionProviders, parsePositiveInt } from './options.js';
import { parseTime } from '../replay/csv-trace.js';

interface Flags {
  html: string;
  json?: string;
  namespace?: string;
  team?: string;
  policy?: string[];
  gitops?: string;
  at?: number;
  maxSeries: number;
  recommendations: boolean;
}

export function reportCommand(): Command {
  return new Command('report')
    .description(
      'write one self-contained HTML page (inline SVG, nothing fetched when viewed) of cost against budget, demand, forecast and capacity per workload, savings and outcomes, from Redis',
    )
    .requiredOption('--html <file>', 'the HTML page to write')
    .option('--json <file>', 'also write the same figures as JSON')
    .option('--namespace <name>', 'only this namespace')
    .option('--team <name>', "only this team's cost")
    .option('--policy <file...>', 'policy files: the budgets, and the policy the capacity is planned with (default: built-in, no budget)')
    .option(
      '--gitops <dir>',
      "a checkout of the GitOps repository: each workload's team label, so a team policy applies as in the processor (default: FORESIGHT_POLICY_REPO)",
    )
    .addOption(
      new Option(
        '--at <time>',
        'the moment of the report (unix s/ms or ISO date-time, UTC unless it names a zone; default now): the month and the last 24 hours of cost; given, outcomes decided and recommendations made after it are not counted',
      ).argParser((v) => {
        try {
          return parseTime(v);
        } catch (err) {
          throw new InvalidArgumentError((err as Error).message);
        }
      }),
    )
    .addOption(new Option('--max-series <n>', 'at most this many series get a chart, the most recent first').argParser(parsePositiveInt).default(24))
    .option('--no-recommendations', 'do not read the recommendations topic (the savings proposed are then unknown)')
    .action(async (flags: Flags) => {
      const data = await writeReport({
        html: flags.html,
        json: flags.json,
        namespace: flags.namespace,
        team: flags.team,
        policyFiles: flags.policy ?? [],
        gitops: flags.gitops,
        atMs: flags.at,
        maxSeries: flags.maxSeries,
        readRecommendations: flags.recommendations,
        log: cliLogger('report'),
        providers: await executionProviders(),
      });
      const series = data.workloads.reduce((a, w) => a + w.series.length, 0);
      console.log(
        `wrote ${flags.html}${flags.json ? ` and ${flags.json}` : ''}: ${data.costs.length} cost scopes, ${data.workloads.length} workloads (${series} series), ${data.outcomes.length} outcomes (verdicts: ${Object.entries(
          data.verdicts,
        )
          .map(([v, n]) => `${n} ${v}`)
          .join(', ')})`,
      );
      // what the page says about what it could not show (an empty key prefix: where the windows are)
      for (const note of [...data.notes, ...data.savings.notes]) console.log(`  note: ${note}`);
    });
}
