/**
 * What both services share: configuration validated once, JSON logs, OpenTelemetry, the
 * health/metrics endpoint, Kafka and the registry (schemas registered, topics ensured), and
 * graceful shutdown on SIGTERM/SIGINT/SIGHUP (the service stops its consumer, which finishes the
 * batch in hand and commits only processed offsets, then everything disconnects).
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka, Producer } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec.js';
import { loadConfig, type ServiceConfig } from '../config/config.js';
import type { Env } from '../config/env.js';
import { startHealthServer, type HealthServer } from '../telemetry/http.js';
import { createLogger, type Logger } from '../telemetry/log.js';
import { setupTelemetry, type Telemetry } from '../telemetry/otel.js';
import { errorMessage } from '../util/errors.js';
import { connectClients } from './clients.js';
import { requireReachable, waitForStack, type StackService } from './reachability.js';

export interface ServiceContext {
  name: string;
  cfg: ServiceConfig;
  log: Logger;
  telemetry: Telemetry;
  health: HealthServer;
  kafka: Kafka;
  registry: SchemaRegistry;
  codec: AvroCodec;
  producer: Producer;
}

export interface RunningService {
  stop(): Promise<void>;
}

export interface ContextOptions {
  /** the stack's services it needs (default Kafka and the registry, which every service uses) */
  needs?: readonly StackService[];
  /** when one of them does not answer at start: wait for it, saying so (a service), or stop with one line (default: a one-shot command such as a benchmark) */
  waitForStack?: boolean;
}

/** Configuration, logs, telemetry, the health endpoint and the clients, ready for a service. */
export async function createServiceContext(
  name: string,
  env: Env = process.env,
  opts: ContextOptions = {},
): Promise<ServiceContext & { schemaIds: Record<string, number> }> {
  const cfg = loadConfig(env); // throws ConfigError naming the variable, before anything starts
  const needs = opts.needs ?? ['kafka', 'registry'];
  if (!opts.waitForStack) await requireReachable(cfg, needs);
  const log = createLogger(name, cfg.telemetry.logLevel);
  const telemetry = setupTelemetry(name, cfg.telemetry.otlpEndpoint);
  const health = await startHealthServer(cfg.telemetry.httpHost, cfg.telemetry.httpPort, telemetry.prometheus);
  log.info({ port: health.port }, 'health and metrics endpoint listening');
  if (opts.waitForStack) {
    await waitForStack(cfg, needs, log, { onWaiting: (what) => health.setReady(false, `waiting for ${what}`) });
    health.setReady(false, 'starting');
  }
  const { kafka, registry, codec, producer, schemaIds } = await connectClients(cfg, log, name);
  return { name, cfg, log, telemetry, health, kafka, registry, codec, producer, schemaIds };
}

/** Runs a long-running service: at start it waits for the stack's services in `needs` (saying so), then until SIGTERM, SIGINT or SIGHUP. */
export async function runService(
  name: string,
  start: (ctx: ServiceContext) => Promise<RunningService>,
  needs?: readonly StackService[],
  env: Env = process.env,
): Promise<void> {
  const ctx = await createServiceContext(name, env, { needs, waitForStack: true });
  const { log, health, producer, telemetry, schemaIds } = ctx;
  const service = await start(ctx);
  log.info({ schemas: schemaIds }, `${name} started`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down: finishing the batch in hand');
      health.setReady(false, 'shutting down');
      void (async () => {
        try {
          await service.stop();
          await producer.disconnect();
        } catch (err) {
          log.error({ err: errorMessage(err) }, 'error during shutdown');
        }
        await telemetry.shutdown();
        await health.close();
        log.info('stopped');
        resolve();
      })();
    };
    // on the first of them the handlers go, so a second signal, whichever, ends the process at once
    // (the CLI's exit-on-signal.ts, else Node's default); but not one in the next half second: Ctrl-C
    // on `npx foresight processor` can bring the service two SIGINTs at once, the terminal's and the
    // one npm forwards, and a person's second Ctrl-C comes later than that. SIGHUP (the terminal
    // closed) stops it as SIGTERM does.
    const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
    const ignoreRepeat = (): void => undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      for (const s of STOP_SIGNALS) {
        process.removeListener(s, handlers[s]);
        process.on(s, ignoreRepeat);
      }
      setTimeout(() => {
        for (const s of STOP_SIGNALS) process.removeListener(s, ignoreRepeat);
      }, 500).unref();
      shutdown(signal);
    };
    const handlers = Object.fromEntries(STOP_SIGNALS.map((s) => [s, (): void => onSignal(s)])) as Record<(typeof STOP_SIGNALS)[number], () => void>;
    for (const s of STOP_SIGNALS) process.on(s, handlers[s]);
  });
}
