/**
 * ONNX Runtime sessions, created once and reused. Execution providers are tried in the
 * configured order (`cuda`, then `cpu` by default): when CUDA is requested but not available
 * (no GPU, or onnxruntime-node installed without its CUDA libraries), the session falls back
 * to CPU. A provider whose shared library is missing is the expected case on a machine
 * without a GPU: one `info` line (silent in the CLI, whose logs start at `warn`). Any other
 * failure of a requested provider (a GPU whose session cannot be created) is a `warn`.
 */
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import type { Logger } from '../telemetry/log.js';

export type Provider = 'cuda' | 'cpu';

export interface LoadedSession {
  session: ort.InferenceSession;
  provider: Provider;
}

export async function createSession(modelPath: string, providers: Provider[], log?: Pick<Logger, 'warn' | 'info'>): Promise<LoadedSession> {
  const wanted = providers.length ? providers : ['cpu' as const];
  // ONNX Runtime prints its own error when a provider library is missing; we report the
  // fallback ourselves, once, so keep its log at fatal.
  ort.env.logLevel = 'fatal';
  let lastErr: unknown;
  for (const provider of wanted) {
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: 1,
        // a provider that cannot load is reported below, once; keep ONNX Runtime's own error line out
        logSeverityLevel: provider === wanted[wanted.length - 1] ? 2 : 4,
      });
      if (provider !== wanted[0]) {
        const reason = String((lastErr as Error)?.message ?? lastErr).split('\n')[0];
        const expected = /Failed to load shared library|not (?:supported|available|found)/i.test(reason);
        log?.[expected ? 'info' : 'warn'](
          { model: modelPath, requested: wanted[0], using: provider, reason },
          `models run on ${provider}: execution provider ${wanted[0]} is not available here`,
        );
      }
      return { session, provider };
    } catch (err) {
      lastErr = err;
    }
  }
  throw new Error(`no execution provider of ${wanted.join(', ')} could load ${modelPath}: ${(lastErr as Error)?.message ?? lastErr}`);
}

/** A model file and its metadata sidecar (<name>.json, written by training/train.py), loaded once. */
export async function loadModel<Info>(modelPath: string, providers: Provider[], log?: Pick<Logger, 'warn' | 'info'>): Promise<LoadedSession & { info: Info }> {
  const info = JSON.parse(readFileSync(modelPath.replace(/\.onnx$/, '.json'), 'utf8')) as Info;
  return { ...(await createSession(modelPath, providers, log)), info };
}
