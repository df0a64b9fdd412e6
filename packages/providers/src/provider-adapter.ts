import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatUsage, EmbeddingsRequest, EmbeddingsResponse, ProviderName } from '@saas-llm/protocol';

/**
 * The upstream a call goes to: one deployment with its credential, already decrypted and resolved by
 * the gateway. Adapters read nothing else (no database, no environment).
 */
export interface DeploymentTarget {
  provider: ProviderName;
  /** The provider's model id (for Azure: the deployment name). */
  model: string;
  /** Base URL including the version path, e.g. `https://api.openai.com/v1`; null = the provider's default. */
  apiBase: string | null;
  apiKey: string | null;
  /** Azure's `api-version`; ignored by other providers. */
  apiVersion: string | null;
  /** Sent with every request to this upstream (e.g. `OpenAI-Organization`, OpenRouter's `HTTP-Referer`). */
  extraHeaders: Record<string, string>;
  /** The deployment's total timeout for one attempt; null = the caller's (or the default) total. */
  timeoutMs: number | null;
  /**
   * Provider-specific knobs, e.g. `{compat: "groq"}` for `openai-compatible`, or the mock's
   * `{ttft_ms, tokens_per_second, fail_first_n, …}`. Unknown keys are ignored.
   */
  settings: Record<string, unknown>;
  /** A stable id of the deployment (its alias); adapters with per-deployment state (the mock's scripted faults) key on it. */
  deploymentId?: string;
}

/**
 * Time limits of one attempt, in milliseconds (0 = no limit). Each expiry aborts the upstream request
 * and surfaces as an `UpstreamTimeoutError` naming the phase.
 */
export interface UpstreamTimeouts {
  /** TCP + TLS connect. Applied per connection pool (pools are keyed by origin and this value). */
  connectMs: number;
  /** Request sent → response headers and the first body byte. Streams only: a non-streaming upstream sends headers when generation is done, so only `totalMs` bounds it. */
  firstByteMs: number;
  /** Longest silence between two body reads of a stream. */
  idleMs: number;
  /** The whole attempt, from sending the request to the last byte. */
  totalMs: number;
}

export const DEFAULT_UPSTREAM_TIMEOUTS: Readonly<UpstreamTimeouts> = Object.freeze({
  connectMs: 10_000,
  firstByteMs: 60_000,
  idleMs: 60_000,
  totalMs: 600_000,
});

/** Per-call options: who may cancel it, and the timeouts the gateway chose. */
export interface CallOptions {
  /** Aborting it aborts the upstream request at once (client disconnect, job cancel). */
  signal?: AbortSignal;
  /** Overrides of `DEFAULT_UPSTREAM_TIMEOUTS`; `DeploymentTarget.timeoutMs` wins for `totalMs`. */
  timeouts?: Partial<UpstreamTimeouts>;
}

/** Response headers of the upstream, lower-cased as Node gives them. Never forwarded to tenants as-is. */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/** The answer of a non-streaming call. */
export interface CompletionResult {
  /** An OpenAI `chat.completion`; `model` is the upstream's model id (the gateway replaces it for tenants). */
  completion: ChatCompletion;
  /** Usage as the upstream reported it, or null when it reported none (the gateway then estimates). */
  usage: ChatUsage | null;
  /** The upstream's HTTP status (2xx). */
  status: number;
  headers: UpstreamHeaders;
  /** Request parameters removed because this upstream rejects them; the gateway logs a warning. */
  droppedParams: readonly string[];
}

/**
 * One `data:` frame of an OpenAI-format stream. `raw` is what the gateway writes to the client; for
 * OpenAI-format upstreams it holds the upstream's JSON bytes unchanged (never re-serialised). The parsed
 * chunk is computed on first access only, for metering.
 */
