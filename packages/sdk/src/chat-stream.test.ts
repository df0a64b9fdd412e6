import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatStream } from './chat-stream.ts';
import { ConnectionError, SaaSLLMError, UpstreamTimeoutError } from './errors.ts';

const chunk = (content: string | null, extra: Record<string, unknown> = {}) => JSON.stringify({
  id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'chat-fast',
  choices: content === null ? [] : [{ index: 0, delta: { content }, finish_reason: null }], ...extra,
});

const FINAL = chunk(null, { usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }, call_id: 'call-1', job_id: 'job-1', metadata: { model_group: 'chat-fast', latency_ms: 9, attempts: 1, cost_usd: 0.1 } });

/** A streaming response whose body delivers `text` cut into `pieces` reads (as a network would). */
function sseResponse(text: string, cutEvery: number, onCancel?: () => void): Response {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + cutEvery));
      offset += cutEvery;
    },
    cancel() {
      onCancel?.();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream', 'x-call-id': 'call-1', 'x-job-id': 'job-1' } });
}

async function collect(stream: ChatStream): Promise<string[]> {
  const contents: string[] = [];
  for await (const item of stream) contents.push(item.choices[0]?.delta.content ?? '<final>');
  return contents;
}

describe('ChatStream', () => {
  const wire = `: keepalive\n\ndata: ${chunk('Hel')}\n\ndata: ${chunk('lo ☀')}\n\ndata: ${FINAL}\n\ndata: [DONE]\n\n`;

  test('frames cut into reads of any size give the same typed chunks, text, usage, ids and metadata', async () => {
    for (const size of [1, 2, 3, 7, 64, wire.length]) {
      const stream = new ChatStream(async () => sseResponse(wire, size));
      assert.deepEqual(await collect(stream), ['Hel', 'lo ☀', '<final>'], `reads of ${size} bytes`);
      assert.equal(stream.content, 'Hello ☀');
      assert.equal(stream.completed, true);
      assert.deepEqual(stream.usage, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
      assert.equal(stream.metadata?.cost_usd, 0.1);
      assert.equal(stream.callId, 'call-1');
      assert.equal(stream.jobId, 'job-1');
    }
  });

  test('a body that ends before [DONE] is a ConnectionError, not a silent success', async () => {
    const stream = new ChatStream(async () => sseResponse(`data: ${chunk('Hel')}\n\ndata: ${chunk('lo')}`, 5));
    await assert.rejects(collect(stream), (error) => error instanceof ConnectionError && /before \[DONE\].*middle of an event/.test(error.message));
    assert.equal(stream.content, 'Hel');
  });

  test('an error frame is thrown as the typed error of its code; a frame that is not JSON is invalid_response', async () => {
    const failing = new ChatStream(async () => sseResponse(`data: ${chunk('a')}\n\ndata: {"error":{"type":"upstream_timeout","code":"upstream_timeout","message":"too slow"}}\n\ndata: [DONE]\n\n`, 9));
    await assert.rejects(collect(failing), (error) => error instanceof UpstreamTimeoutError && error.status === 504 && error.message === 'too slow');
    const garbled = new ChatStream(async () => sseResponse('data: {"choices": [\n\n', 4));
    await assert.rejects(collect(garbled), (error) => error instanceof SaaSLLMError && error.code === 'invalid_response');
  });

  test('leaving the loop early cancels the body and aborts the request signal', async () => {
    let cancelled = false;
    let requestSignal: AbortSignal | undefined;
    const stream = new ChatStream(async (signal) => {
      requestSignal = signal;
      return sseResponse(`data: ${chunk('a')}\n\n`.repeat(100), 16, () => { cancelled = true; });
    });
    for await (const item of stream) {
      assert.equal(item.choices[0]?.delta.content, 'a');
      break;
    }
    assert.equal(cancelled, true);
    assert.equal(requestSignal?.aborted, true);
    assert.equal(stream.completed, false);
  });

  test("an already-aborted caller signal stops the stream before the request is sent, with the caller's reason", async () => {
    const controller = new AbortController();
    const reason = new Error('not wanted any more');
    controller.abort(reason);
    let opened = false;
    const stream = new ChatStream(async (signal) => {
      opened = true;
      if (signal.aborted) throw signal.reason;
      return sseResponse('', 1);
    }, controller.signal);
    await assert.rejects(collect(stream), (error) => error === reason);
    assert.equal(opened, true, 'the transport is what refuses an aborted signal');
  });
});
