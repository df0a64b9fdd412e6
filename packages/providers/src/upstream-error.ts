/**
 * What went wrong with an upstream, classified for the gateway's retry, fallback and error mapping.
 * The message is always safe to show a tenant: no provider key, no URL (see `redactUpstreamText`).
 */
export type UpstreamErrorKind =
  | 'connection' // could not connect, or the connection broke (reset before headers, reset mid-stream)
  | 'timeout' // a time limit of `UpstreamTimeouts` expired
  | 'rate_limited' // 429
  | 'quota' // 429 "insufficient_quota": this credential is out of money; retrying it will not help
  | 'overloaded' // 503 / 529 / "overloaded_error"
  | 'server' // other 5xx, and 408 / 409
  | 'protocol' // the upstream answered something that is not its wire format (bad JSON, malformed SSE)
  | 'auth' // 401 / 403: the operator's credential is wrong — not the tenant's fault
  | 'not_found' // 404: the operator's model id or URL is wrong — not the tenant's fault
  | 'context_window' // the prompt is too long for this model (a larger candidate may still serve it)
  | 'client' // other 4xx: the tenant's request is invalid
  | 'cancelled'; // the caller aborted the request (client disconnect, job cancelled)

/** The gateway's answer for an error that ends a call. */
export type GatewayErrorCode = 'invalid_request' | 'upstream_error' | 'upstream_unavailable' | 'upstream_timeout';

const GATEWAY_STATUS: Record<GatewayErrorCode, 400 | 502 | 503 | 504> = {
  invalid_request: 400,
  upstream_error: 502,
  upstream_unavailable: 503,
  upstream_timeout: 504,
};

const KIND_RULES: Record<UpstreamErrorKind, { retryable: boolean; fallback: boolean; code: GatewayErrorCode }> = {
  connection: { retryable: true, fallback: true, code: 'upstream_unavailable' },
  timeout: { retryable: true, fallback: true, code: 'upstream_timeout' },
  rate_limited: { retryable: true, fallback: true, code: 'upstream_unavailable' },
  quota: { retryable: false, fallback: true, code: 'upstream_unavailable' },
  overloaded: { retryable: true, fallback: true, code: 'upstream_unavailable' },
  server: { retryable: true, fallback: true, code: 'upstream_error' },
  protocol: { retryable: true, fallback: true, code: 'upstream_error' },
  auth: { retryable: false, fallback: true, code: 'upstream_error' },
  not_found: { retryable: false, fallback: true, code: 'upstream_error' },
  // The gateway falls back on it only when a candidate with a larger context window remains.
  context_window: { retryable: false, fallback: false, code: 'invalid_request' },
  client: { retryable: false, fallback: false, code: 'invalid_request' },
  cancelled: { retryable: false, fallback: false, code: 'upstream_error' },
};

export interface UpstreamErrorDetails {
  /** The upstream's HTTP status, when it answered one. */
  upstreamStatus?: number | null;
  /** From `Retry-After` / `retry-after-ms`, when the upstream sent one. */
  retryAfterMs?: number | null;
  /** The provider's own error code or type (e.g. `context_length_exceeded`), for logs and attempts. */
  providerCode?: string | null;
  cause?: unknown;
}

/** Base of the family. `kind` decides everything else; subclasses only name the common cases. */
export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind;
  readonly upstreamStatus: number | null;
  readonly retryAfterMs: number | null;
  readonly providerCode: string | null;

  constructor(kind: UpstreamErrorKind, message: string, details: UpstreamErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'UpstreamError';
    this.kind = kind;
    this.upstreamStatus = details.upstreamStatus ?? null;
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.providerCode = details.providerCode ?? null;
  }

  /** Retrying the same deployment may succeed: connection errors, timeouts, 408, 409, 429, 5xx, overloaded. */
  get isRetryable(): boolean {
    return KIND_RULES[this.kind].retryable;
  }

  /** Another deployment may succeed where this one failed (not the tenant's fault). */
  get shouldFallback(): boolean {
    return KIND_RULES[this.kind].fallback;
  }

  /** The error code the gateway answers with when this error ends the call. */
  get gatewayCode(): GatewayErrorCode {
    return KIND_RULES[this.kind].code;
  }

  /** 400 (tenant's fault), 502, 503 or 504. */
  get gatewayStatus(): 400 | 502 | 503 | 504 {
    return GATEWAY_STATUS[this.gatewayCode];
  }
}

