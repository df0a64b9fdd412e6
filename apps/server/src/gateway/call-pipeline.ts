import { GATEWAY_CALL_FIELDS, requestedModelName, type ChatCompletion, type ChatCompletionRequest, type EmbeddingsRequest, type EmbeddingsResponse, type LlmCallRequest } from '@saas-llm/protocol';
import { UpstreamError, timeoutsFromSettings, type CallOptions, type DeploymentTarget, type ProviderAdapter, type StreamEvent, type UpstreamStream } from '@saas-llm/providers';
import type { AttemptRecord, CallAdmission, CallRecord, CallStore } from '../domain/calls.ts';
import { DomainError } from '../domain/errors.ts';
import type { TeamStanding, TeamStandingSource } from '../domain/job-service.ts';
import { callHoldMicro } from '../domain/job-charge.ts';
import { nanosToUsd, withMarkupNanos, tokenCostNanos } from '../domain/money.ts';
import type { AuthenticatedKey } from '../domain/principals.ts';
import type { ModelResolver, Resolution, ResolvedCandidate as CallCandidate } from '../domain/model-resolution.ts';
import { admissionError } from './admission-errors.ts';
import { effectivePrices, priceUsage, usageFromReport, type CallCost, type MeteredUsage } from './call-metering.ts';
import type { CallObserver } from './call-observer.ts';
import type { CooldownTracker } from './cooldowns.ts';
import { callWithFallback } from './fallback-loop.ts';
import type { InFlightCallRegistry } from './in-flight-calls.ts';
import type { SchemaValidator } from './json-schema-validator.ts';
import type { LimitTicket, RateLimits } from '../domain/rate-limits.ts';
import { withStandardResponseFormat } from './response-format.ts';
import { newCallId } from '../domain/call-ids.ts';
import type { TokenEstimator } from './token-estimator.ts';

/** The adapter of each provider (the providers package's AdapterRegistry). */
export interface AdapterLookup {
  get(provider: DeploymentTarget['provider']): ProviderAdapter;
}

export interface PipelineLogger {
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export interface CallPipelineDependencies {
  candidates: Pick<ModelResolver, 'resolve'>;
  adapters: AdapterLookup;
  calls: CallStore;
  teams: TeamStandingSource;
  limiter: RateLimits;
  cooldowns: CooldownTracker;
  inFlight: InFlightCallRegistry;
  tokens: TokenEstimator;
  log: PipelineLogger;
  /** Validates structured outputs (`validate` on a json_schema call). */
  schemas: SchemaValidator;
  /** Told about every settled call (metrics). */
  observer?: CallObserver;
}

/**
 * A call that passed every check before the upstream: it holds a rate-limit ticket, an admission and a cancel
 * switch. `R` is the upstream request: a chat completion, or embeddings.
 */
export interface AdmittedCall<R = ChatCompletionRequest> {
  callId: string;
  jobId: string;
  key: AuthenticatedKey;
  standing: TeamStanding;
  requestedName: string;
  resolved: Resolution;
  /** The body sent upstream (gateway fields removed; `model` set per attempt). */
  upstreamRequest: R;
  purpose: string | null;
  callMetadata: Record<string, unknown> | null;
  stream: boolean;
  promptEstimate: number;
  admission: CallAdmission;
  ticket: LimitTicket;
  controller: AbortController;
  untrack: () => void;
  createdAt: Date;
  started: number;
  attempts: AttemptRecord[];
}

/** What the tenant gets back in `metadata` and the call record holds. */
export interface SettledCall {
  record: CallRecord;
  usage: MeteredUsage;
  cost: CallCost;
  metadata: { model_group: string; latency_ms: number; ttft_ms?: number | null; attempts: number; cost_usd: number };
}

/** Why an answer that came back is not accepted (recorded as the call's error). */
export interface CallRejection {
  code: 'validation_failed';
  message: string;
}

/** Judges a successful answer before it is recorded; null accepts it. */
export type AnswerCheck = (completion: ChatCompletion) => CallRejection | null;

/** What admission needs to know about a call, whatever its kind. */
interface PreparedCall<R> {
  requestedName: string;
  upstreamRequest: R;
  stream: boolean;
  promptEstimate: number;
  /** Output tokens asked for (null: the deployment's maximum; 0 for embeddings). */
  requestedOutput: number | null;
  needs: { tools?: boolean; jsonSchema?: boolean; vision?: boolean; embeddings?: boolean };
  purpose: string | null;
  callMetadata: Record<string, unknown> | null;
}

const DEFAULT_MAX_OUTPUT_TOKENS = 4096;
const BODY_LOG_LIMIT = 64 * 1024;

/**
 * The call pipeline: resolve → limits → admit (atomic job + credit checks) → call with retry/fallback →
 * meter → settle. Streams forward upstream bytes unchanged and read usage on the way.
 */
export class CallPipeline {
  constructor(private readonly deps: CallPipelineDependencies) {}

