/** `foresight stack install | up | down | status | env` */
import { Command, Option } from 'commander';
import { ensureApicurio, ensureKafkaLibs, ensureRedisServer, APICURIO_JAR, KAFKA_LIBS } from '../local-stack/artifacts.js';
import { formatStatus, stackDown, stackStatus, stackUp } from '../local-stack/stack.js';
import { stopDeadDemo } from './demo-lock.js';
import path from 'node:path';
import * as S from '../local-stack/stack-config.js';
import { loadStackConfig, type StackConfig, type StackFlags } from '../local-stack/stack-config.js';
import { PROJECT_ROOT } from '../util/paths.js';
import { stackEnv } from '../local-stack/stack-env.js';
import { parsePort } from './options.js';

/** Where each value comes from and the defaults, from the variables' own declarations (stack-config.ts). */
function defaultsHelp(): string {
  const d = (v: { defaultValue: string | undefined }): string => v.defaultValue ?? '';
  const dir = (v: { defaultValue: string | undefined }): string => path.relative(PROJECT_ROOT, d(v));
  const clusterFirst = Number(d(S.STACK_REDIS_CLUSTER_PORT));
  return [
    '',
    "Each value: its flag, else its variable, else (a port, while this folder's services run)",
    'the port `stack up` started them on, else the default:',
    `  Kafka ${d(S.STACK_KAFKA_PORT)}, controller ${d(S.STACK_CONTROLLER_PORT)}, registry ${d(S.STACK_REGISTRY_PORT)}, Redis ${d(S.STACK_REDIS_PORT)}; --dir ${dir(S.STACK_DIR)} in the checkout`,
    `  --secure: Kafka ${d(S.STACK_SECURE_KAFKA_PORT)}, controller ${d(S.STACK_SECURE_CONTROLLER_PORT)}, registry ${d(S.STACK_SECURE_REGISTRY_PORT)}, Redis ${d(S.STACK_SECURE_REDIS_PORT)}; --dir ${dir(S.STACK_SECURE_DIR)}; only flags and FORESIGHT_STACK_SECURE_* apply`,
    `  --redis-cluster: masters on ${clusterFirst}-${clusterFirst + 2}; --dir ${dir(S.STACK_CLUSTER_DIR)} (FORESIGHT_STACK_CLUSTER_DIR)`,
    `  --observability: Prometheus ${d(S.STACK_PROMETHEUS_PORT)}, Alertmanager ${d(S.STACK_ALERTMANAGER_PORT)}`,
  ].join('\n');
}

function withStackOptions(cmd: Command): Command {
  return cmd
    .addHelpText('after', defaultsHelp())
    .addOption(new Option('--dir <path>', "root of the stack's data, logs and pid files").env('FORESIGHT_STACK_DIR'))
    .addOption(new Option('--data-dir <path>', 'data folder (default <dir>/data)').env('FORESIGHT_STACK_DATA_DIR'))
    .addOption(new Option('--log-dir <path>', 'log folder (default <dir>/logs)').env('FORESIGHT_STACK_LOG_DIR'))
    .addOption(new Option('--kafka-port <port>', 'Kafka broker port').argParser(parsePort).env('FORESIGHT_STACK_KAFKA_PORT'))
    .addOption(new Option('--controller-port <port>', 'KRaft controller port').argParser(parsePort).env('FORESIGHT_STACK_CONTROLLER_PORT'))
    .addOption(new Option('--registry-port <port>', 'Schema Registry port').argParser(parsePort).env('FORESIGHT_STACK_REGISTRY_PORT'))
    .addOption(new Option('--redis-port <port>', 'Redis port').argParser(parsePort).env('FORESIGHT_STACK_REDIS_PORT'))
    .addOption(
      new Option(
        '--redis-cluster',
        "a Redis Cluster of three masters (Debian's redis-server in cluster mode, joined by `redis-cli --cluster create`) instead of the single Redis",
      ),
    )
    .addOption(
      new Option('--redis-cluster-port <port>', "the cluster's first port; its masters listen on it and the next two")
        .argParser(parsePort)
        .env('FORESIGHT_STACK_REDIS_CLUSTER_PORT'),
    )
    .addOption(
      new Option(
        '--observability',
        "also Prometheus (scraping the services on 9464/9465/9466, Foresight's alert rules loaded) and Alertmanager, from Debian's packages",
      ),
    )
    .addOption(new Option('--prometheus-port <port>', 'Prometheus port (with --observability)').argParser(parsePort).env('FORESIGHT_STACK_PROMETHEUS_PORT'))
    .addOption(
      new Option('--alertmanager-port <port>', 'Alertmanager port (with --observability)').argParser(parsePort).env('FORESIGHT_STACK_ALERTMANAGER_PORT'),
    )
    .addOption(
      new Option(
        '--secure',
        'the secured stack: TLS, SASL/SCRAM, ACL user, basic auth; its own folder and ports (FORESIGHT_STACK_SECURE_*), beside the plain one',
      ),
    );
}

