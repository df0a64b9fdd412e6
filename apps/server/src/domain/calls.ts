/** One try of one deployment within a call. */
export interface AttemptRecord {
  attemptNumber: number;
  deploymentAlias: string;
  provider: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  httpStatus: number | null;
  errorClass: string | null;
  errorMessage: string | null;
  /** Whole milliseconds, as stored and reported. */
  latencyMs: number;
  /**
   * The same duration unrounded, for `server-timing` and the upstream histogram: on a call of a few
   * milliseconds, rounding the upstream's share misstates the gateway's own by up to half a millisecond.
   */
  durationMs: number;
  startedAt: Date;
}

export type CallStatus = 'succeeded' | 'failed' | 'cancelled';

/** A finished call, as recorded. Money in nano-dollars. */
export interface CallRecord {
  callId: string;
  jobId: string;
  teamId: string;
  keyId: string | null;
  requestedModel: string;
  modelGroup: string | null;
  deploymentAlias: string | null;
  provider: string | null;
  providerModel: string | null;
  attempts: AttemptRecord[];
  status: CallStatus;
  stream: boolean;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  totalTokens: number;
  usageSource: 'reported' | 'estimated' | null;
  providerCostNanos: number;
  clientCostNanos: number;
  unpriced: boolean;
  latencyMs: number;
  ttftMs: number | null;
  purpose: string | null;
  requestBody: unknown;
  responseBody: unknown;
  error: { code: string; message: string } | null;
  createdAt: Date;
  finishedAt: Date;
}

/** What admission reserved for a call; settlement gives it back or shrinks it to the actual cost. */
export interface CallAdmission {
  callId: string;
  jobId: string;
  teamId: string;
  /** Worst-case client cost of this call, counted against the job's max_cost_usd while it runs. */
  worstCostNanos: number;
  /** Worst-case credit hold (consumption modes); 0 in job_based mode. */
  holdMicro: number;
  reservationId: string | null;
}

export type AdmissionOutcome =
  | { kind: 'admitted'; admission: CallAdmission }
  | { kind: 'job_not_found' }
  | { kind: 'job_closed'; status: string }
  | { kind: 'max_calls'; maxCalls: number }
  | { kind: 'max_cost'; maxCostNanos: number; spentNanos: number }
  | { kind: 'insufficient_credits'; availableMicro: number };

/**
 * Port: the database work of a call — one atomic admission before the upstream, one settlement after.
 * A settlement is written without holding up the answer; `settled()` is the barrier for reads.
 */
export interface CallStore {
  /**
   * Atomically: the job is open and of this team, its max_calls and max_cost_usd leave room for this call,
   * and (consumption modes) the team's available credits cover `holdMicro`, which is then held.
   */
  admit(request: { callId: string; jobId: string; teamId: string; worstCostNanos: number; holdMicro: number }): Promise<AdmissionOutcome>;
  /**
   * Records the call and its attempts, adds it to the job's totals, and shrinks its hold to `actualHoldMicro`.
   * Resolves once that is written; rejects only when it could not be, after retries.
   */
  settle(call: CallRecord, admission: CallAdmission, actualHoldMicro: number, callMetadata: Record<string, unknown> | null): Promise<void>;
  /** Null when every settlement is written; else resolves when those queued so far are. */
  settled(): Promise<void> | null;
  get(callId: string): Promise<CallRecord | null>;
}
