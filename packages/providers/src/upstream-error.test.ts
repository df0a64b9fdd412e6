import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { errorFromResponse, errorFromStreamEvent, errorFromTransport } from './upstream-error-mapping.ts';
import { UpstreamError, UpstreamTimeoutError, parseRetryAfter, redactUpstreamText, type UpstreamErrorKind } from './upstream-error.ts';

const redaction = { apiKey: 'sk-live-abcdefghijklmnopqrstuvwxyz123456', host: 'llm.internal.example' };

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads delta-seconds, HTTP dates and retry-after-ms, and ignores garbage', () => {
    assert.equal(parseRetryAfter({ 'retry-after': '12' }, now), 12_000);
    assert.equal(parseRetryAfter({ 'retry-after': '1.5' }, now), 1500);
    assert.equal(parseRetryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, now), 30_000);
    assert.equal(parseRetryAfter({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }, now), 0);
    assert.equal(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '9' }, now), 250);
    assert.equal(parseRetryAfter({ 'retry-after': ['4', '5'] }, now), 4000);
    assert.equal(parseRetryAfter({ 'retry-after': 'soon' }, now), null);
    assert.equal(parseRetryAfter({}, now), null);
  });
});

describe('redactUpstreamText', () => {
  it('removes URLs, key shapes, the key (and its echoed tail) and the host', () => {
    const text = `Incorrect API key provided: sk-live-****************************3456. See https://platform.example.com/keys or call llm.internal.example:443 with Bearer abcdef123456.`;
    const cleaned = redactUpstreamText(text, redaction);
    for (const secret of ['3456', 'https://', 'platform.example.com', 'llm.internal.example', 'abcdef123456', 'sk-live']) assert.ok(!cleaned.includes(secret), `${secret} in ${cleaned}`);
    assert.match(cleaned, /^Incorrect API key provided: /);
  });

  it('never leaves a key in the text, wherever it is embedded (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.stringMatching(/^[A-Za-z0-9]{16,40}$/), fc.string({ maxLength: 40 }), (before, key, afterText) => {
      const cleaned = redactUpstreamText(`${before}${key}${afterText}`, { apiKey: key });
      assert.ok(!cleaned.includes(key));
    }));
  });
});

describe('errorFromResponse', () => {
  const classify = (status: number, body: unknown, headers = {}): UpstreamError => errorFromResponse(status, headers, typeof body === 'string' ? body : JSON.stringify(body), redaction);

  it('classifies statuses and provider codes', () => {
    const cases: Array<[number, unknown, UpstreamErrorKind, 400 | 502 | 503 | 504, boolean]> = [
      [400, { error: { message: 'Bad value for temperature', type: 'invalid_request_error', param: 'temperature' } }, 'client', 400, false],
      [400, { error: { message: 'prompt is too long: 210000 tokens > 200000 maximum' } }, 'context_window', 400, false],
      [413, { error: { message: 'Request too large', code: 'string_above_max_length' } }, 'context_window', 400, false],
      [422, { detail: [{ loc: ['body', 'temperature'], msg: 'bad' }] }, 'client', 400, false],
      [401, { error: 'invalid key' }, 'auth', 502, false],
      [403, { message: 'forbidden region' }, 'auth', 502, false],
      [404, { error: { message: 'no such model' } }, 'not_found', 502, false],
      [408, {}, 'server', 502, true],
      [409, {}, 'server', 502, true],
      [429, { error: { message: 'slow down', type: 'requests' } }, 'rate_limited', 503, true],
      [429, { error: { message: 'quota', code: 'insufficient_quota' } }, 'quota', 503, false],
      [500, 'Internal Server Error', 'server', 502, true],
      [503, {}, 'overloaded', 503, true],
      [529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'overloaded', 503, true],
    ];
    for (const [status, body, kind, gatewayStatus, retryable] of cases) {
      const error = classify(status, body);
      assert.equal(error.kind, kind, `${status} ${JSON.stringify(body)}`);
      assert.equal(error.gatewayStatus, gatewayStatus, `${status}`);
      assert.equal(error.isRetryable, retryable, `${status}`);
      assert.equal(error.upstreamStatus, status);
    }
  });

  it('keeps the provider\'s message and code, and falls back to a generic one for empty bodies', () => {
    const error = classify(400, { error: { message: 'This model\'s maximum context length is 8192 tokens.', code: 'context_length_exceeded' } });
    assert.equal(error.message, 'This model\'s maximum context length is 8192 tokens.');
    assert.equal(error.providerCode, 'context_length_exceeded');
    assert.equal(classify(500, '').message, 'The upstream answered HTTP 500.');
    assert.equal(classify(429, {}, { 'retry-after': '2' }).retryAfterMs, 2000);
  });

  it('classifies error events inside a stream', () => {
    assert.equal(errorFromStreamEvent(JSON.stringify({ error: { message: 'Model overloaded, try later' } }), redaction).kind, 'overloaded');
    assert.equal(errorFromStreamEvent(JSON.stringify({ error: { message: 'boom', code: 429 } }), redaction).kind, 'rate_limited');
    assert.equal(errorFromStreamEvent(JSON.stringify({ error: { message: 'boom' } }), redaction).kind, 'server');
  });
});

describe('errorFromTransport', () => {
  it('maps socket and undici codes to connection, timeout and protocol errors with generic messages', () => {
    const withCode = (code: string): Error => Object.assign(new Error(`connect ${code} 10.0.0.1:443 https://secret.example`), { code });
    assert.equal(errorFromTransport(withCode('ECONNREFUSED'), { connectMs: 1 }).kind, 'connection');
    assert.equal(errorFromTransport(withCode('UND_ERR_SOCKET'), { connectMs: 1 }).kind, 'connection');
    const timeout = errorFromTransport(withCode('UND_ERR_CONNECT_TIMEOUT'), { connectMs: 1500 });
    assert.ok(timeout instanceof UpstreamTimeoutError && timeout.phase === 'connect');
    assert.equal(errorFromTransport(withCode('UND_ERR_HTTP_PARSER'), { connectMs: 1 }).kind, 'protocol');
    for (const code of ['ENOTFOUND', 'ECONNRESET', 'WEIRD']) {
      const error = errorFromTransport(withCode(code), { connectMs: 1 });
      assert.doesNotMatch(error.message, /10\.0\.0\.1|secret\.example/);
      assert.ok(error.cause instanceof Error);
    }
    const typed = new UpstreamError('cancelled', 'x');
    assert.equal(errorFromTransport(typed, { connectMs: 1 }), typed);
  });
});
