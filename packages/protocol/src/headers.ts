/** Header names of the wire contract, in lower case as Node sees them. */
export const HEADERS = {
  requestId: 'x-request-id',
  serverTiming: 'server-timing',
  adminKey: 'x-admin-key',
  apiKey: 'x-api-key',
  idempotencyKey: 'idempotency-key',
  jobId: 'x-job-id',
  jobType: 'x-job-type',
  callId: 'x-call-id',
  /** `/v1` answers of `validate` calls: how many validation rounds (metered calls) it took. */
  structuredAttempts: 'x-structured-attempts',
} as const;

export const ADMIN_SESSION_COOKIE = 'saas_llm_session';
