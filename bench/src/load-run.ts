import autocannon, { type AutocannonRequest, type AutocannonResult } from 'autocannon';
import { round2 } from './pinned-process.ts';

/** One HTTP request the load generator repeats. */
export interface RequestSpec {
  /** Absolute URL (origin and path). */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadResult {
  connections: number;
  /** Requests/s asked for (open loop), or null for as fast as the connections go (closed loop). */
  targetRate: number | null;
  seconds: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** 2xx answers per second. */
  rps: number;
  /** Latency of 2xx answers, ms, from autocannon's own per-response timings (sub-millisecond precision). */
  latencyMs: LatencySummary;
  statusCodes: Record<string, number>;
}

export interface LoadOptions {
  connections: number;
  seconds?: number;
  /** Stop after this many requests (the soak); the run still ends at `seconds` if that comes first. */
  amount?: number;
  /** Open loop: this many requests/s over all connections. */
  overallRate?: number;
  /** Several bodies, sent in turn on each connection (the soak's mix). */
  mix?: RequestSpec[];
  /** Called every second with the requests completed so far (the soak samples RSS with it). */
  onTick?: (completed: number) => void;
}

/** One closed-loop measurement with the CPU the process under test spent on it. */
export type MeasuredLoad = LoadResult & { cpuUsPerRequest: number };

/**
 * Several passes of the same measurement as one: answers, errors and seconds summed, so requests/s and CPU
 * per request are over every pass; latency is the passes' mean p50 and mean, and their highest p90, p99
 * and max (percentiles of separate runs cannot be merged exactly without their samples).
 */
export function combinePasses(passes: readonly MeasuredLoad[]): MeasuredLoad {
  if (passes.length === 0) throw new Error('combinePasses: no pass');
  if (passes.length === 1) return passes[0]!;
  const sum = (pick: (pass: MeasuredLoad) => number) => passes.reduce((total, pass) => total + pick(pass), 0);
  const highest = (pick: (pass: MeasuredLoad) => number) => Math.max(...passes.map(pick));
  const mean = (pick: (pass: MeasuredLoad) => number) => round2(sum(pick) / passes.length);
  const ok = sum((pass) => pass.ok);
  const answered = ok + sum((pass) => pass.non2xx);
  const seconds = sum((pass) => pass.seconds);
  const cpuUs = sum((pass) => pass.cpuUsPerRequest * (pass.ok + pass.non2xx));
  const statusCodes: Record<string, number> = {};
  for (const pass of passes) for (const [code, count] of Object.entries(pass.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  return {
    connections: passes[0]!.connections, targetRate: passes[0]!.targetRate, seconds: round2(seconds), ok, non2xx: sum((pass) => pass.non2xx),
    errors: sum((pass) => pass.errors), timeouts: sum((pass) => pass.timeouts), rps: seconds > 0 ? Math.round(ok / seconds) : 0,
    latencyMs: { p50: mean((pass) => pass.latencyMs.p50), p90: highest((pass) => pass.latencyMs.p90), p99: highest((pass) => pass.latencyMs.p99),
      max: highest((pass) => pass.latencyMs.max), mean: mean((pass) => pass.latencyMs.mean) },
    statusCodes, cpuUsPerRequest: answered > 0 ? Math.round(cpuUs / answered) : 0,
  };
}

/** Percentiles of `values` (ms), rounded to 0.01 ms. */
export function summarise(values: number[]): LatencySummary {
  if (values.length === 0) return { p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (quantile: number) => sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))]!;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { p50: round2(at(0.5)), p90: round2(at(0.9)), p99: round2(at(0.99)), max: round2(sorted[sorted.length - 1]!), mean: round2(sum / sorted.length) };
}

/**
 * Drives `spec` with autocannon's programmatic API. Latencies are collected from its `response` events
 * (floating-point ms) rather than its histogram, which rounds to whole milliseconds — too coarse for a
 * 1 ms bar. Every run is bounded by `seconds` (and by `amount` when given).
 */
export async function runLoad(spec: RequestSpec, options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const target = new URL(spec.url);
  const requests: AutocannonRequest[] = (options.mix ?? [spec]).map((each) => {
    const url = new URL(each.url);
    if (url.origin !== target.origin) throw new Error('every request of a mix must go to the same origin');
    return { method: 'POST', path: `${url.pathname}${url.search}`, headers: { 'content-type': 'application/json', ...each.headers }, body: each.body };
  });
  const seconds = options.seconds ?? 10;
  const result = await new Promise<AutocannonResult>((resolveRun, reject) => {
    let completed = 0;
    const instance = autocannon({
      url: target.origin,
      connections: options.connections,
      duration: seconds,
      ...(options.amount ? { amount: options.amount } : {}),
      ...(options.overallRate ? { overallRate: options.overallRate } : {}),
      timeout: 30,
      requests,
    }, (error, done) => (error ? reject(error) : resolveRun(done)));
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      completed++;
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
    if (options.onTick) {
      const tick = setInterval(() => options.onTick!(completed), 1000);
      instance.on('done', () => clearInterval(tick));
    }
  });
  const elapsed = (result.finish.getTime() - result.start.getTime()) / 1000;
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  return {
    connections: options.connections,
    targetRate: options.overallRate ?? null,
    seconds: round2(elapsed),
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    rps: Math.round(result['2xx'] / elapsed),
    latencyMs: summarise(latencies),
    statusCodes,
  };
}
