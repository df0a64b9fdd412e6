import type { Dispatcher } from 'undici';
import { bufferedRequest } from './buffered-request.ts';
import { CallDeadline } from './call-deadline.ts';
import { resolveTimeouts, type CallOptions, type DeploymentTarget, type UpstreamHeaders, type UpstreamTimeouts } from './provider-adapter.ts';
import type { UpstreamPools } from './upstream-pools.ts';
import { UpstreamError, UpstreamProtocolError } from './upstream-error.ts';
import { errorFromResponse, errorFromTransport, type RedactionContext } from './upstream-error-mapping.ts';

/*
 * The HTTP exchange every adapter shares: one POST through the keep-alive pools under a `CallDeadline`,
 * non-2xx answers turned into `UpstreamError`s by a provider-specific mapper, bodies read with bounds.
 * Adapters differ only in how they build the request and translate the answer.
 */

/** An HTTP request ready for `Pool.request`. */
export interface UpstreamRequest {
  /** `scheme://host:port`: the key of the connection pool. */
  origin: string;
  /** Path and query below the origin. */
  path: string;
  /** Host name, for redacting error messages. */
  host: string;
  headers: Record<string, string>;
  body: string;
}

/** Turns a non-2xx answer into the provider's `UpstreamError` (default: `errorFromResponse`). */
export type ErrorMapper = (status: number, headers: UpstreamHeaders, bodyText: string, redaction: RedactionContext) => UpstreamError;

/** Error bodies are read up to this size: enough for any provider's message, bounded against a hostile upstream. */
const ERROR_BODY_LIMIT = 64 * 1024;
/** How long we wait for the body's end after the stream's last event before giving the socket up. */
const DRAIN_AFTER_END_MS = 1000;

