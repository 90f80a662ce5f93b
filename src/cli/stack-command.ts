/** `foresight stack up | down | status` */
import { Command, Option } from 'commander';
import { ensureApicurio, ensureKafkaLibs, ensureRedisServer, APICURIO_JAR, KAFKA_LIBS } from '../stack/artifacts.js';
import { formatStatus, stackDown, stackStatus, stackUp } from '../stack/stack.js';
import { loadStackConfig, type StackFlags } from '../stack/stack-config.js';
import { parsePort } from './options.js';

function withStackOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--dir <path>', 'root of the stack\'s data, logs and pid files').env('FORESIGHT_STACK_DIR'))
    .addOption(new Option('--data-dir <path>', 'data folder (default <dir>/data)').env('FORESIGHT_STACK_DATA_DIR'))
    .addOption(new Option('--log-dir <path>', 'log folder (default <dir>/logs)').env('FORESIGHT_STACK_LOG_DIR'))
    .addOption(new Option('--kafka-port <port>', 'Kafka broker port').argParser(parsePort).env('FORESIGHT_STACK_KAFKA_PORT'))
    .addOption(new Option('--controller-port <port>', 'KRaft controller port').argParser(parsePort).env('FORESIGHT_STACK_CONTROLLER_PORT'))
    .addOption(new Option('--registry-port <port>', 'Schema Registry port').argParser(parsePort).env('FORESIGHT_STACK_REGISTRY_PORT'))
    .addOption(new Option('--redis-port <port>', 'Redis port').argParser(parsePort).env('FORESIGHT_STACK_REDIS_PORT'));
}

const progress = (msg: string): void => console.log(msg);

export function stackCommand(): Command {
  const stack = new Command('stack').description('start, stop and inspect the local stack (Kafka, Schema Registry, Redis) without Docker');
  stack.command('install').description('resolve the services\' artifacts without starting them (Kafka and Apicurio from Maven Central, redis-server from Debian)')
    .action(() => {
      const redis = ensureRedisServer(progress);
      ensureKafkaLibs(progress);
      ensureApicurio(progress);
      console.log(`redis-server: ${redis}\nkafka libs:   ${KAFKA_LIBS}\nregistry:     ${APICURIO_JAR}`);
    });
  withStackOptions(stack.command('up').description('start Kafka (KRaft), Apicurio Registry and Redis; wait until each answers (idempotent)'))
    .action(async (flags: StackFlags) => {
      const t0 = Date.now();
      const statuses = await stackUp(loadStackConfig(flags), progress);
      console.log(formatStatus(statuses));
      console.log(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });
  withStackOptions(stack.command('down').description('stop the processes that `stack up` started (and nothing else)'))
    .action(async (flags: StackFlags) => {
      await stackDown(loadStackConfig(flags), progress);
    });
  withStackOptions(stack.command('status').description('print each service\'s state and address'))
    .action(async (flags: StackFlags) => {
      console.log(formatStatus(await stackStatus(loadStackConfig(flags))));
    });
  return stack;
}
