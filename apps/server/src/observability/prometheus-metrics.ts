import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallRecord } from '../domain/calls.ts';
import type { CallObserver } from '../gateway/call-observer.ts';
import { CounterFamily, HistogramFamily } from './metric-series.ts';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

/** Sources read at scrape time (cache statistics of services that keep them). */
export interface ScrapeSources {
  activeStreams(): number;
  cacheStats(): Array<{ cache: string; hits: number; misses: number }>;
}

/**
 * The Prometheus metrics of `GET /metrics`: requests and latency per route and status, gateway overhead,
 * upstream latency and errors per deployment, calls, tokens, credits charged, active streams, caches.
 * One registry per process (tests build several gateways in one process).
 */
export class GatewayMetrics implements CallObserver {
  readonly registry = new Registry();
  private readonly requests: CounterFamily<'method' | 'route' | 'status'>;
  private readonly requestSeconds: HistogramFamily<'method' | 'route' | 'status'>;
  private readonly overheadSeconds: HistogramFamily<'route'>;
  private readonly upstreamSeconds: HistogramFamily<'deployment' | 'provider' | 'outcome'>;
  private readonly upstreamErrors: CounterFamily<'deployment' | 'provider' | 'kind'>;
  private readonly calls: CounterFamily<'model_group' | 'status' | 'stream'>;
  private readonly tokens: CounterFamily<'model_group' | 'kind'>;
  private readonly clientCost: CounterFamily<'model_group'>;
  private readonly unpriced: CounterFamily<'deployment'>;
  private readonly creditsCharged: Counter;

  constructor(sources: ScrapeSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'saas_llm_process_' });
    const registers = [this.registry];
    this.requests = new CounterFamily('saas_llm_http_requests_total', 'HTTP requests by route and status', ['method', 'route', 'status'], registers);
    this.requestSeconds = new HistogramFamily('saas_llm_http_request_duration_seconds', 'HTTP request latency', ['method', 'route', 'status'], LATENCY_BUCKETS, registers);
    this.overheadSeconds = new HistogramFamily('saas_llm_gateway_overhead_seconds', 'Time spent in the gateway itself (total minus upstream)', ['route'], OVERHEAD_BUCKETS, registers);
    this.upstreamSeconds = new HistogramFamily('saas_llm_upstream_attempt_duration_seconds', 'Upstream attempt latency per deployment', ['deployment', 'provider', 'outcome'], LATENCY_BUCKETS, registers);
    this.upstreamErrors = new CounterFamily('saas_llm_upstream_errors_total', 'Failed upstream attempts per deployment and error kind', ['deployment', 'provider', 'kind'], registers);
    this.calls = new CounterFamily('saas_llm_calls_total', 'LLM calls by model group and outcome', ['model_group', 'status', 'stream'], registers);
    this.tokens = new CounterFamily('saas_llm_tokens_total', 'Tokens metered', ['model_group', 'kind'], registers);
    this.clientCost = new CounterFamily('saas_llm_client_cost_usd_total', 'What tenants were priced, USD', ['model_group'], registers);
    this.unpriced = new CounterFamily('saas_llm_unpriced_calls_total', 'Calls with no deployment price and no shipped price (recorded at cost 0)', ['deployment'], registers);
    this.creditsCharged = new Counter({ name: 'saas_llm_credits_charged_total', help: 'Credits charged when jobs closed', registers });
    new Gauge({ name: 'saas_llm_active_streams', help: 'Streams being relayed now', registers, collect() { this.set(sources.activeStreams()); } });
    new Gauge({
      name: 'saas_llm_cache_hit_ratio', help: 'Hit ratio of in-memory hot-path caches', labelNames: ['cache'], registers,
      collect() {
        for (const stat of sources.cacheStats()) {
          const total = stat.hits + stat.misses;
          this.set({ cache: stat.cache }, total === 0 ? 1 : stat.hits / total);
        }
      },
    });
  }

  /** One finished HTTP request; `route` is the route pattern, never the raw URL (bounded label values). */
  httpRequest(method: string, route: string, status: number, totalMs: number, upstreamMs: number): void {
    const statusLabel = String(status);
    this.requests.series(method, route, statusLabel).inc();
    this.requestSeconds.series(method, route, statusLabel).observe(totalMs / 1000);
    if (route.startsWith('/api/jobs') || route.startsWith('/v1')) this.overheadSeconds.series(route).observe(Math.max(0, totalMs - upstreamMs) / 1000);
  }

  callSettled(call: CallRecord): void {
    const group = call.modelGroup ?? call.requestedModel;
    this.calls.series(group, call.status, String(call.stream)).inc();
    this.tokens.series(group, 'prompt').inc(call.promptTokens);
    this.tokens.series(group, 'completion').inc(call.completionTokens);
    this.clientCost.series(group).inc(call.clientCostNanos / 1e9);
    if (call.unpriced && call.deploymentAlias) this.unpriced.series(call.deploymentAlias).inc();
    for (const attempt of call.attempts) {
      this.upstreamSeconds.series(attempt.deploymentAlias, attempt.provider, attempt.status).observe(attempt.durationMs / 1000);
      if (attempt.status === 'failed') this.upstreamErrors.series(attempt.deploymentAlias, attempt.provider, attempt.errorClass ?? 'unknown').inc();
    }
  }

  jobCharged(credits: number): void {
    if (credits > 0) this.creditsCharged.inc(credits);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
