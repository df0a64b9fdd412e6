import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeAnthropicServer } from './fake-anthropic-server.ts';
import { FakeGeminiServer } from './fake-gemini-server.ts';

const post = (url: string, body: unknown, headers: Record<string, string>): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('FakeAnthropicServer speaks the Messages API', () => {
  let fake: FakeAnthropicServer;
  const headers = { 'x-api-key': 'sk-ant-fake-000000000000', 'anthropic-version': '2023-06-01' };
  before(async () => { fake = await FakeAnthropicServer.start({ apiKey: headers['x-api-key'] }); });
  after(() => fake.close());

  it('streams named events in the documented order, each `event:` line matching the data\'s type', async () => {
    fake.script({ content: 'Hi there', toolUses: [{ id: 'toolu_1', name: 'f', input: { a: 1 } }] });
    const response = await post(`${fake.baseUrl}/messages`, { model: 'claude-x', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'x' }] }, headers);
    assert.match(String(response.headers.get('content-type')), /^text\/event-stream/);
    const events = (await response.text()).split('\n\n').filter(Boolean).map((frame) => {
      const [eventLine, dataLine] = frame.split('\n') as [string, string];
      const data = JSON.parse(dataLine.replace(/^data: /, '')) as { type: string; delta?: { type?: string } };
      assert.equal(eventLine, `event: ${data.type}`);
      return data.delta?.type ? `${data.type}:${data.delta.type}` : data.type;
    });
    assert.deepEqual(events, [
      'message_start', 'content_block_start', 'ping', 'content_block_delta:text_delta', 'content_block_delta:text_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta:input_json_delta', 'content_block_delta:input_json_delta', 'content_block_stop',
      'message_delta', 'message_stop',
    ]);
  });

  it('answers errors in Anthropic\'s shape, requires anthropic-version and max_tokens', async () => {
    fake.script({ status: 529 });
    const overloaded = await post(`${fake.baseUrl}/messages`, { model: 'm', max_tokens: 5, messages: [] }, headers);
    assert.equal(overloaded.status, 529);
    assert.deepEqual(await overloaded.json(), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_fake0000000000000000' });
    const noVersion = await post(`${fake.baseUrl}/messages`, { model: 'm', max_tokens: 5, messages: [] }, { 'x-api-key': headers['x-api-key'] });
    assert.equal(noVersion.status, 400);
    const noMaxTokens = await post(`${fake.baseUrl}/messages`, { model: 'm', messages: [] }, headers);
    assert.equal(((await noMaxTokens.json()) as { error: { message: string } }).error.message, 'max_tokens: Field required');
  });
});

describe('FakeGeminiServer speaks the Gemini API', () => {
  let fake: FakeGeminiServer;
  const headers = { 'x-goog-api-key': 'AIzaFAKE0000000000000000' };
  before(async () => { fake = await FakeGeminiServer.start({ apiKey: headers['x-goog-api-key'] }); });
  after(() => fake.close());
  const body = { contents: [{ role: 'user', parts: [{ text: 'x' }] }] };

  it('streams CRLF-framed GenerateContentResponses without an end marker; the last has finishReason and full usage', async () => {
    fake.script({ content: 'One two' });
    const response = await post(`${fake.baseUrl}/models/gemini-x:streamGenerateContent?alt=sse`, body, headers);
    const text = await response.text();
    assert.ok(text.endsWith('}\r\n\r\n'));
    const payloads = text.split('\r\n\r\n').filter(Boolean).map((frame) => JSON.parse(frame.replace(/^data: /, '')) as Record<string, any>);
    assert.equal(payloads.length, 2);
    assert.equal(payloads[0]!.candidates[0].finishReason, undefined);
    assert.equal(payloads[1]!.candidates[0].finishReason, 'STOP');
    assert.equal(payloads[1]!.usageMetadata.candidatesTokenCount, 2);
    assert.equal(payloads[1]!.modelVersion, 'gemini-x');
  });

  it('refuses a key in the URL and answers an invalid key with 400 API_KEY_INVALID', async () => {
    const inUrl = await post(`${fake.baseUrl}/models/gemini-x:generateContent?key=${headers['x-goog-api-key']}`, body, headers);
    assert.equal(inUrl.status, 400);
    const wrong = await post(`${fake.baseUrl}/models/gemini-x:generateContent`, body, { 'x-goog-api-key': 'AIzaWRONG' });
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { error: { details: Array<{ reason: string }> } }).error.details[0]!.reason, 'API_KEY_INVALID');
  });

  it('blocks a prompt with promptFeedback and no candidates', async () => {
    fake.script({ blockReason: 'SAFETY' });
    const answer = (await (await post(`${fake.baseUrl}/models/gemini-x:generateContent`, body, headers)).json()) as Record<string, any>;
    assert.equal(answer.candidates, undefined);
    assert.equal(answer.promptFeedback.blockReason, 'SAFETY');
  });
});
