import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorEnvelope } from '@saas-llm/protocol';
import { HttpTransport } from './http-transport.ts';
import {
  AuthenticationError, ConflictError, ConnectionError, InsufficientCreditsError, InternalServerError, InvalidRequestError,
  JobBudgetExceededError, NotFoundError, PermissionDeniedError, RateLimitError, RequestTooLargeError, SaaSLLMError,
  UpstreamError, UpstreamTimeoutError, UpstreamUnavailableError, ValidationFailedError,
} from './errors.ts';

/**
 * One scripted answer: status, headers and body (an object is sent as JSON), the body optionally sent
 * `bodyDelayMs` after the headers; or `hang` to never answer.
 */
type Script = { status: number; headers?: Record<string, string>; body?: unknown; bodyDelayMs?: number } | 'hang';

interface Seen {
  method: string;
  url: string;
  at: number;
}

/**
 * A real HTTP server on loopback answering each path from a queue of scripted answers (the last one
 * repeats), recording every request it sees.
 */
class ScriptedServer {
  readonly seen: Seen[] = [];
  private readonly scripts = new Map<string, Script[]>();
  private readonly server: Server = createServer((request, response) => this.answer(request, response));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  script(path: string, ...answers: Script[]): void {
    this.scripts.set(path, answers);
  }

  seenOn(path: string): Seen[] {
    return this.seen.filter((request) => request.url.split('?')[0] === path);
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    this.seen.push({ method: request.method ?? '', url: request.url ?? '', at: Date.now() });
    request.resume();
    const queue = this.scripts.get((request.url ?? '').split('?')[0] as string) ?? [{ status: 404, body: errorEnvelope('not_found', 'No such route.') }];
    const script = queue.length > 1 ? (queue.shift() as Script) : (queue[0] as Script);
    if (script === 'hang') return;
    const isJson = typeof script.body === 'object' && script.body !== null;
    response.writeHead(script.status, { ...(isJson ? { 'content-type': 'application/json' } : {}), ...script.headers });
    const body = script.body === undefined ? undefined : isJson ? JSON.stringify(script.body) : String(script.body);
    if (script.bodyDelayMs === undefined) {
      response.end(body);
      return;
    }
    response.flushHeaders();
    setTimeout(() => response.end(body), script.bodyDelayMs);
  }
}

const server = new ScriptedServer();
before(() => server.start());
after(() => server.stop());

/** A transport with fast backoff, so retry tests do not wait on exponential delays. */
function transport(options: { maxRetries?: number; timeout?: number } = {}): HttpTransport {
  return new HttpTransport({ baseUrl: server.url, maxRetries: options.maxRetries ?? 0, retry: { initialDelayMs: 5, maxDelayMs: 20 }, timeout: options.timeout ?? 5_000 });
}

async function failure(promise: Promise<unknown>): Promise<SaaSLLMError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SaaSLLMError) return error;
    throw error;
  }
  assert.fail('expected the request to fail');
}

