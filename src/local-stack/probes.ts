/**
 * "Really answers" checks for each service: a Kafka metadata request, a registry GET and a
 * Redis PING. Each returns quickly with true/false and never throws.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { registryGet } from '../codec/registry-http.js';
import type { HttpSecurity } from '../config/security.js';

/** How to reach a secured Redis: TLS with this CA, AUTH with this user (secure stack). */
export interface RedisProbeAuth {
  ca: string;
  username: string;
  password: string;
}

export async function kafkaAnswers(broker: string, timeoutMs = 2_000, security: Pick<KafkaConfig, 'ssl' | 'sasl'> = {}): Promise<boolean> {
  const kafka = new Kafka({
    brokers: [broker],
    ...security,
    clientId: 'foresight-probe',
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster(); // a Metadata request
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function registryAnswers(baseUrl: string, timeoutMs = 2_000, security?: HttpSecurity): Promise<boolean> {
  try {
    const res = await registryGet({ url: baseUrl, security }, '/subjects', timeoutMs);
    return res.status === 200;
  } catch {
    return false;
  }
}

export function redisAnswers(host: string, port: number, timeoutMs = 1_000, auth?: RedisProbeAuth): Promise<boolean> {
  return redisState(host, port, timeoutMs, auth).then((state) => state === 'ready');
}

/** A Redis replaying its append-only file answers only between chunks of it: seconds apart. */
export const LOADING_PROBE_MS = 5_000;

/**
 * A Redis's state: answering PING ('ready'), answering but still loading its data set from the
 * append-only file or snapshot ('loading': PING gets -LOADING, which can last minutes for a large
 * one), or not answering as a Redis ('down').
 */
export function redisState(host: string, port: number, timeoutMs = 1_000, auth?: RedisProbeAuth): Promise<'ready' | 'loading' | 'down'> {
  return new Promise((resolve) => {
    const socket = auth ? tls.connect({ host, port, ca: auth.ca, servername: host === '127.0.0.1' ? undefined : host }) : net.connect({ host, port });
    let buf = '';
    let expect = '+PONG';
    const done = (state: 'ready' | 'loading' | 'down'): void => {
      socket.destroy();
      resolve(state);
    };
    socket.setTimeout(timeoutMs, () => done('down'));
    socket.on('error', () => done('down'));
    socket.on('close', () => done('down')); // e.g. a non-Redis server that hangs up on PING
    if (auth) {
      // RESP arrays, so that no character of the password needs escaping
      const arg = (x: string): string => `$${Buffer.byteLength(x)}\r\n${x}\r\n`;
      socket.on('secureConnect', () => socket.write(`*3\r\n${arg('AUTH')}${arg(auth.username)}${arg(auth.password)}*1\r\n${arg('PING')}`));
      expect = '+OK\r\n+PONG';
    } else {
      socket.on('connect', () => socket.write('PING\r\n'));
    }
    socket.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.startsWith('-LOADING') || buf.includes('\r\n-LOADING')) done('loading');
      else if (buf.startsWith('-') || buf.split('\r\n').length > expect.split('\r\n').length) done(buf.startsWith(expect) ? 'ready' : 'down');
    });
  });
}

/** True when something listens on the port (whatever it is). */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
