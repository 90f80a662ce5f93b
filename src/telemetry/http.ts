/**
 * The service's HTTP endpoint: /healthz (the process is alive), /readyz (it has joined its
 * consumer group and reached its stores) and /metrics (Prometheus text format).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

export interface HealthServer {
  port: number;
  setReady(ready: boolean, why?: string): void;
  close(): Promise<void>;
}

export async function startHealthServer(host: string, port: number, prometheus: PrometheusExporter): Promise<HealthServer> {
  let ready = false;
  let why = 'starting';
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/metrics') return prometheus.getMetricsRequestHandler(req, res);
    if (url === '/healthz') return reply(res, 200, { status: 'ok' });
    if (url === '/readyz') return reply(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not-ready', reason: why });
    return reply(res, 404, { error: 'not found', endpoints: ['/healthz', '/readyz', '/metrics'] });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    setReady(r, w = '') {
      ready = r;
      why = w;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