  /** The structured-output validator (used by the structured-output loop and the stream relay). */
  get schemas(): SchemaValidator {
    return this.deps.schemas;
  }

  /** Every check before the upstream. Throws a DomainError (401/402/403/404/409/429) without side effects. */
  async admit(jobId: string, key: AuthenticatedKey, body: LlmCallRequest, stream: boolean, clientSignal: AbortSignal | null): Promise<AdmittedCall> {
    const requestedName = requestedModelName(body);
    const upstreamRequest = toUpstreamRequest(body, requestedName, stream);
    const requestedOutput = body.max_completion_tokens ?? body.max_tokens ?? null;
    return this.admitPrepared(jobId, key, clientSignal, {
      requestedName, upstreamRequest, stream, requestedOutput, purpose: body.purpose ?? null, callMetadata: body.call_metadata ?? null,
      promptEstimate: this.deps.tokens.quickPromptTokens(upstreamRequest),
      needs: {
        tools: Boolean(body.tools && body.tools.length > 0), jsonSchema: upstreamRequest.response_format?.type === 'json_schema',
        vision: hasImages(upstreamRequest), embeddings: false,
      },
    });
  }

  /** Admission of an embeddings call: deployments without the embeddings capability are skipped; no output tokens. */
  async admitEmbeddings(jobId: string, key: AuthenticatedKey, body: EmbeddingsRequest, clientSignal: AbortSignal | null): Promise<AdmittedCall<EmbeddingsRequest>> {
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    // Token ids count one each; text at the same ~3 characters per token (erring high) as chat prompts.
    const promptEstimate = inputs.reduce<number>((sum, input) => sum + (typeof input === 'string' ? Math.ceil(input.length / 3) + 1 : Array.isArray(input) ? input.length : 1), 0);
    return this.admitPrepared(jobId, key, clientSignal, {
      requestedName: body.model, upstreamRequest: body, stream: false, requestedOutput: 0, purpose: null, callMetadata: null, promptEstimate,
      needs: { embeddings: true },
    });
  }

  private async admitPrepared<R>(jobId: string, key: AuthenticatedKey, clientSignal: AbortSignal | null, prepared: PreparedCall<R>): Promise<AdmittedCall<R>> {
    const standing = await this.deps.teams.getStanding(key.teamId);
    if (!standing) throw new DomainError('invalid_api_key', 'Invalid API key: it is missing, unknown, revoked or expired.');
    if (standing.status === 'suspended') throw new DomainError('team_suspended', `Team '${key.teamId}' is suspended.`);
    if (standing.status === 'paused') throw new DomainError('team_paused', `Team '${key.teamId}' is paused.`);
    const { requestedName, promptEstimate, requestedOutput } = prepared;
    const resolved = await this.deps.candidates.resolve(requestedName, key.teamId, { ...prepared.needs, promptTokens: promptEstimate, maxOutputTokens: requestedOutput },
      { allowedNames: key.allowedModelGroups });
    if (resolved.candidates.length === 0) {
      throw new DomainError('upstream_unavailable', `Every deployment of '${requestedName}' is inactive, cooling down or cannot serve this request.`);
    }
    const worst = this.worstCase(resolved.candidates, promptEstimate, requestedOutput, standing);
    const granted = this.deps.limiter.admit([
      { id: `team:${key.teamId}`, limits: { rpm: standing.rpmLimit, tpm: standing.tpmLimit, concurrent: standing.maxConcurrentCalls } },
      { id: `key:${key.keyId}`, limits: { rpm: key.rpmLimit, tpm: key.tpmLimit, concurrent: null } },
    ], worst.tokens);
    // In memory the ticket is at hand; counted in Redis (shared by instances) it is one round trip away.
    const ticket = granted instanceof Promise ? await granted : granted;
    const callId = newCallId();
    let outcome;
    try {
      outcome = await this.deps.calls.admit({ callId, jobId, teamId: key.teamId, worstCostNanos: worst.clientCostNanos, holdMicro: worst.holdMicro });
    } catch (error) {
      ticket.release(0);
      throw error;
    }
    if (outcome.kind !== 'admitted') {
      ticket.release(0);
      throw admissionError(outcome, jobId, key.teamId, worst.holdMicro);
    }
    const controller = new AbortController();
    if (clientSignal) {
      if (clientSignal.aborted) controller.abort(clientSignal.reason);
      else clientSignal.addEventListener('abort', () => controller.abort(clientSignal.reason), { once: true });
    }
    const untrack = this.deps.inFlight.track(jobId, controller);
    return {
      callId, jobId, key, standing, requestedName, resolved, upstreamRequest: prepared.upstreamRequest, purpose: prepared.purpose,
      callMetadata: prepared.callMetadata, stream: prepared.stream, promptEstimate, admission: outcome.admission, ticket, controller, untrack,
      createdAt: new Date(), started: performance.now(), attempts: [],
    };
  }

