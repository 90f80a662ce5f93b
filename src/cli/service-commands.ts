/** `foresight processor` and `foresight committer`: the two long-running services. */
import { Command } from 'commander';
import { startCommitter } from '../committer/committer.js';
import { startAlertBridge } from '../alerting/alert-bridge.js';
import { loadAlertBridgeConfig, loadCommitterConfig, loadConfig } from '../config/config.js';
import { startProcessor } from '../processor/processor.js';
import { runService } from '../service-runtime/runtime.js';

export function processorCommand(): Command {
  return new Command('processor')
    .description(
      'consume metrics.v1 and billing.v1 into windows in Redis, and publish recommendations, alerts and outcomes; configured by FORESIGHT_* environment variables (see README)',
    )
    .action(async () => {
      await runService('processor', startProcessor, ['kafka', 'registry', 'redis']);
    });
}

export function committerCommand(): Command {
  return new Command('committer')
    .description('consume recommendations.v1 and turn them into GitOps changes; configured by FORESIGHT_* environment variables (see README)')
    .action(async () => {
      loadConfig(); // the shared settings first, then the committer's: each error names its variable before anything starts
      const committerCfg = loadCommitterConfig();
      await runService('committer', (ctx) => startCommitter(ctx, committerCfg));
    });
}

export function alertBridgeCommand(): Command {
  return new Command('alert-bridge')
    .description(
      'consume alerts.v1 and post each alert to Alertmanager (FORESIGHT_ALERTMANAGER_URL); configured by FORESIGHT_* environment variables (see README)',
    )
    .action(async () => {
      loadConfig();
      const bridgeCfg = loadAlertBridgeConfig();
      await runService('alert-bridge', (ctx) => startAlertBridge(ctx, bridgeCfg));
    });
}