/**
 * The stack's configuration from the flags. With --secure, the plain stack's FORESIGHT_STACK_*
 * variables do not apply (they would put the secured stack on the plain one's ports): only
 * flags given on the command line and FORESIGHT_STACK_SECURE_* do.
 */
function stackConfigOf(cmd: Command): StackConfig {
  const flags = cmd.opts<StackFlags>();
  if (flags.redisCluster) {
    // its own folder (FORESIGHT_STACK_CLUSTER_DIR) unless --dir is given: the plain stack's
    // FORESIGHT_STACK_DIR would mix their pid files, and `down --redis-cluster` stop the plain Kafka
    const fromEnv = ['dir', 'dataDir', 'logDir'].filter((k) => cmd.getOptionValueSource(k) === 'env');
    return loadStackConfig(Object.fromEntries(Object.entries(flags).filter(([k]) => !fromEnv.includes(k))));
  }
  if (!flags.secure) return loadStackConfig(flags);
  const fromCli = Object.fromEntries(Object.entries(flags).filter(([k]) => cmd.getOptionValueSource(k) === 'cli'));
  return loadStackConfig({ ...fromCli, secure: true });
}

const progress = (msg: string): void => console.log(msg);

export function stackCommand(): Command {
  const stack = new Command('stack').description('start, stop and inspect the local stack (Kafka, Schema Registry, Redis) without Docker');
  stack
    .command('install')
    .description("resolve the services' artifacts without starting them (Kafka and Apicurio from Maven Central, redis-server from Debian)")
    .action(() => {
      const redis = ensureRedisServer(progress);
      ensureKafkaLibs(progress);
      ensureApicurio(progress);
      console.log(`redis-server: ${redis}\nkafka libs:   ${KAFKA_LIBS}\nregistry:     ${APICURIO_JAR}`);
    });
  withStackOptions(stack.command('up').description('start Kafka (KRaft), Apicurio Registry and Redis; wait until each answers (idempotent)')).action(
    async (_flags: StackFlags, cmd: Command) => {
      const t0 = Date.now();
      const cfg = stackConfigOf(cmd);
      const statuses = await stackUp(cfg, progress);
      console.log(formatStatus(statuses));
      console.log(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      if (cfg.secure) console.log('connect with the variables of `foresight stack env --secure`');
      if (cfg.redisCluster) console.log('connect with the variables of `foresight stack env --redis-cluster` (FORESIGHT_REDIS_CLUSTER_NODES)');
    },
  );
  withStackOptions(
    stack
      .command('down')
      .description(
        "stop the processes that `stack up` started, and a processor and committer that a demo killed hard left running (nothing else; in the default folder, also install.sh's background otelcol-foresight build)",
      ),
  ).action(async (_flags: StackFlags, cmd: Command) => {
    const cfg = stackConfigOf(cmd);
    const demo = await stopDeadDemo(cfg.dir, progress);
    if (demo !== undefined)
      progress(
        `demo: one is running on this stack (pid ${demo}); its processor and committer are left to it (it stops them when it ends), the stack's services stop under it`,
      );
    await stackDown(cfg, progress);
  });
  withStackOptions(stack.command('status').description("print each service's state and address")).action(async (_flags: StackFlags, cmd: Command) => {
    console.log(formatStatus(await stackStatus(stackConfigOf(cmd))));
  });
  withStackOptions(
    stack
      .command('env')
      .description(
        'print the FORESIGHT_* variables that connect the clients (processor, report, replay, …) to the stack, as shell exports: `eval "$(npx foresight stack env)"`',
      ),
  ).action((_flags: StackFlags, cmd: Command) => {
    for (const [k, v] of Object.entries(stackEnv(stackConfigOf(cmd)))) console.log(`export ${k}='${v.replace(/'/g, `'\\''`)}'`);
  });
  return stack;
}