  /**
   * A non-streaming call: retry/fallback, then metering and settlement. Throws a DomainError when it fails.
   * `check` judges the answer before it is recorded: a rejection records the call as failed with that error
   * (still metered: the tokens were spent) and is returned alongside the completion.
   */
  async complete(call: AdmittedCall, check?: AnswerCheck): Promise<{ completion: ChatCompletion; settled: SettledCall; rejection: CallRejection | null }> {
    let answered;
    try {
      answered = await callWithFallback({
        modelName: call.requestedName, candidates: call.resolved.candidates, numRetries: call.resolved.numRetries,
        retryBackoffMs: call.resolved.retryBackoffMs, signal: call.controller.signal, cooldowns: this.deps.cooldowns, attempts: call.attempts,
        attempt: (next) => this.deps.adapters.get(next.target.provider).complete({ ...call.upstreamRequest, model: next.target.model }, targetOf(next), optionsOf(next, call.controller.signal)),
      });
    } catch (error) {
      if (error instanceof UpstreamError && error.kind === 'cancelled') {
        // Client gone or job cancelled: the upstream may have read the prompt; meter that estimate.
        const prompt = await this.deps.tokens.promptTokens(call.upstreamRequest);
        await this.settle(call, lastCandidate(call), 'cancelled', { promptTokens: prompt, completionTokens: 0, cachedTokens: 0, totalTokens: prompt, source: 'estimated' },
          { code: 'cancelled', message: 'The call was cancelled.' }, null, null);
        throw new DomainError('upstream_error', 'The call was cancelled before the upstream answered.');
      }
      // The upstream refused or failed: nothing was generated, nothing is metered.
      await this.settleFailure(call, error instanceof DomainError ? error : new DomainError('internal_error', 'The call failed inside the gateway.'));
      throw error;
    }
    const { value, candidate } = answered;
    if (value.droppedParams.length > 0) this.deps.log.warn({ alias: candidate.alias, dropped: value.droppedParams }, 'parameters dropped for this upstream');
    const usage = value.usage ? usageFromReport(value.usage) : await this.estimateUsage(call, completionText(value.completion));
    const completion: ChatCompletion = { ...value.completion, model: call.requestedName };
    const rejection = check ? check(completion) : null;
    const settled = await this.settle(call, candidate, rejection ? 'failed' : 'succeeded', usage, rejection, null, completion);
    return { completion, settled, rejection };
  }

  /** An embeddings call: retry/fallback, metering (prompt tokens only) and settlement. Throws a DomainError when it fails. */
  async embed(call: AdmittedCall<EmbeddingsRequest>): Promise<{ response: EmbeddingsResponse; settled: SettledCall }> {
    let answered;
    try {
      answered = await callWithFallback({
        modelName: call.requestedName, candidates: call.resolved.candidates, numRetries: call.resolved.numRetries,
        retryBackoffMs: call.resolved.retryBackoffMs, signal: call.controller.signal, cooldowns: this.deps.cooldowns, attempts: call.attempts,
        attempt: (next) => {
          const adapter = this.deps.adapters.get(next.target.provider);
          // The operator marked a deployment as embedding whose provider cannot: not the tenant's fault, try the next one.
          if (!adapter.embed) throw new UpstreamError('not_found', `Provider '${next.target.provider}' offers no embeddings.`);
          return adapter.embed({ ...call.upstreamRequest, model: next.target.model }, targetOf(next), optionsOf(next, call.controller.signal));
        },
      });
    } catch (error) {
      const cancelled = error instanceof UpstreamError && error.kind === 'cancelled';
      await this.settleFailure(call, cancelled ? null : error instanceof DomainError ? error : new DomainError('internal_error', 'The call failed inside the gateway.'));
      if (cancelled) throw new DomainError('upstream_error', 'The call was cancelled before the upstream answered.');
      throw error;
    }
    const { value, candidate } = answered;
    const prompt = value.response.usage.prompt_tokens;
    const usage: MeteredUsage = { promptTokens: prompt, completionTokens: 0, cachedTokens: 0, totalTokens: value.response.usage.total_tokens || prompt, source: 'reported' };
    const response: EmbeddingsResponse = { ...value.response, model: call.requestedName };
    // Vectors are large and say nothing about the call: the logged response keeps only their count.
    const settled = await this.settle(call, candidate, 'succeeded', usage, null, null, { object: 'list', model: call.requestedName, vectors: response.data.length, usage: response.usage });
    return { response, settled };
  }

