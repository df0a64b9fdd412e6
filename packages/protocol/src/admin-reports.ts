import { z } from 'zod';
import { isoDateSchema, limitQuerySchema, slugSchema, uuidSchema } from './common.ts';

/** Dimensions `GET /api/admin/analytics` can group by. */
export const ANALYTICS_GROUP_BY = ['day', 'team', 'model_group', 'deployment', 'job_type'] as const;
export type AnalyticsGroupBy = (typeof ANALYTICS_GROUP_BY)[number];

/** `GET /api/admin/jobs`: filters, newest first, cursor-paginated. */
export const adminJobListQuerySchema = z.strictObject({
  team_id: slugSchema.optional(),
  organization_id: slugSchema.optional(),
  status: z.enum(['pending', 'in_progress', 'completed', 'failed', 'cancelled', 'expired']).optional(),
  job_type: z.string().min(1).max(100).optional(),
  from: isoDateSchema.optional(),
  to: isoDateSchema.optional(),
  cursor: z.string().max(200).optional(),
  limit: limitQuerySchema.optional(),
});
export const adminJobParamsSchema = z.strictObject({ job_id: uuidSchema });

/** `GET /api/admin/analytics`: `from` defaults to 30 days before `to`, `to` to now. */
export const adminAnalyticsQuerySchema = z.strictObject({
  organization_id: slugSchema.optional(),
  team_id: slugSchema.optional(),
  from: isoDateSchema.optional(),
  to: isoDateSchema.optional(),
  group_by: z.enum(ANALYTICS_GROUP_BY).optional(),
});

const costFields = { provider_cost_usd: z.number(), client_cost_usd: z.number(), margin_usd: z.number() };
const tokenFields = { prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() };

/** One job in the admin list (costs in USD; margin = client cost − provider cost). */
export const adminJobSummarySchema = z.object({
  job_id: z.string(), team_id: z.string(), organization_id: z.string(), job_type: z.string(), status: z.string(),
  user_id: z.string().nullable(), created_at: z.string(), started_at: z.string().nullable(), completed_at: z.string().nullable(),
  expires_at: z.string(), total_calls: z.number(), successful_calls: z.number(), failed_calls: z.number(),
  ...tokenFields, ...costFields, credits_charged: z.number(), model_groups_used: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
});
export const adminJobPageSchema = z.object({ jobs: z.array(adminJobSummarySchema), next_cursor: z.string().nullable() });

/** One upstream attempt of a call (retries and fallbacks). */
export const adminCallAttemptSchema = z.object({
  attempt_number: z.number(), deployment: z.string(), provider: z.string(), status: z.string(), http_status: z.number().nullable(),
  error_class: z.string().nullable(), error_message: z.string().nullable(), latency_ms: z.number(), started_at: z.string(),
});
/** A call as the operator sees it: deployment, provider model, attempts, both costs, margin and bodies. */
export const adminCallSchema = z.object({
  call_id: z.string(), requested_model: z.string(), model_group: z.string().nullable(), deployment: z.string().nullable(),
  provider: z.string().nullable(), provider_model: z.string().nullable(), status: z.string(), stream: z.boolean(),
  ...tokenFields, cached_tokens: z.number(), usage_source: z.string().nullable(), ...costFields, unpriced: z.boolean(),
  latency_ms: z.number().nullable(), ttft_ms: z.number().nullable(), purpose: z.string().nullable(),
  request_body: z.unknown(), response_body: z.unknown(), error: z.unknown(), created_at: z.string(), finished_at: z.string().nullable(),
  attempt_count: z.number(), attempts: z.array(adminCallAttemptSchema),
});
export const adminJobDetailSchema = adminJobSummarySchema.extend({
  result: z.unknown(), error_message: z.string().nullable(), max_cost_usd: z.number().nullable(), max_calls: z.number().nullable(),
  calls: z.array(adminCallSchema),
});

/** Metrics of one analytics group (or of the whole range, in `totals`). */
export const analyticsMetricsSchema = z.object({
  calls: z.number(), jobs: z.number(), failed_calls: z.number(), error_rate: z.number(), ...tokenFields, ...costFields,
  latency_p50_ms: z.number().nullable(), latency_p95_ms: z.number().nullable(),
});
export const adminAnalyticsSchema = z.object({
  from: z.string(), to: z.string(), group_by: z.enum(ANALYTICS_GROUP_BY),
  groups: z.array(analyticsMetricsSchema.extend({ key: z.string() })), totals: analyticsMetricsSchema,
});

/** `GET /api/stats/dashboard`: headline counters; "today" is the current UTC day. */
export const dashboardStatsSchema = z.object({
  organizations: z.number(), teams: z.number(), active_teams: z.number(), open_jobs: z.number(),
  jobs_today: z.number(), calls_today: z.number(), failed_calls_today: z.number(), tokens_today: z.number(),
  provider_cost_usd_today: z.number(), client_cost_usd_today: z.number(), margin_usd_today: z.number(),
  credits_outstanding: z.number(), credits_reserved: z.number(), as_of: z.string(),
});

export type AdminJobSummary = z.infer<typeof adminJobSummarySchema>;
export type AdminJobDetail = z.infer<typeof adminJobDetailSchema>;
export type AdminCall = z.infer<typeof adminCallSchema>;
export type AdminAnalytics = z.infer<typeof adminAnalyticsSchema>;
export type AnalyticsMetrics = z.infer<typeof analyticsMetricsSchema>;
export type DashboardStats = z.infer<typeof dashboardStatsSchema>;