export interface StreamEvent {
  /** The complete frame, `data: <json>\n\n`. */
  readonly raw: Buffer;
  /** The JSON payload bytes of the frame (without `data: ` and the blank line). */
  readonly data: Buffer;
  /** The parsed chunk; throws `UpstreamProtocolError` when the payload is not a valid chunk. */
  readonly chunk: ChatCompletionChunk;
  /** Usage carried by this chunk (the `include_usage` chunk, or a provider's equivalent), else null. */
  readonly usage: ChatUsage | null;
  /** Text generated in this chunk (content, refusal and tool-call arguments, all choices), for token counting. */
  readonly text: string;
  /** The first non-null `finish_reason` of this chunk's choices, else null. */
  readonly finishReason: string | null;
  /**
   * The frame with its top-level `model` replaced (tenants see the model-group name, never the provider's
   * id). Splices bytes when the field is found verbatim; re-serialises only otherwise.
   */
  withModel(model: string): Buffer;
}

/**
 * A streaming answer whose status and headers have arrived (a non-2xx status or a failure before
 * headers rejects `stream()` instead, so the gateway can still fall back). Iterate it once; the
 * iteration ends after the upstream's `[DONE]` (which is not yielded: the gateway writes its own final
 * usage frame and `[DONE]`) and throws an `UpstreamError` on any failure. Breaking out of the loop or
 * calling `abort()` releases the upstream connection.
 */
export interface UpstreamStream extends AsyncIterable<StreamEvent> {
  readonly status: number;
  readonly headers: UpstreamHeaders;
  readonly droppedParams: readonly string[];
  /** Stops reading and aborts the upstream request; idempotent. */
  abort(reason?: Error): void;
}

/** The answer of an embeddings call. */
export interface EmbeddingsResult {
  response: EmbeddingsResponse;
  status: number;
  headers: UpstreamHeaders;
}

/**
 * One provider's wire format. Every adapter takes and returns OpenAI shapes; translation (Anthropic,
 * Gemini) happens inside. Errors are always `UpstreamError`s. Adapters are stateless per call and safe
 * for concurrent use; their shared resources (connection pools) come from the registry that made them.
 */
export interface ProviderAdapter {
  readonly provider: ProviderName;
  /** A non-streaming chat completion. `request.stream` is ignored. */
  complete(request: ChatCompletionRequest, target: DeploymentTarget, options?: CallOptions): Promise<CompletionResult>;
  /** A streaming chat completion; resolves once the upstream accepted the request (2xx headers). */
  stream(request: ChatCompletionRequest, target: DeploymentTarget, options?: CallOptions): Promise<UpstreamStream>;
  /** Embeddings, for providers that offer them; absent otherwise. */
  embed?(request: EmbeddingsRequest, target: DeploymentTarget, options?: CallOptions): Promise<EmbeddingsResult>;
}

/** The effective timeouts of one attempt. */
export function resolveTimeouts(target: DeploymentTarget, options: CallOptions | undefined): UpstreamTimeouts {
  const merged = { ...DEFAULT_UPSTREAM_TIMEOUTS, ...options?.timeouts };
  if (target.timeoutMs !== null && target.timeoutMs > 0) merged.totalMs = target.timeoutMs;
  return merged;
}

/** Deployment `settings` keys of the per-phase limits (the total is the deployment's own `timeout_ms`). */
const TIMEOUT_SETTINGS = { connectMs: 'connect_timeout_ms', firstByteMs: 'first_byte_timeout_ms', idleMs: 'idle_timeout_ms' } as const;

/**
 * The per-phase time limits an operator set on a deployment (`settings.connect_timeout_ms`,
 * `first_byte_timeout_ms`, `idle_timeout_ms`; 0 = no limit), as `CallOptions.timeouts`. Absent or
 * invalid values are left out, so the defaults apply.
 */
export function timeoutsFromSettings(settings: Readonly<Record<string, unknown>>): Partial<UpstreamTimeouts> {
  const timeouts: Partial<UpstreamTimeouts> = {};
  for (const [field, key] of Object.entries(TIMEOUT_SETTINGS) as Array<[keyof typeof TIMEOUT_SETTINGS, string]>) {
    const value = settings[key];
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) timeouts[field] = value;
  }
  return timeouts;
}