describe('error envelope → typed errors', () => {
  const cases: Array<[number, string, new (...args: never[]) => SaaSLLMError]> = [
    [400, 'invalid_request', InvalidRequestError],
    [401, 'invalid_api_key', AuthenticationError],
    [402, 'job_budget_exceeded', JobBudgetExceededError],
    [403, 'team_suspended', PermissionDeniedError],
    [403, 'model_not_allowed', PermissionDeniedError],
    [404, 'job_not_found', NotFoundError],
    [409, 'job_closed', ConflictError],
    [409, 'conflict', ConflictError],
    [413, 'request_too_large', RequestTooLargeError],
    [422, 'validation_failed', ValidationFailedError],
    [429, 'rate_limited', RateLimitError],
    [500, 'internal_error', InternalServerError],
    [502, 'upstream_error', UpstreamError],
    [503, 'upstream_unavailable', UpstreamUnavailableError],
    [504, 'upstream_timeout', UpstreamTimeoutError],
  ];
  for (const [status, code, ErrorClass] of cases) {
    test(`${status} ${code} → ${ErrorClass.name}`, async () => {
      const path = `/envelope/${code}`;
      server.script(path, { status, headers: { 'x-request-id': `req-${code}` }, body: errorEnvelope(code, `message of ${code}`, 'model') });
      const error = await failure(transport().request({ method: 'GET', path }));
      assert.ok(error instanceof ErrorClass, `${error.name} is not ${ErrorClass.name}`);
      assert.equal(error.name, ErrorClass.name);
      assert.equal(error.status, status);
      assert.equal(error.code, code);
      assert.equal(error.message, `message of ${code}`);
      assert.equal(error.param, 'model');
      assert.equal(error.requestId, `req-${code}`);
    });
  }

  test('402 insufficient_credits carries credits_available and credits_required', async () => {
    server.script('/envelope/credits', { status: 402, body: errorEnvelope('insufficient_credits', "Team 'alpha' has 0 credits available; this job needs 1.", null, { credits_available: 0, credits_required: 1 }) });
    const error = await failure(transport().request({ method: 'POST', path: '/envelope/credits', body: {} }));
    assert.ok(error instanceof InsufficientCreditsError);
    assert.equal(error.creditsAvailable, 0);
    assert.equal(error.creditsRequired, 1);
    assert.equal(error.param, null);
  });

  test('a non-JSON error page from a proxy keeps its status family and a readable message', async () => {
    server.script('/proxy-page', { status: 502, body: 'Bad Gateway' });
    const error = await failure(transport().request({ method: 'GET', path: '/proxy-page' }));
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.code, 'upstream_error');
    assert.match(error.message, /^HTTP 502.*Bad Gateway/);
  });

  test('a 2xx body that is not JSON is an error, not a silent undefined', async () => {
    server.script('/not-json', { status: 200, body: '<html>' });
    const error = await failure(transport().request({ method: 'GET', path: '/not-json' }));
    assert.equal(error.code, 'invalid_response');
  });

  test('an empty 204 answer resolves to undefined', async () => {
    server.script('/no-content', { status: 204 });
    assert.equal(await transport().request({ method: 'DELETE', path: '/no-content' }), undefined);
  });
});

describe('retries', () => {
  test('429 is retried after the Retry-After the server asked for', async () => {
    server.script('/limited',
      { status: 429, headers: { 'retry-after': '1' }, body: errorEnvelope('rate_limited', 'Slow down.') },
      { status: 200, body: { ok: true } });
    const result = await transport({ maxRetries: 2 }).request<{ ok: boolean }>({ method: 'POST', path: '/limited', body: {} });
    assert.deepEqual(result, { ok: true });
    const [first, second] = server.seenOn('/limited');
    assert.ok(first && second, 'expected two attempts');
    assert.equal(server.seenOn('/limited').length, 2);
    assert.ok(second.at - first.at >= 1_000, `retried after ${second.at - first.at} ms, before Retry-After: 1`);
  });

  test('when retries run out the RateLimitError says how long to wait', async () => {
    server.script('/always-limited', { status: 429, headers: { 'retry-after-ms': '30' }, body: errorEnvelope('rate_limited', 'Slow down.') });
    const error = await failure(transport({ maxRetries: 1 }).request({ method: 'GET', path: '/always-limited' }));
    assert.ok(error instanceof RateLimitError);
    assert.equal(error.retryAfterMs, 30);
    assert.equal(server.seenOn('/always-limited').length, 2);
  });

  test('a Retry-After beyond the limit is thrown at once instead of waited out', async () => {
    server.script('/long-wait', { status: 429, headers: { 'retry-after': '3600' }, body: errorEnvelope('rate_limited', 'Come back in an hour.') });
    const error = await failure(transport({ maxRetries: 3 }).request({ method: 'GET', path: '/long-wait' }));
    assert.equal(error.retryAfterMs, 3_600_000);
    assert.equal(server.seenOn('/long-wait').length, 1);
  });

  test('502, 503 and 504 on a GET are retried with backoff until one succeeds', async () => {
    server.script('/flaky',
      { status: 502, body: errorEnvelope('upstream_error', 'x') },
      { status: 503, body: errorEnvelope('upstream_unavailable', 'x') },
      { status: 504, body: errorEnvelope('upstream_timeout', 'x') },
      { status: 200, body: { attempt: 4 } });
    assert.deepEqual(await transport({ maxRetries: 3 }).request({ method: 'GET', path: '/flaky' }), { attempt: 4 });
    assert.equal(server.seenOn('/flaky').length, 4);
  });

  test('a 502 on a POST is not repeated: the server may have done the work', async () => {
    server.script('/post-502', { status: 502, body: errorEnvelope('upstream_error', 'x') }, { status: 200, body: {} });
    await failure(transport({ maxRetries: 3 }).request({ method: 'POST', path: '/post-502', body: { credits: 1 } }));
    assert.equal(server.seenOn('/post-502').length, 1);
  });

  test('a 502 on a POST with an Idempotency-Key is retried', async () => {
    server.script('/post-idempotent', { status: 502, body: errorEnvelope('upstream_error', 'x') }, { status: 200, body: { job_id: 'j1' } });
    const result = await transport({ maxRetries: 1 }).request({ method: 'POST', path: '/post-idempotent', body: {}, headers: { 'Idempotency-Key': 'k1' } });
    assert.deepEqual(result, { job_id: 'j1' });
    assert.equal(server.seenOn('/post-idempotent').length, 2);
  });

  for (const [status, code, ErrorClass] of [[400, 'invalid_request', InvalidRequestError], [401, 'invalid_api_key', AuthenticationError], [402, 'insufficient_credits', InsufficientCreditsError]] as const) {
    test(`${status} is never retried`, async () => {
      const path = `/no-retry/${status}`;
      server.script(path, { status, body: errorEnvelope(code, 'No.') }, { status: 200, body: {} });
      const error = await failure(transport({ maxRetries: 3 }).request({ method: 'GET', path }));
      assert.ok(error instanceof ErrorClass);
      assert.equal(server.seenOn(path).length, 1);
    });
  }
});

