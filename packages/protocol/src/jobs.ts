import { z } from 'zod';
import { metadataSchema, slugSchema } from './common.ts';

/** `POST /api/jobs/create`. */
export const jobCreateSchema = z.object({
  team_id: slugSchema.optional(),
  job_type: z.string().min(1).max(100),
  user_id: z.string().max(200).nullable().optional(),
  metadata: metadataSchema.optional(),
  max_cost_usd: z.number().finite().positive().max(1e9).nullable().optional(),
  max_calls: z.number().int().positive().max(1_000_000).nullable().optional(),
  ttl_seconds: z.number().int().min(1).max(30 * 24 * 3600).nullable().optional(),
});
export type JobCreate = z.infer<typeof jobCreateSchema>;

export const FINAL_JOB_STATUSES = ['completed', 'failed', 'cancelled'] as const;

/** `POST /api/jobs/{job_id}/complete`. */
export const jobCompleteSchema = z.object({
  status: z.enum(FINAL_JOB_STATUSES),
  result: metadataSchema.nullable().optional(),
  metadata: metadataSchema.optional(),
  error_message: z.string().max(10_000).nullable().optional(),
});
export type JobComplete = z.infer<typeof jobCompleteSchema>;

export const jobCancelSchema = z.object({ reason: z.string().max(2000).optional() }).optional();
export const jobMetadataPatchSchema = z.object({ metadata: metadataSchema });
export const jobIdParamsSchema = z.object({ job_id: z.uuid() });
export const jobCallParamsSchema = z.object({ job_id: z.uuid(), call_id: z.uuid() });
export const teamIdParamsSchema = z.object({ team_id: slugSchema });

const dateOrDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/, 'must be an ISO date or date-time');
export const teamJobsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
  status: z.enum(['pending', 'in_progress', 'completed', 'failed', 'cancelled', 'expired']).optional(),
  job_type: z.string().max(100).optional(),
  from: dateOrDateTime.optional(),
  to: dateOrDateTime.optional(),
});
export const teamUsageQuerySchema = z.object({
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$/, 'must be YYYY-MM or YYYY-MM-DD').optional(),
  from: dateOrDateTime.optional(),
  to: dateOrDateTime.optional(),
});

/** The job summary of `complete`, `cancel` and `create-and-call`. */
export interface JobCosts {
  total_calls: number;
  successful_calls: number;
  failed_calls: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  total_cost_usd: number;
  avg_latency_ms: number;
  credits_charged: number;
  credit_applied: boolean;
  credits_remaining: number;
}
