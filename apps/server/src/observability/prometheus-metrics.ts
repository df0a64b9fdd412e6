import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallRecord } from '../domain/calls.ts';
import type { CallObserver } from '../gateway/call-observer.ts';

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
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly requestSeconds: Histogram<'method' | 'route' | 'status'>;
  private readonly overheadSeconds: Histogram<'route'>;
  private readonly upstreamSeconds: Histogram<'deployment' | 'provider' | 'outcome'>;
  private readonly upstreamErrors: Counter<'deployment' | 'provider' | 'kind'>;
  private readonly calls: Counter<'model_group' | 'status' | 'stream'>;
  private readonly tokens: Counter<'model_group' | 'kind'>;
  private readonly clientCost: Counter<'model_group'>;
  private readonly unpriced: Counter<'deployment'>;
  private readonly creditsCharged: Counter;

  constructor(sources: ScrapeSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'saas_llm_process_' });
    const registers = [this.registry];
    this.requests = new Counter({ name: 'saas_llm_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers });
    this.requestSeconds = new Histogram({ name: 'saas_llm_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['method', 'route', 'status'], buckets: LATENCY_BUCKETS, registers });
    this.overheadSeconds = new Histogram({ name: 'saas_llm_gateway_overhead_seconds', help: 'Time spent in the gateway itself (total minus upstream)', labelNames: ['route'], buckets: OVERHEAD_BUCKETS, registers });
    this.upstreamSeconds = new Histogram({ name: 'saas_llm_upstream_attempt_duration_seconds', help: 'Upstream attempt latency per deployment', labelNames: ['deployment', 'provider', 'outcome'], buckets: LATENCY_BUCKETS, registers });
    this.upstreamErrors = new Counter({ name: 'saas_llm_upstream_errors_total', help: 'Failed upstream attempts per deployment and error kind', labelNames: ['deployment', 'provider', 'kind'], registers });
    this.calls = new Counter({ name: 'saas_llm_calls_total', help: 'LLM calls by model group and outcome', labelNames: ['model_group', 'status', 'stream'], registers });
    this.tokens = new Counter({ name: 'saas_llm_tokens_total', help: 'Tokens metered', labelNames: ['model_group', 'kind'], registers });
    this.clientCost = new Counter({ name: 'saas_llm_client_cost_usd_total', help: 'What tenants were priced, USD', labelNames: ['model_group'], registers });
    this.unpriced = new Counter({ name: 'saas_llm_unpriced_calls_total', help: 'Calls with no deployment price and no shipped price (recorded at cost 0)', labelNames: ['deployment'], registers });
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
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.requestSeconds.observe(labels, totalMs / 1000);
    if (route.startsWith('/api/jobs') || route.startsWith('/v1')) this.overheadSeconds.observe({ route }, Math.max(0, totalMs - upstreamMs) / 1000);
  }

  callSettled(call: CallRecord): void {
    const group = call.modelGroup ?? call.requestedModel;
    this.calls.inc({ model_group: group, status: call.status, stream: String(call.stream) });
    this.tokens.inc({ model_group: group, kind: 'prompt' }, call.promptTokens);
    this.tokens.inc({ model_group: group, kind: 'completion' }, call.completionTokens);
    this.clientCost.inc({ model_group: group }, call.clientCostNanos / 1e9);
    if (call.unpriced && call.deploymentAlias) this.unpriced.inc({ deployment: call.deploymentAlias });
    for (const attempt of call.attempts) {
      this.upstreamSeconds.observe({ deployment: attempt.deploymentAlias, provider: attempt.provider, outcome: attempt.status }, attempt.latencyMs / 1000);
      if (attempt.status === 'failed') this.upstreamErrors.inc({ deployment: attempt.deploymentAlias, provider: attempt.provider, kind: attempt.errorClass ?? 'unknown' });
    }
  }

  jobCharged(credits: number): void {
    if (credits > 0) this.creditsCharged.inc(credits);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
