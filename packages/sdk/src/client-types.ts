import type {
  ChatCompletion, ChatCompletionChunk, ChatUsage, JobCosts, LlmCallRequest, TeamModelGroupView,
  creditCheckResultSchema, jobCreateSchema, jobCompleteSchema,
  teamSelfSchema, teamUsageQuerySchema,
} from '@saas-llm/protocol';

/*
 * The tenant API's request and response types (02-client-api.md). Request bodies come from the
 * protocol's zod schemas, so the SDK and the server cannot drift apart; responses the protocol has no
 * schema for are written out here from the same contract.
 */

/** What a schema accepts (`z.input`), without importing zod's types here. */
type WireInput<Schema extends { _zod: { input: unknown } }> = Schema['_zod']['input'];
/** What a schema produces (`z.infer`). */
type WireOutput<Schema extends { _zod: { output: unknown } }> = Schema['_zod']['output'];

// ---------- jobs ----------

/** `POST /api/jobs/create`: `job_type` is required; `team_id` defaults to the client's team. */
export type CreateJobParams = WireInput<typeof jobCreateSchema>;

/** A job's lifecycle state; the last four are final. */
export type JobStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled' | 'expired';

/** The answer of `createJob`. */
export interface CreatedJob {
  job_id: string;
  team_id: string;
  job_type: string;
  status: JobStatus;
  created_at: string;
  expires_at: string;
  metadata: Record<string, unknown>;
  user_id: string | null;
  max_cost_usd: number | null;
  max_calls: number | null;
}

/** `GET /api/jobs/{id}`: the job with live totals while it is open. */
export interface JobDetail {
  job_id: string;
  team_id: string;
  user_id: string | null;
  job_type: string;
  status: JobStatus;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  expires_at: string;
  metadata: Record<string, unknown>;
  result: Record<string, unknown> | null;
  error_message: string | null;
  credit_applied: boolean;
  model_groups_used: string[];
  max_cost_usd: number | null;
  max_calls: number | null;
  /** `JobCosts`' totals so far, with the calls still running (`credit_applied` is the job's own field, above). */
  costs: Omit<JobCosts, 'credit_applied' | 'credits_remaining'> & { in_flight_calls: number };
}

/** `POST /api/jobs/{id}/complete` without the job id, which `completeJob` takes separately. */
export type CompleteJobParams = Partial<WireInput<typeof jobCompleteSchema>> & {
  /** Defaults to the client's current job (the last one `createJob` opened). */
  jobId?: string;
};

/** One call in a closed job's summary. */
export interface CallSummary {
  call_id: string;
  purpose: string | null;
  model_group: string;
  status: 'succeeded' | 'failed' | 'cancelled' | (string & {});
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost_usd: number;
  latency_ms: number;
  error: { code: string; message: string } | null;
}

/** The answer of `completeJob` and `cancelJob`: totals, what the job was charged, and its calls. */
export interface ClosedJob {
  job_id: string;
  status: JobStatus;
  completed_at: string | null;
  costs: JobCosts;
  calls: CallSummary[];
}

/** `GET /api/jobs/{id}/costs`: one row per call. */
export interface JobCostBreakdown {
  job_id: string;
  team_id: string;
  job_type: string;
  status: JobStatus;
  costs: {
    total_cost_usd: number;
    breakdown: Array<{
      call_id: string;
      model_group: string;
      purpose: string | null;
      prompt_tokens: number;
      completion_tokens: number;
      cost_usd: number;
      created_at: string;
    }>;
  };
}

/** `GET /api/jobs/{id}/calls/{call_id}`: one call with its bodies (when the team keeps them). */
export interface CallRecord {
  call_id: string;
  job_id: string;
  model_group: string;
  purpose: string | null;
  status: 'succeeded' | 'failed' | 'cancelled' | (string & {});
  stream: boolean;
  attempts: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  total_tokens: number;
  /** `reported` by the provider, or `estimated` by the gateway (e.g. a stream the client abandoned). */
  usage_source: 'reported' | 'estimated' | (string & {});
  cost_usd: number;
  latency_ms: number;
  ttft_ms: number | null;
  error: { code: string; message: string } | null;
  request: unknown;
  response: unknown;
  created_at: string;
  finished_at: string;
}

