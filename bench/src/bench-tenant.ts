import { shapedBasePath, type StreamShape } from './mock-upstream.ts';

/** The stream shapes the benchmark uses; each becomes a deployment and a model group of the same name. */
export const SHAPES = {
  /** Non-streaming answers, and streams of 8 chunks with no pause: the throughput rows and the soak. */
  instant: { ttftMs: 0, gapMs: 0, chunks: 8 },
  /** Time to first token and per-chunk delay: 20 ms to the first token, then 20 chunks 10 ms apart. */
  probe: { ttftMs: 20, gapMs: 10, chunks: 20 },
  /** Streams that stay open (1,000 at once for the memory figure): a chunk a second for a minute. */
  hold: { ttftMs: 0, gapMs: 1000, chunks: 60 },
} as const satisfies Record<string, StreamShape>;
export type ShapeName = keyof typeof SHAPES;

export const BENCH_ORGANIZATION = 'bench';
export const BENCH_TEAM = 'bench-team';
export const BENCH_ACCESS_GROUP = 'bench-access';
/** Enough for every call of a bench run and a soak many times over; the ledger must still balance. */
export const BENCH_CREDITS = 100_000_000;

export interface BenchTenant {
  teamId: string;
  virtualKey: string;
  /** Model group name of each shape. */
  groups: Record<ShapeName, string>;
}

/** A small client of the admin API with the master key (the bench needs five create calls and a few reads). */
export class AdminApi {
  constructor(readonly baseUrl: string, private readonly masterKey: string) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { 'x-admin-key': this.masterKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }
}

/**
 * Creates the benchmark tenant through the admin API, with governance fully on: an `openai` deployment per
 * stream shape pointing at the mock upstream (priced, so every call is metered and charged), a model group
 * and an access group, and a team in `consumption_tokens` mode — the mode where every call reserves its
 * worst case before the upstream is contacted and settles it afterwards (the `job_based` mode holds
 * nothing per call and would be the lighter path). Limits are off (null); rate limiting still runs its
 * counters on every call.
 */
export async function createBenchTenant(admin: AdminApi, mockOrigin: string, suffix = ''): Promise<BenchTenant> {
  // A suffix lets several runs share one PostgreSQL database (the scaling runs) without name clashes.
  const named = (name: string) => (suffix ? `${name}-${suffix}` : name);
  const organization = named(BENCH_ORGANIZATION);
  await admin.request('POST', '/api/organizations/create', { organization_id: organization, name: 'Benchmark' });
  // The mock wants no key; the credential exists because an `openai` deployment must name one.
  const credential = await admin.request<{ credential_id: string }>('POST', '/api/provider-credentials/create', { provider: 'openai', name: named('bench-mock'), api_key: 'sk-bench-mock' });
  const groups = {} as Record<ShapeName, string>;
  for (const [name, shape] of Object.entries(SHAPES) as Array<[ShapeName, StreamShape]>) {
    const alias = named(`bench-${name}`);
    await admin.request('POST', '/api/models/create', {
      alias, provider: 'openai', model: 'bench-mock-model', credential_id: credential.credential_id, api_base: `${mockOrigin}${shapedBasePath(shape)}`,
      input_price_per_million: 0.15, output_price_per_million: 0.6, context_window: 128_000, max_output_tokens: 4096,
    });
    await admin.request('POST', '/api/model-groups/create', { name: alias, strategy: 'priority', members: [{ alias, priority: 0 }] });
    groups[name] = alias;
  }
  await admin.request('POST', '/api/model-access-groups/create', { name: named(BENCH_ACCESS_GROUP), model_groups: Object.values(groups) });
  const team = await admin.request<{ team_id: string; virtual_key: string }>('POST', '/api/teams/create', {
    team_id: named(BENCH_TEAM), organization_id: organization, name: 'Benchmark team', access_groups: [named(BENCH_ACCESS_GROUP)],
    credits_allocated: BENCH_CREDITS, budget_mode: 'consumption_tokens', tokens_per_credit: 1000, failed_job_policy: 'free',
    body_logging: 'full', rpm_limit: null, tpm_limit: null, max_concurrent_calls: null, max_open_jobs: null, key_name: 'bench',
  });
  return { teamId: team.team_id, virtualKey: team.virtual_key, groups };
}

/**
 * Opens a long-lived job for the job-API rows: every benchmark call of a row is a call in that job, the
 * way a tenant's batch uses the API (one job, many calls). `max_calls` is generous but set, so the job
 * budget check runs on every admission.
 */
export async function openBenchJob(gatewayUrl: string, virtualKey: string, jobType: string): Promise<string> {
  const response = await fetch(`${gatewayUrl}/api/jobs/create`, {
    method: 'POST',
    headers: { authorization: `Bearer ${virtualKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ job_type: jobType, max_calls: 1_000_000, ttl_seconds: 24 * 3600 }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST /api/jobs/create → ${response.status}: ${text.slice(0, 500)}`);
  return (JSON.parse(text) as { job_id: string }).job_id;
}

/** Completes a job (its single charge, its holds released). */
export async function completeBenchJob(gatewayUrl: string, virtualKey: string, jobId: string): Promise<void> {
  const response = await fetch(`${gatewayUrl}/api/jobs/${jobId}/complete`, {
    method: 'POST',
    headers: { authorization: `Bearer ${virtualKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'completed' }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST /api/jobs/${jobId}/complete → ${response.status}: ${text.slice(0, 500)}`);
}