/** The upstream could not be reached, or the connection broke. */
export class UpstreamConnectionError extends UpstreamError {
  constructor(message: string, details: UpstreamErrorDetails = {}) {
    super('connection', message, details);
    this.name = 'UpstreamConnectionError';
  }
}

/** Which limit of `UpstreamTimeouts` expired. */
export type TimeoutPhase = 'connect' | 'first_byte' | 'idle' | 'total';

export class UpstreamTimeoutError extends UpstreamError {
  readonly phase: TimeoutPhase;
  constructor(phase: TimeoutPhase, limitMs: number, details: UpstreamErrorDetails = {}) {
    const what = { connect: 'connecting to the upstream', first_byte: 'waiting for the upstream to answer', idle: 'waiting for the next chunk of the upstream stream', total: 'the upstream call' }[phase];
    super('timeout', `Timed out after ${limitMs} ms ${phase === 'total' ? 'for' : 'while'} ${what}.`, details);
    this.name = 'UpstreamTimeoutError';
    this.phase = phase;
  }
}

/** The upstream answered with a non-2xx status (or an error event inside a 200 stream). */
export class UpstreamHttpError extends UpstreamError {
  constructor(kind: UpstreamErrorKind, message: string, details: UpstreamErrorDetails) {
    super(kind, message, details);
    this.name = 'UpstreamHttpError';
  }
}

/** The upstream's answer broke its own wire format. */
export class UpstreamProtocolError extends UpstreamError {
  constructor(message: string, details: UpstreamErrorDetails = {}) {
    super('protocol', message, details);
    this.name = 'UpstreamProtocolError';
  }
}

/** The caller aborted the call (its `AbortSignal` fired). */
export class UpstreamCancelledError extends UpstreamError {
  constructor(details: UpstreamErrorDetails = {}) {
    super('cancelled', 'The upstream call was cancelled.', details);
    this.name = 'UpstreamCancelledError';
  }
}

/**
 * Milliseconds to wait from a `Retry-After` header (delta-seconds or an HTTP date) or OpenAI/Azure's
 * `retry-after-ms`; null when absent or unparseable. `now` is injectable for tests.
 */
export function parseRetryAfter(headers: Record<string, string | string[] | undefined>, now: number = Date.now()): number | null {
  const first = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const millis = first('retry-after-ms');
  if (millis !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(millis)) return Math.ceil(Number(millis));
  const value = first('retry-after')?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

const URL_PATTERN = /\b(?:https?|wss?):\/\/[^\s"'<>)\]]+/gi;
// Key shapes providers echo back in errors ("Incorrect API key provided: sk-proj-****abcd").
const KEY_PATTERNS = [/\bsk-[A-Za-z0-9_*.\-]{4,}/g, /\b(?:AIza|gsk_|xai-|pplx-|fw_)[A-Za-z0-9_*\-]{6,}/g, /\bBearer\s+[A-Za-z0-9_*.\-]{6,}/gi];
const MAX_MESSAGE_LENGTH = 1000;

/**
 * Removes secrets and addresses from provider text before it can reach a tenant or an error message:
 * URLs, common key shapes, the deployment's API key (in full, and its last 4 characters, by which
 * providers echo masked keys), and the upstream's host name. Long texts are cut.
 */
export function redactUpstreamText(text: string, context: { apiKey?: string | null; host?: string | null } = {}): string {
  let cleaned = text.replace(URL_PATTERN, '[redacted-url]');
  for (const pattern of KEY_PATTERNS) cleaned = cleaned.replace(pattern, '[redacted-key]');
  const { apiKey, host } = context;
  if (apiKey && apiKey.length >= 4) {
    cleaned = cleaned.split(apiKey).join('[redacted-key]');
    if (apiKey.length >= 12) cleaned = cleaned.split(apiKey.slice(-4)).join('[redacted]');
  }
  if (host) cleaned = cleaned.split(host).join('[redacted-host]');
  if (cleaned.length > MAX_MESSAGE_LENGTH) cleaned = `${cleaned.slice(0, MAX_MESSAGE_LENGTH)}…`;
  return cleaned.trim();
}
