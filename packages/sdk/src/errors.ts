import type { ErrorCode } from '@saas-llm/protocol';

/** What every SDK error carries besides its message. */
export interface SaaSLLMErrorInit {
  /** HTTP status of the response; `undefined` when no response arrived (see `ConnectionError`). */
  status?: number | undefined;
  /** The envelope's `error.code` (e.g. `team_suspended`), or a code derived from the status. */
  code: string;
  /** The envelope's `error.type`; equal to `code` on this gateway. */
  type?: string | undefined;
  /** The request field the error is about, when the server named one. */
  param?: string | null | undefined;
  /** The `x-request-id` of the response: quote it when reporting a problem. */
  requestId?: string | null | undefined;
  /** The parsed response body (the error envelope, or whatever a proxy in between answered). */
  body?: unknown;
  /** How long the server asked to wait before trying again (`Retry-After` / `retry-after-ms`). */
  retryAfterMs?: number | null | undefined;
  cause?: unknown;
}

/**
 * Base class of every error the SDK throws for a failed request. `instanceof` one of the subclasses to
 * branch on the error family; read `code` for the precise reason inside a family.
 */
export class SaaSLLMError extends Error {
  readonly status: number | undefined;
  readonly code: string;
  readonly type: string;
  readonly param: string | null;
  readonly requestId: string | null;
  readonly body: unknown;
  /** How long the server asked to wait before trying again, when it said (429, sometimes 503). */
  readonly retryAfterMs: number | null;

  constructor(message: string, init: SaaSLLMErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.code = init.code;
    this.type = init.type ?? init.code;
    this.param = init.param ?? null;
    this.requestId = init.requestId ?? null;
    this.body = init.body;
    this.retryAfterMs = init.retryAfterMs ?? null;
  }
}

/** 400 `invalid_request`: malformed JSON, a missing or mistyped field; `param` names the field. */
export class InvalidRequestError extends SaaSLLMError {}

/** 401 `invalid_api_key`: the key or admin credential is missing, unknown, revoked or expired. */
export class AuthenticationError extends SaaSLLMError {}

/** 402 `insufficient_credits`: the team cannot afford the job or call. */
export class InsufficientCreditsError extends SaaSLLMError {
  /** Credits the team had available when refused, when the server said. */
  readonly creditsAvailable: number | null;
  /** Credits the refused work needed, when the server said. */
  readonly creditsRequired: number | null;

  constructor(message: string, init: SaaSLLMErrorInit & { creditsAvailable?: number | null; creditsRequired?: number | null }) {
    super(message, init);
    this.creditsAvailable = init.creditsAvailable ?? null;
    this.creditsRequired = init.creditsRequired ?? null;
  }
}

/** 402 `job_budget_exceeded`: the call could push the job past its `max_cost_usd`. */
export class JobBudgetExceededError extends SaaSLLMError {}

/** 403: `team_suspended`, `team_paused`, `team_mismatch`, `model_not_allowed` or `forbidden` (see `code`). */
export class PermissionDeniedError extends SaaSLLMError {}

/** 404: `not_found`, `job_not_found`, `call_not_found`, `model_not_found` (see `code`). */
export class NotFoundError extends SaaSLLMError {}

/** 409: `job_closed`, `job_state_conflict` or `conflict` (e.g. a duplicate id, a delete refused without force). */
export class ConflictError extends SaaSLLMError {}

/** 413 `request_too_large`: the body passed the server's size limit. */
export class RequestTooLargeError extends SaaSLLMError {}

/** 422 `validation_failed`: the request was well-formed but its content was refused. */
export class ValidationFailedError extends SaaSLLMError {}

/**
 * 429 `rate_limited`: an RPM, TPM or concurrency limit. The SDK retries it by itself within `maxRetries`;
 * `retryAfterMs` says how long the server asked to wait.
 */
export class RateLimitError extends SaaSLLMError {}

/** 500 `internal_error`: a bug on the server; `requestId` identifies it in the server's log. */
export class InternalServerError extends SaaSLLMError {}

/** 502 `upstream_error`: a provider answered with an error that is not the caller's fault. */
export class UpstreamError extends SaaSLLMError {}

/** 503 `upstream_unavailable`: every deployment of the model group failed or is cooling down. */
export class UpstreamUnavailableError extends SaaSLLMError {}

/** 504 `upstream_timeout`: the provider did not answer in time. */
export class UpstreamTimeoutError extends SaaSLLMError {}