describe('send (streaming)', () => {
  test('returns the response unread; the timeout covers the headers, not the body that follows', async () => {
    server.script('/stream', { status: 200, headers: { 'content-type': 'text/event-stream' }, body: 'data: [DONE]\n\n', bodyDelayMs: 300 });
    const response = await transport({ timeout: 150 }).send({ method: 'POST', path: '/stream', body: {} });
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    assert.equal(await response.text(), 'data: [DONE]\n\n');
  });

  test('an error answer is still a typed error', async () => {
    server.script('/stream-refused', { status: 403, body: errorEnvelope('team_paused', 'Paused.') });
    const error = await failure(transport().send({ method: 'POST', path: '/stream-refused', body: {} }));
    assert.ok(error instanceof PermissionDeniedError);
    assert.equal(error.code, 'team_paused');
  });

  test('a body read in full by request() is covered by the timeout', async () => {
    server.script('/slow-body', { status: 200, body: { late: true }, bodyDelayMs: 300 });
    const error = await failure(transport({ timeout: 150 }).request({ method: 'POST', path: '/slow-body', body: {} }));
    assert.ok(error instanceof ConnectionError);
    assert.equal(error.timedOut, true);
  });
});

describe('connection failures', () => {
  test('a server that does not answer in time gives a ConnectionError marked timedOut', async () => {
    server.script('/hang', 'hang');
    const error = await failure(transport({ timeout: 150 }).request({ method: 'POST', path: '/hang', body: {} }));
    assert.ok(error instanceof ConnectionError);
    assert.equal(error.timedOut, true);
    assert.equal(error.status, undefined);
    assert.match(error.message, /timed out after 150 ms/);
    assert.equal(server.seenOn('/hang').length, 1);
  });

  test('a timed-out GET is retried, each attempt with its own timeout', async () => {
    server.script('/hang-then-answer', 'hang', { status: 200, body: { ok: 1 } });
    assert.deepEqual(await transport({ timeout: 150, maxRetries: 1 }).request({ method: 'GET', path: '/hang-then-answer' }), { ok: 1 });
    assert.equal(server.seenOn('/hang-then-answer').length, 2);
  });

  test('a refused connection gives a ConnectionError that is not a timeout', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = new HttpTransport({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 });
    const error = await failure(refused.request({ method: 'GET', path: '/api/teams' }));
    assert.ok(error instanceof ConnectionError);
    assert.equal(error.timedOut, false);
    assert.match(error.message, /ECONNREFUSED/);
  });

  test("the caller's abort rejects with its reason and is not retried", async () => {
    server.script('/hang-abort', 'hang');
    const controller = new AbortController();
    const pending = transport({ maxRetries: 3 }).request({ method: 'GET', path: '/hang-abort', signal: controller.signal });
    const reason = new Error('user went away');
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(pending, (error) => error === reason);
    assert.equal(server.seenOn('/hang-abort').length, 1);
  });
});