/** The first `ERROR_BODY_LIMIT` bytes of an error answer, as text. */
export async function readErrorBody(body: Dispatcher.ResponseData['body']): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of body as AsyncIterable<Buffer>) {
    parts.push(part);
    size += part.length;
    if (size >= ERROR_BODY_LIMIT) break;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** A JSON object out of an upstream answer; anything else is the upstream breaking its wire format. */
export function parseJsonBody(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UpstreamProtocolError(`The upstream answered a ${what} that is not valid JSON.`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UpstreamProtocolError(`The upstream answered a ${what} that is not a JSON object.`);
  return value as Record<string, unknown>;
}

type Location = Pick<UpstreamRequest, 'origin' | 'path' | 'host'>;
/** Located upstreams by base URL, then path: a handful of deployments, asked on every call. */
const located = new Map<string, Map<string, Location>>();
/** Bound on the base URLs kept (cleared when full): they come from the catalog, so this is not reached in practice. */
const LOCATED_LIMIT = 1000;

/**
 * Where a request goes, as pool key, path and the host to redact; a bad base URL is the operator's configuration
 * error. Cached: parsing the base URL on every call showed in profiles.
 */
export function locateUpstream(apiBase: string, pathSuffix: string): Location {
  let paths = located.get(apiBase);
  let location = paths?.get(pathSuffix);
  if (location === undefined) {
    location = Object.freeze(parseLocation(apiBase, pathSuffix));
    if (paths === undefined) {
      if (located.size >= LOCATED_LIMIT) located.clear();
      located.set(apiBase, (paths = new Map()));
    }
    if (paths.size >= LOCATED_LIMIT) paths.clear();
    paths.set(pathSuffix, location);
  }
  return location;
}

function parseLocation(apiBase: string, pathSuffix: string): Location {
  if (!URL.canParse(apiBase)) throw new UpstreamError('not_found', 'The deployment\'s API base URL is not a valid URL.');
  const base = new URL(apiBase);
  const [suffixPath, suffixQuery] = pathSuffix.split('?', 2);
  const query = [base.search.replace(/^\?/, ''), suffixQuery ?? ''].filter(Boolean).join('&');
  return { origin: base.origin, host: base.hostname, path: `${base.pathname.replace(/\/+$/, '')}${suffixPath}${query ? `?${query}` : ''}` };
}

function send(pools: UpstreamPools, request: UpstreamRequest, deadline: CallDeadline, timeouts: UpstreamTimeouts): Promise<Dispatcher.ResponseData> {
  return pools.get(request.origin, timeouts.connectMs).request({
    method: 'POST',
    path: request.path,
    headers: request.headers,
    body: request.body,
    signal: deadline.signal,
  });
}

/**
 * One non-streaming request/response under the attempt's deadline (only the total and connect limits
 * apply: a non-streaming upstream sends headers when it is done). Non-2xx answers are thrown as mapped.
 * The answer is read into memory without a body stream (`bufferedRequest`).
 */
export async function exchangeJson(
  pools: UpstreamPools, request: UpstreamRequest, target: DeploymentTarget, options: CallOptions | undefined, mapError: ErrorMapper = errorFromResponse,
): Promise<{ response: Pick<Dispatcher.ResponseData, 'statusCode' | 'headers'>; text: string }> {
  const timeouts = resolveTimeouts(target, options);
  const deadline = new CallDeadline(timeouts, options?.signal, { watchFirstByte: false });
  try {
    const pool = pools.get(request.origin, timeouts.connectMs);
    const response = await bufferedRequest(pool, { method: 'POST', path: request.path, headers: request.headers, body: request.body }, deadline.signal, ERROR_BODY_LIMIT);
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw mapError(response.statusCode, response.headers, response.text, { apiKey: target.apiKey, host: request.host });
    }
    return { response, text: response.text };
  } catch (error) {
    throw deadline.failure ?? errorFromTransport(error, timeouts);
  } finally {
    deadline.dispose();
  }
}

/** A 2xx `text/event-stream` answer with the deadline that keeps watching it (first byte, idle, total). */
export interface OpenedEventStream {
  response: Dispatcher.ResponseData;
  deadline: CallDeadline;
  timeouts: UpstreamTimeouts;
  redaction: RedactionContext;
}

/**
 * Sends a streaming request and resolves once a 2xx event stream has started; rejects (so the gateway can
 * still fall back) on a non-2xx status, a non-SSE answer, a transport failure or an expired limit. The
 * caller owns the returned deadline and must dispose of it when the stream ends.
 */
export async function openEventStream(
  pools: UpstreamPools, request: UpstreamRequest, target: DeploymentTarget, options: CallOptions | undefined, mapError: ErrorMapper = errorFromResponse,
): Promise<OpenedEventStream> {
  const timeouts = resolveTimeouts(target, options);
  const deadline = new CallDeadline(timeouts, options?.signal, { watchFirstByte: true });
  const redaction: RedactionContext = { apiKey: target.apiKey, host: request.host };
  try {
    const response = await send(pools, request, deadline, timeouts);
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw mapError(response.statusCode, response.headers, await readErrorBody(response.body), redaction);
    }
    const contentType = String(response.headers['content-type'] ?? '');
    if (!contentType.includes('text/event-stream')) {
      response.body.destroy();
      throw new UpstreamProtocolError('The upstream did not answer a stream to a streaming request.');
    }
    return { response, deadline, timeouts, redaction };
  } catch (error) {
    deadline.dispose();
    throw deadline.failure ?? errorFromTransport(error, timeouts);
  }
}

/**
 * Reads a body to its end after the stream's last event, so undici can reuse the keep-alive socket
 * instead of tearing it down (a TLS handshake per stream otherwise); gives the socket up after a second.
 */
export function drainBody(body: Dispatcher.ResponseData['body'], reader: AsyncIterator<Buffer>): void {
  const giveUp = setTimeout(() => body.destroy(), DRAIN_AFTER_END_MS).unref();
  const readToEnd = async (): Promise<void> => {
    while (!(await reader.next()).done) {
      // Bytes after the end carry nothing for us.
    }
  };
  readToEnd().then(
    () => clearTimeout(giveUp),
    (error: unknown) => {
      // The answer was already complete; a failure now only means the socket is not reused.
      clearTimeout(giveUp);
      void error;
    },
  );
}
