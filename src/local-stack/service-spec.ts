/**
 * One service of the local stack as the stack runs it (stack.ts): its name, where it answers,
 * its files and ports, how it is probed and prepared. The plain services (services.ts), the
 * Redis Cluster's masters (redis-cluster.ts) and Prometheus and Alertmanager
 * (observability-services.ts) each describe theirs with it.
 */

export type RedisClusterNodeName = `redis-cluster-${1 | 2 | 3}`;

export type ServiceName = 'redis' | RedisClusterNodeName | 'kafka' | 'registry' | 'prometheus' | 'alertmanager';

export interface ServiceSpec {
  name: ServiceName;
  address: string;
  logFile: string;
  pidFile: string;
  readyTimeoutMs: number;
  /** the ports it listens on, each with the flag that moves it */
  ports: { port: number; flag: string }[];
  probe(): Promise<boolean>;
  /** Answering but still loading its data (a Redis reading a large append-only file): start-up waits on past readyTimeoutMs. */
  loading?(): Promise<boolean>;
  /** Resolves artifacts and prepares storage; returns the command to run. */
  prepare(progress: (msg: string) => void): { cmd: string; args: string[]; marker: string };
}
