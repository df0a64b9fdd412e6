import {
  UpstreamConnectionError, UpstreamError, UpstreamHttpError, UpstreamProtocolError, UpstreamTimeoutError,
  parseRetryAfter, redactUpstreamText, type UpstreamErrorKind,
} from './upstream-error.ts';
import type { UpstreamHeaders } from './provider-adapter.ts';

/** What may never appear in an error message: the credential, and the upstream's host. */
export interface RedactionContext {
  apiKey: string | null;
  host: string | null;
}

const CONTEXT_WINDOW_CODES = new Set(['context_length_exceeded', 'string_above_max_length', 'model_max_prompt_tokens_exceeded']);
// OpenAI's and the compatibles' wordings, Anthropic's ("prompt is too long", "… exceed context limit") and Gemini's ("… exceeds the maximum number of tokens allowed").
const CONTEXT_WINDOW_TEXT = /context (length|window)|maximum context|too many tokens|prompt is too long|input is too long|reduce the length|exceeds? (the )?(context limit|maximum number of tokens)/i;
const OVERLOADED_TEXT = /overloaded|capacity|temporarily unavailable/i;

/** The message and code out of whatever error body shape the upstream used. */
function describeErrorBody(bodyText: string): { message: string | null; code: string | null; type: string | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch (error) {
    // Not JSON (an HTML error page from a proxy, plain text): the raw text is the best message we have.
    void error;
    return { message: bodyText.trim() || null, code: null, type: null };
  }
  const root = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  // OpenAI: {error: {message, type, code}}; some compatibles: {error: "text"}, {message}, {detail}; arrays of those (Gemini-like).
  const container = Array.isArray(parsed) ? (parsed[0] as Record<string, unknown> | undefined) ?? {} : root;
  const error = container.error;
  if (typeof error === 'string') return { message: error, code: null, type: null };
  const body = (typeof error === 'object' && error !== null ? error : container) as Record<string, unknown>;
  const text = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : null);
  const detail = body.detail;
  const message = text(body.message) ?? text(detail) ?? (Array.isArray(detail) ? JSON.stringify(detail) : null);
  return { message, code: text(body.code) ?? text(body.status), type: text(body.type) };
}

/** The kind of a non-2xx answer, from its status and the provider's code and message. */
function classifyStatus(status: number, code: string | null, type: string | null, message: string): UpstreamErrorKind {
  const label = `${code ?? ''} ${type ?? ''}`.toLowerCase();
  if (status === 429) return label.includes('insufficient_quota') ? 'quota' : 'rate_limited';
  if (status === 503 || status === 529 || label.includes('overloaded')) return 'overloaded';
  if (status === 408 || status === 409 || status >= 500) return 'server';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if ((code !== null && CONTEXT_WINDOW_CODES.has(code)) || CONTEXT_WINDOW_TEXT.test(message)) return 'context_window';
  if (status >= 400) return 'client';
  // A 1xx/3xx that reached us is not the chat-completions protocol.
  return 'protocol';
}

/** An `UpstreamHttpError` for a non-2xx answer; its message is the provider's, redacted. */
export function errorFromResponse(status: number, headers: UpstreamHeaders, bodyText: string, redaction: RedactionContext): UpstreamError {
  const described = describeErrorBody(bodyText.slice(0, 64 * 1024));
  const message = redactUpstreamText(described.message ?? `The upstream answered HTTP ${status}.`, redaction) || `The upstream answered HTTP ${status}.`;
  const kind = classifyStatus(status, described.code, described.type, message);
  return new UpstreamHttpError(kind, message, {
    upstreamStatus: status,
    retryAfterMs: parseRetryAfter(headers),
    providerCode: described.code ?? described.type,
  });
}

/**
 * An error event inside a 2xx stream (`data: {"error": {…}}`, or `event: error`), which some
 * OpenAI-compatible upstreams send when generation fails after the headers went out.
 */
export function errorFromStreamEvent(payload: string, redaction: RedactionContext): UpstreamError {
  const described = describeErrorBody(payload);
  const message = redactUpstreamText(described.message ?? 'The upstream reported an error mid-stream.', redaction);
  const status = Number(described.code);
  const kind = Number.isInteger(status) && status >= 400 ? classifyStatus(status, null, described.type, message) : OVERLOADED_TEXT.test(message) ? 'overloaded' : 'server';
  return new UpstreamHttpError(kind, message, { providerCode: described.code ?? described.type });
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ECONNABORTED',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/**
 * An `UpstreamError` for a transport failure (undici or socket errors). Our own aborts arrive already
 * typed (the call's abort reason) and are returned unchanged. The message is generic on purpose: the
 * transport's text names hosts and addresses; it stays available as `cause` for the logs.
 */
export function errorFromTransport(error: unknown, timeouts: { connectMs: number }): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return new UpstreamTimeoutError('connect', timeouts.connectMs, { cause: error });
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new UpstreamTimeoutError('idle', 0, { cause: error });
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) {
    const message = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'The upstream host could not be resolved.'
      : code === 'ECONNREFUSED' ? 'The upstream refused the connection.'
      : 'The connection to the upstream was closed unexpectedly.';
    return new UpstreamConnectionError(message, { cause: error });
  }
  if (code === 'UND_ERR_HTTP_PARSER' || code === 'HPE_INVALID_CONSTANT' || code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return new UpstreamProtocolError('The upstream answered something that is not valid HTTP.', { cause: error });
  }
  return new UpstreamConnectionError('The upstream request failed.', { cause: error });
}
