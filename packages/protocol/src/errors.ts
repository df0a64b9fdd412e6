import { z } from 'zod';

/** Every error code the gateway can answer with, and the HTTP status it travels with. */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_api_key: 401,
  insufficient_credits: 402,
  job_budget_exceeded: 402,
  team_suspended: 403,
  team_paused: 403,
  team_mismatch: 403,
  model_not_allowed: 403,
  forbidden: 403,
  not_found: 404,
  job_not_found: 404,
  call_not_found: 404,
  model_not_found: 404,
  job_closed: 409,
  job_state_conflict: 409,
  conflict: 409,
  request_too_large: 413,
  validation_failed: 422,
  rate_limited: 429,
  internal_error: 500,
  upstream_error: 502,
  upstream_unavailable: 503,
  upstream_timeout: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** The one error envelope: OpenAI-shaped, with a `detail` mirror for clients of the Python original. */
export const errorEnvelopeSchema = z.object({
  error: z.object({
    type: z.string(),
    code: z.string(),
    message: z.string(),
    param: z.string().nullable(),
  }).catchall(z.unknown()),
  detail: z.string(),
});
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

/** Builds the envelope; `extra` fields (e.g. `credits_available`) go inside `error`. */
export function errorEnvelope(code: string, message: string, param: string | null = null, extra: Record<string, unknown> = {}): ErrorEnvelope {
  return { error: { type: code, code, message, param, ...extra }, detail: message };
}
