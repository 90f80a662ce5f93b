/**
 * The schema registry over HTTP(S), with the configured CA and basic auth
 * (config/security.ts): the Confluent client's options (a https.Agent carrying the CA, and
 * mappersmith's basic-auth middleware), and one GET for what the codec fetches itself.
 * Node's global fetch cannot take a CA per request without undici, hence node:http(s).
 */
import http from 'node:http';
import https from 'node:https';
import type { HttpSecurity } from '../config/security.js';

export interface RegistryEndpoint {
  url: string;
  security?: HttpSecurity;
}

const agents = new WeakMap<HttpSecurity, https.Agent>();

export function registryAgent(sec: HttpSecurity | undefined): https.Agent | undefined {
  if (sec?.ca === undefined) return undefined;
  let agent = agents.get(sec);
  if (!agent) {
    agent = new https.Agent({ ca: sec.ca, keepAlive: true });
    agents.set(sec, agent);
  }
  return agent;
}

/** GET `${url}${path}`; resolves with the status and body text, rejects on network errors (with their `code`). */
export function registryGet(endpoint: RegistryEndpoint | string, path: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  const { url, security } = typeof endpoint === 'string' ? { url: endpoint, security: undefined } : endpoint;
  const target = new URL(`${url}${path}`);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (security?.auth) headers.authorization = `Basic ${Buffer.from(`${security.auth.username}:${security.auth.password.reveal()}`).toString('base64')}`;
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      target,
      { method: 'GET', headers, agent: target.protocol === 'https:' ? registryAgent(security) : undefined, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`GET ${target.pathname}: ETIMEDOUT`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}
