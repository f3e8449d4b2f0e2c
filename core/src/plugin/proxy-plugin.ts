/**
 * The whole plugin of a zero-cost proxy, from its score: the plugin layer,
 * as it registers the proxy's metric (metric/proxy.ts) under METRIC.
 */
import { type ProxyChild, proxyMetric, proxyOptionsSchema, type ProxyRound, type ProxyRoundOptions } from '../metric/proxy';
import { METRIC } from '../tokens';
import type { AbsnasPlugin } from './plugin';

/** What a proxy plugin is made of (see proxyPlugin). */
export interface ProxyPluginSpec {
  /** The package name. */
  name: string;
  /** The plugin API version the plugin was built for, as a literal (AbsnasPlugin.apiVersion). */
  apiVersion: string;
  /** The metric's name in results ('synflow'). */
  metric: string;
  description: string;
  /** The defaults of the batch options of a proxy that reads one batch; absent for one that reads no data. */
  batch?: { batchSize: number; augment?: boolean };
  /** The proxy's value for one child's network. */
  score(child: ProxyChild, round: ProxyRound): Promise<number>;
}

/** A metric plugin for a zero-cost proxy: options `network` (and `batchSize`, `augment`), the metric proxyMetric makes. */
export function proxyPlugin(spec: ProxyPluginSpec): AbsnasPlugin<ProxyRoundOptions> {
  return {
    name: spec.name,
    apiVersion: spec.apiVersion,
    kind: 'metric',
    description: spec.description,
    schema: proxyOptionsSchema(spec.batch ?? {}),
    register(container, options) {
      container.register(METRIC, { useValue: proxyMetric(spec.metric, options, (child, round) => spec.score(child, round)) });
    },
  };
}
