/**
 * Where and on which ports the local stack runs. Each value comes from a command-line flag,
 * else an environment variable, else the default.
 */
import path from 'node:path';
import { z } from 'zod';
import { envVar, port, readVar, type Env } from '../config/env.js';
import { PROJECT_ROOT } from '../util/paths.js';

export const STACK_DIR = envVar('FORESIGHT_STACK_DIR', z.string().min(1), path.join(PROJECT_ROOT, '.foresight', 'stack'), 'a directory path', 'Root of the local stack\'s data, logs and pid files.');
export const STACK_DATA_DIR = envVar('FORESIGHT_STACK_DATA_DIR', z.string().min(1).optional(), undefined, 'a directory path', 'Data folder of the local stack (default: $FORESIGHT_STACK_DIR/data).');
export const STACK_LOG_DIR = envVar('FORESIGHT_STACK_LOG_DIR', z.string().min(1).optional(), undefined, 'a directory path', 'Log folder of the local stack (default: $FORESIGHT_STACK_DIR/logs).');
export const STACK_KAFKA_PORT = envVar('FORESIGHT_STACK_KAFKA_PORT', port.min(1), '9092', 'a TCP port', 'Kafka broker port of the local stack.');
export const STACK_CONTROLLER_PORT = envVar('FORESIGHT_STACK_CONTROLLER_PORT', port.min(1), '9093', 'a TCP port', 'KRaft controller port of the local stack.');
export const STACK_REGISTRY_PORT = envVar('FORESIGHT_STACK_REGISTRY_PORT', port.min(1), '8081', 'a TCP port', 'Schema Registry (Apicurio) port of the local stack.');
export const STACK_REDIS_PORT = envVar('FORESIGHT_STACK_REDIS_PORT', port.min(1), '6379', 'a TCP port', 'Redis port of the local stack.');

export const STACK_VARIABLES = [STACK_DIR, STACK_DATA_DIR, STACK_LOG_DIR, STACK_KAFKA_PORT, STACK_CONTROLLER_PORT, STACK_REGISTRY_PORT, STACK_REDIS_PORT] as const;

export interface StackConfig {
  dir: string;
  dataDir: string;
  logDir: string;
  runDir: string;
  kafkaPort: number;
  controllerPort: number;
  registryPort: number;
  redisPort: number;
}

export interface StackFlags {
  dir?: string;
  dataDir?: string;
  logDir?: string;
  kafkaPort?: number;
  controllerPort?: number;
  registryPort?: number;
  redisPort?: number;
}

export function loadStackConfig(flags: StackFlags = {}, env: Env = process.env): StackConfig {
  const dir = path.resolve(flags.dir ?? readVar(STACK_DIR, env));
  const cfg: StackConfig = {
    dir,
    dataDir: path.resolve(flags.dataDir ?? readVar(STACK_DATA_DIR, env) ?? path.join(dir, 'data')),
    logDir: path.resolve(flags.logDir ?? readVar(STACK_LOG_DIR, env) ?? path.join(dir, 'logs')),
    runDir: path.join(dir, 'run'),
    kafkaPort: flags.kafkaPort ?? readVar(STACK_KAFKA_PORT, env),
    controllerPort: flags.controllerPort ?? readVar(STACK_CONTROLLER_PORT, env),
    registryPort: flags.registryPort ?? readVar(STACK_REGISTRY_PORT, env),
    redisPort: flags.redisPort ?? readVar(STACK_REDIS_PORT, env),
  };
  return cfg;
}

/** The client-side addresses of a local stack, as the services' environment variables expect them. */
export function stackEnv(cfg: StackConfig): Record<string, string> {
  return {
    FORESIGHT_KAFKA_BROKERS: `127.0.0.1:${cfg.kafkaPort}`,
    FORESIGHT_SCHEMA_REGISTRY_URL: `http://127.0.0.1:${cfg.registryPort}/apis/ccompat/v7`,
    FORESIGHT_REDIS_URL: `redis://127.0.0.1:${cfg.redisPort}`,
  };
}