  /**
   * Opens the upstream stream with fallback, up to its first event (the window in which fallback is still
   * invisible to the client). `onWaiting` fires every `keepaliveMs` while waiting.
   */
  async openStream(call: AdmittedCall, onWaiting: () => void, keepaliveMs = 15_000): Promise<{ stream: UpstreamStream; first: IteratorResult<StreamEvent>; iterator: AsyncIterator<StreamEvent>; candidate: CallCandidate }> {
    const timer = setInterval(onWaiting, keepaliveMs);
    try {
      const { value, candidate } = await callWithFallback({
        modelName: call.requestedName, candidates: call.resolved.candidates, numRetries: call.resolved.numRetries,
        retryBackoffMs: call.resolved.retryBackoffMs, signal: call.controller.signal, cooldowns: this.deps.cooldowns, attempts: call.attempts,
        attempt: async (next) => {
          const stream = await this.deps.adapters.get(next.target.provider).stream({ ...call.upstreamRequest, model: next.target.model }, targetOf(next), optionsOf(next, call.controller.signal));
          const iterator = stream[Symbol.asyncIterator]();
          try {
            const first = await iterator.next();
            return { stream, iterator, first };
          } catch (error) {
            stream.abort();
            throw error;
          }
        },
      });
      if (value.stream.droppedParams.length > 0) this.deps.log.warn({ alias: candidate.alias, dropped: value.stream.droppedParams }, 'parameters dropped for this upstream');
      return { ...value, candidate };
    } finally {
      clearInterval(timer);
    }
  }

  /** Settles a call that failed before any byte reached the client (the route answers with the error). */
  async settleFailure(call: AdmittedCall<unknown>, error: DomainError | null): Promise<void> {
    await this.settle(call, lastCandidate(call), error ? 'failed' : 'cancelled', { promptTokens: 0, completionTokens: 0, cachedTokens: 0, totalTokens: 0, source: 'estimated' },
      { code: error?.code ?? 'cancelled', message: error?.message ?? 'The call was cancelled.' }, null, null);
  }

  /** Usage of a finished or abandoned stream: reported by the upstream, else counted (prompt + text streamed). */
  async streamUsage(call: AdmittedCall, reported: ReturnType<typeof usageFromReport> | null, streamedText: string): Promise<MeteredUsage> {
    return reported ?? this.estimateUsage(call, streamedText);
  }

  /** Records the call, adds it to the job, shrinks its credit hold, releases its ticket and in-flight slot. */
  async settle(call: AdmittedCall<unknown>, candidate: CallCandidate | null, status: CallRecord['status'], usage: MeteredUsage, error: CallRecord['error'], ttftMs: number | null, response: unknown): Promise<SettledCall> {
    const prices = candidate ? effectivePrices(candidate) : null;
    const cost = candidate ? priceUsage(usage, prices, call.standing.costMarkupPercentage) : { providerCostNanos: 0, clientCostNanos: 0, unpriced: false };
    if (cost.unpriced && usage.totalTokens > 0) {
      this.deps.log.warn({ alias: candidate?.alias, model: candidate?.target.model }, 'unpriced call: no deployment price and no shipped price; recorded at cost 0');
    }
    const latencyMs = Math.round(performance.now() - call.started);
    const logging = call.standing.bodyLogging;
    const record: CallRecord = {
      callId: call.callId, jobId: call.jobId, teamId: call.key.teamId, keyId: call.key.keyId, requestedModel: call.requestedName,
      modelGroup: call.resolved.modelGroup ?? call.requestedName, deploymentAlias: candidate?.alias ?? null, provider: candidate?.target.provider ?? null,
      providerModel: candidate?.target.model ?? null, attempts: call.attempts, status, stream: call.stream, promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens, cachedTokens: usage.cachedTokens, totalTokens: usage.totalTokens, usageSource: usage.source,
      providerCostNanos: cost.providerCostNanos, clientCostNanos: cost.clientCostNanos, unpriced: cost.unpriced, latencyMs, ttftMs,
      purpose: call.purpose, requestBody: logging === 'full' ? capBody(call.upstreamRequest) : null,
      responseBody: logging === 'full' && response !== null ? capBody(response) : null, error, createdAt: call.createdAt, finishedAt: new Date(),
    };
    const actualHold = callHoldMicro(call.standing.terms, cost.clientCostNanos, usage.totalTokens);
    // Not awaited: the answer does not wait for its record. The call stays in flight for its job until the
    // record is written, so completing the job (which waits for in-flight calls) charges it.
    const written = this.deps.calls.settle(record, call.admission, call.admission.reservationId ? actualHold : 0, status === 'succeeded' ? call.callMetadata : null);
    call.ticket.release(usage.totalTokens);
    written.then(call.untrack, (error: unknown) => {
      this.deps.log.error({ callId: call.callId, err: error }, 'call settlement could not be written');
      call.untrack();
    });
    this.deps.observer?.callSettled(record);
    return {
      record, usage, cost,
      metadata: { model_group: record.modelGroup!, latency_ms: latencyMs, ...(call.stream ? { ttft_ms: ttftMs } : {}), attempts: call.attempts.length, cost_usd: nanosToUsd(cost.clientCostNanos) },
    };
  }

