/**
 * ONNX Runtime sessions, created once and reused. Execution providers are tried in the
 * configured order (`cuda`, then `cpu` by default): when CUDA is requested but not available
 * (no GPU, or onnxruntime-node installed without its CUDA libraries), the session falls back
 * to CPU. A provider whose shared library is missing is the expected case on a machine
 * without a GPU: one `info` line (silent in the CLI, whose logs start at `warn`). Any other
 * failure of a requested provider (a GPU whose session cannot be created) is a `warn`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import './ort-telemetry.js'; // before onnxruntime-node: its telemetry off (ort-telemetry.ts)
import ort from 'onnxruntime-node';
import type { Logger } from '../telemetry/log.js';

export type Provider = 'cuda' | 'cpu';

export interface LoadedSession {
  session: ort.InferenceSession;
  provider: Provider;
  /** why the first provider asked for is not the one running (absent when it is) */
  fallbackReason?: string;
}

/**
 * Why CUDA did not load, in words a user can act on: ONNX Runtime's own error says only "Failed
 * to load shared library" (its detail goes to its log, kept quiet). The provider library sits
 * beside onnxruntime-node's libonnxruntime.so.1 when installed.
 */
export function cudaUnavailableReason(err: unknown): string {
  const message = String((err as Error)?.message ?? err).split('\n')[0];
  if (!/Failed to load shared library/i.test(message)) return message;
  // no GPU at all: installing libraries cannot help (the driver makes /proc/driver/nvidia and /dev/nvidia*)
  if (!existsSync('/proc/driver/nvidia') && !existsSync('/dev/nvidia0'))
    return 'no NVIDIA GPU or driver on this host (no /proc/driver/nvidia, no /dev/nvidia0): CUDA cannot run here, the CPU is the provider to use';
  let dir: string;
  try {
    dir = path.join(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return message;
  }
  const lib = path.join(dir, 'libonnxruntime_providers_cuda.so');
  return existsSync(lib)
    ? `the CUDA provider is installed but its CUDA libraries did not load (\`ldd ${lib} | grep 'not found'\` lists the missing ones; put their folder on LD_LIBRARY_PATH)`
    : `onnxruntime-node's CUDA provider is not installed (${dir} has no libonnxruntime_providers_cuda.so: scripts/cuda-provider.sh, or the Dockerfile's gpu target)`;
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
      if (provider === wanted[0]) return { session, provider };
      const raw = String((lastErr as Error)?.message ?? lastErr).split('\n')[0];
      const expected = /Failed to load shared library|not (?:supported|available|found)/i.test(raw);
      const reason = wanted[0] === 'cuda' ? cudaUnavailableReason(lastErr) : raw;
      log?.[expected ? 'info' : 'warn'](
        { model: modelPath, requested: wanted[0], using: provider, reason },
        `models run on ${provider}: execution provider ${wanted[0]} is not available here`,
      );
      return { session, provider, fallbackReason: reason };
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