// ---------- calls ----------

/**
 * Options of one LLM call that belong to the SDK, not to the request body. `jobId` defaults to the
 * client's current job (the last one `createJob` opened and no `completeJob` closed).
 */
export interface CallTarget {
  jobId?: string;
}

/**
 * The body of an LLM call: the whole OpenAI chat-completions request (`messages`, `temperature`,
 * `max_tokens`, `tools`, `tool_choice`, `response_format`, `stop`, `seed`, `logprobs`, …; unknown fields
 * are passed through), the model group as `model_group` (or `model`), and the gateway's `purpose`,
 * `call_metadata` and `validate`. `stream` is set by the method you call.
 */
export type ChatParams = LlmCallRequest & CallTarget & ({ model_group: string } | { model: string });

/** Gateway facts about a finished call: tenant-facing only (no provider names or provider cost). */
export interface CallMetadata {
  model_group: string;
  latency_ms: number;
  /** Time to first token, for streamed calls. */
  ttft_ms?: number;
  /** Upstream attempts, including retries and fallbacks. */
  attempts: number;
  /** The team's price of this call in USD (provider cost with the team's markup). */
  cost_usd: number;
  [field: string]: unknown;
}

/** `llm-call`: an OpenAI `chat.completion` plus the gateway's `call_id`, `job_id` and `metadata`. */
export type LlmCallResponse = ChatCompletion & {
  call_id: string;
  job_id: string;
  metadata: CallMetadata;
};

/**
 * One frame of `llm-call-stream`: an OpenAI `chat.completion.chunk`. The last one (with `choices: []`)
 * carries `usage`, `call_id`, `job_id` and `metadata`.
 */
export type LlmCallChunk = ChatCompletionChunk & {
  call_id?: string;
  job_id?: string;
  metadata?: CallMetadata;
};

export type { ChatUsage };

// ---------- the team's own reads ----------
// (`CreditBalance`, `CreditTransactionPage` and `TransactionsQuery` are shared with the admin client: admin-types.ts)

/** The team as its own key sees it (`GET /api/teams/{id}`). */
export type TeamView = WireOutput<typeof teamSelfSchema>;
/** `POST /api/credits/teams/{id}/check`. */
export type CreditCheckResult = WireOutput<typeof creditCheckResultSchema>;
/** `GET /api/teams/{id}/jobs` filters: `from`/`to` are ISO dates or date-times; `cursor` is a `next_cursor`. */
export interface JobsQuery {
  limit?: number;
  cursor?: string;
  status?: JobStatus;
  job_type?: string;
  from?: string;
  to?: string;
}
/** `GET /api/teams/{id}/usage`: `period` (`YYYY-MM` or `YYYY-MM-DD`) or `from`/`to`. */
export type UsageQuery = WireInput<typeof teamUsageQuerySchema>;
/** A model group the team may call. */
export type ModelGroupInfo = TeamModelGroupView;

/** One page of the team's jobs, newest first. */
export interface JobPage {
  team_id: string;
  jobs: JobDetail[];
  next_cursor: string | null;
}

/** The team's usage over a period. */
export interface TeamUsage {
  team_id: string;
  period: string;
  summary: {
    total_jobs: number;
    successful_jobs: number;
    failed_jobs: number;
    total_calls: number;
    total_tokens: number;
    total_cost_usd: number;
    avg_cost_per_job: number;
    credits_used: number;
  };
  job_types: Record<string, { count: number; cost_usd: number }>;
  model_groups: Record<string, { calls: number; tokens: number; cost_usd: number }>;
  daily: Array<{ date: string; jobs: number; cost_usd: number; tokens: number }>;
}
