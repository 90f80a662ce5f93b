/**
 * The FORESIGHT_* connection variables of a local stack, as the services and the CLI read
 * them: the plain stack's addresses (with the Redis Cluster's nodes), or the secured stack's
 * (secure-material.ts: its CA, users and password files).
 */
import { secureStackEnv } from './secure-material.js';
import { clusterNodePorts, type StackConfig } from './stack-config.js';

/** The client-side addresses of a local stack, as the services' environment variables expect them. */
export function stackEnv(cfg: StackConfig): Record<string, string> {
  if (cfg.secure) return secureStackEnv(cfg);
  return {
    FORESIGHT_KAFKA_BROKERS: `127.0.0.1:${cfg.kafkaPort}`,
    FORESIGHT_SCHEMA_REGISTRY_URL: `http://127.0.0.1:${cfg.registryPort}/apis/ccompat/v7`,
    FORESIGHT_REDIS_URL: `redis://127.0.0.1:${cfg.redisCluster ? cfg.redisClusterPort : cfg.redisPort}`,
    ...(cfg.redisCluster
      ? {
          FORESIGHT_REDIS_CLUSTER_NODES: clusterNodePorts(cfg)
            .map((p) => `127.0.0.1:${p}`)
            .join(','),
        }
      : {}),
  };
}