  private async estimateUsage(call: AdmittedCall, completionText: string): Promise<MeteredUsage> {
    const promptTokens = await this.deps.tokens.promptTokens(call.upstreamRequest);
    const completionTokens = await this.deps.tokens.textTokens(completionText);
    return { promptTokens, completionTokens, cachedTokens: 0, totalTokens: promptTokens + completionTokens, source: 'estimated' };
  }

  /** The worst case of a call across its candidates: client cost, tokens, and the credit hold it needs. */
  private worstCase(candidates: readonly CallCandidate[], promptTokens: number, requestedOutput: number | null, standing: TeamStanding) {
    let providerNanos = 0;
    let maxOutput = 0;
    for (const candidate of candidates) {
      const output = requestedOutput ?? candidate.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
      maxOutput = Math.max(maxOutput, output);
      const prices = effectivePrices(candidate);
      if (prices) providerNanos = Math.max(providerNanos, tokenCostNanos(promptTokens, prices.input) + tokenCostNanos(output, prices.output));
    }
    const clientCostNanos = withMarkupNanos(providerNanos, standing.costMarkupPercentage);
    const tokens = promptTokens + maxOutput;
    return { clientCostNanos, tokens, holdMicro: callHoldMicro(standing.terms, clientCostNanos, tokens) };
  }
}

/** The body sent upstream: gateway fields removed, stream flag set. */
function toUpstreamRequest(body: LlmCallRequest, requestedName: string, stream: boolean): ChatCompletionRequest {
  const upstream: Record<string, unknown> = { ...body, model: requestedName };
  for (const field of GATEWAY_CALL_FIELDS) delete upstream[field];
  if (stream) upstream.stream = true;
  else delete upstream.stream;
  if (!stream) delete upstream.stream_options;
  return withStandardResponseFormat(upstream as ChatCompletionRequest);
}

function hasImages(request: ChatCompletionRequest): boolean {
  return request.messages.some((message) => Array.isArray((message as { content?: unknown }).content)
    && ((message as { content: Array<{ type?: string }> }).content).some((part) => part.type === 'image_url'));
}

function completionText(completion: ChatCompletion): string {
  return completion.choices.map((choice) => {
    const message = choice.message as { content?: unknown; tool_calls?: unknown } | null | undefined;
    return `${typeof message?.content === 'string' ? message.content : ''}${message?.tool_calls ? JSON.stringify(message.tool_calls) : ''}`;
  }).join('');
}

/**
 * The attempt's options: the call's cancel switch, and the deployment's connect / first-byte / idle
 * limits from its `settings` (its `timeout_ms` is the total, carried by the target).
 */
function optionsOf(candidate: CallCandidate, signal: AbortSignal): CallOptions {
  return { signal, timeouts: timeoutsFromSettings(candidate.target.settings) };
}

/** The providers' view of a candidate (mutable copies of the frozen resolution parts). */
function targetOf(candidate: CallCandidate): DeploymentTarget {
  const target = candidate.target;
  return { ...target, extraHeaders: { ...target.extraHeaders }, settings: { ...target.settings } };
}

function lastCandidate(call: AdmittedCall<unknown>): CallCandidate | null {
  const last = call.attempts.at(-1);
  if (!last) return null;
  return call.resolved.candidates.find((candidate) => candidate.alias === last.deploymentAlias) ?? null;
}

function capBody(body: unknown): unknown {
  const text = JSON.stringify(body);
  return text.length <= BODY_LOG_LIMIT ? body : { truncated: true, bytes: text.length, preview: text.slice(0, 4096) };
}