/** No response arrived: the network failed or the request timed out (`timedOut`). `status` is undefined. */
export class ConnectionError extends SaaSLLMError {
  readonly timedOut: boolean;

  constructor(message: string, init: { timedOut: boolean; cause?: unknown }) {
    super(message, { code: init.timedOut ? 'timeout' : 'connection_error', cause: init.cause });
    this.timedOut = init.timedOut;
  }
}

type ErrorClass = new (message: string, init: SaaSLLMErrorInit) => SaaSLLMError;

/** The status family decides the class; a code is only needed to split 402. */
const CLASS_BY_STATUS: Readonly<Record<number, ErrorClass>> = {
  400: InvalidRequestError,
  401: AuthenticationError,
  402: InsufficientCreditsError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: RequestTooLargeError,
  422: ValidationFailedError,
  429: RateLimitError,
  500: InternalServerError,
  502: UpstreamError,
  503: UpstreamUnavailableError,
  504: UpstreamTimeoutError,
};

/** The code to report when the body carries none (e.g. an HTML page from a proxy). */
const DEFAULT_CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'invalid_request',
  401: 'invalid_api_key',
  402: 'insufficient_credits',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'request_too_large',
  422: 'validation_failed',
  429: 'rate_limited',
  500: 'internal_error',
  502: 'upstream_error',
  503: 'upstream_unavailable',
  504: 'upstream_timeout',
};

/** What the transport knows about a failed response when it builds the error. */
export interface ErrorResponseParts {
  status: number;
  statusText?: string;
  /** The body parsed as JSON, or its text when it was not JSON, or undefined when empty. */
  body: unknown;
  requestId: string | null;
  retryAfterMs: number | null;
}

/**
 * Turns a non-2xx response into the typed error of its family. Reads the gateway's envelope
 * `{error: {type, code, message, param, ...extra}, detail}`; falls back to a FastAPI-style `{detail}`
 * and then to the status line, so errors from proxies in front of the gateway stay readable.
 */
export function errorFromResponse(parts: ErrorResponseParts): SaaSLLMError {
  const envelope = envelopeOf(parts.body);
  const code = envelope.code ?? DEFAULT_CODE_BY_STATUS[parts.status] ?? `http_${parts.status}`;
  const message = envelope.message ?? fallbackMessage(parts);
  const init: SaaSLLMErrorInit = {
    status: parts.status,
    code,
    type: envelope.type,
    param: envelope.param,
    requestId: parts.requestId,
    body: parts.body,
    retryAfterMs: parts.retryAfterMs,
  };
  if (code === 'job_budget_exceeded') return new JobBudgetExceededError(message, init);
  if (parts.status === 402 || code === 'insufficient_credits') {
    return new InsufficientCreditsError(message, {
      ...init,
      creditsAvailable: numberOrNull(envelope.extra['credits_available']),
      creditsRequired: numberOrNull(envelope.extra['credits_required']),
    });
  }
  const ErrorType = CLASS_BY_STATUS[parts.status] ?? (parts.status >= 500 ? InternalServerError : SaaSLLMError);
  return new ErrorType(message, init);
}

interface EnvelopeFields {
  code?: string;
  type?: string;
  message?: string;
  param?: string | null;
  extra: Record<string, unknown>;
}

function envelopeOf(body: unknown): EnvelopeFields {
  if (!isRecord(body)) return { extra: {} };
  const error = body['error'];
  if (isRecord(error)) {
    const fields: EnvelopeFields = { extra: error };
    if (typeof error['code'] === 'string') fields.code = error['code'];
    if (typeof error['type'] === 'string') fields.type = error['type'];
    if (typeof error['message'] === 'string') fields.message = error['message'];
    if (typeof error['param'] === 'string' || error['param'] === null) fields.param = error['param'];
    return fields;
  }
  const detail = body['detail'];
  return typeof detail === 'string' ? { message: detail, extra: {} } : { extra: {} };
}

function fallbackMessage(parts: ErrorResponseParts): string {
  const statusLine = `HTTP ${parts.status}${parts.statusText ? ` ${parts.statusText}` : ''}`;
  // A short text body (e.g. a proxy's "Bad Gateway") helps; a long HTML page does not.
  if (typeof parts.body === 'string' && parts.body.trim().length > 0 && parts.body.length <= 200) return `${statusLine}: ${parts.body.trim()}`;
  return statusLine;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
