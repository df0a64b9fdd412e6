import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatStream, StreamClosedError, type LlmCallChunk } from '@saas-llm/sdk';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant } from './helpers/tenant-factory.ts';
import { clientFor, recordingFetch, settledCall } from './helpers/sdk-fixtures.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * SaaSLLMClient against a real gateway on loopback (PGlite, mock provider): jobs, calls, streams and
 * their cancellation, withJob, and the team's reads. Errors, retries and structured outputs have their
 * own files.
 */
describe('SaaSLLMClient: jobs, calls, streams, team reads', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('the job lifecycle: createJob makes the current job, calls default to it, completeJob closes it (idempotently)', async () => {
    const tenant = await createTenant(gateway);
    const client = clientFor(gateway, tenant);
    const job = await client.createJob({ job_type: 'sdk-test', metadata: { source: 'sdk' }, user_id: 'user-1', max_calls: 10 });
    assert.match(job.job_id, UUID);
    assert.equal(job.team_id, tenant.teamId);
    assert.equal(job.status, 'pending');
    assert.deepEqual(job.metadata, { source: 'sdk' });
    assert.equal(client.currentJobId, job.job_id);

    const response = await client.chat({ model_group: tenant.group, messages: [{ role: 'user', content: 'What is the capital of France?' }], purpose: 'capital' });
    assert.equal(response.object, 'chat.completion');
    assert.equal(response.job_id, job.job_id);
    assert.equal(response.choices[0]?.message.content, 'The capital of France is Paris.');
    assert.ok(response.usage && response.usage.total_tokens === response.usage.prompt_tokens + response.usage.completion_tokens);
    assert.equal(response.metadata.model_group, tenant.group);
    assert.ok(response.metadata.cost_usd > 0);

    const merged = await client.updateJobMetadata(job.job_id, { step: 2 });
    assert.deepEqual(merged.metadata, { source: 'sdk', step: 2 });
    const detail = await client.getJob();
    assert.equal(detail.status, 'in_progress');
    assert.equal(detail.costs.total_calls, 1);
    assert.deepEqual(detail.model_groups_used, [tenant.group]);
    const call = await client.getCall(job.job_id, response.call_id);
    assert.equal(call.status, 'succeeded');
    assert.equal(call.purpose, 'capital');
    const costs = await client.getJobCosts();
    assert.deepEqual(costs.costs.breakdown.map((row) => row.call_id), [response.call_id]);

    const closed = await client.completeJob({ status: 'completed', result: { answer: 'Paris' } });
    assert.equal(closed.status, 'completed');
    assert.equal(closed.costs.total_calls, 1);
    assert.equal(closed.costs.credits_charged, 1);
    assert.equal(client.currentJobId, null, 'completing the current job clears it');
    const again = await client.completeJob({ jobId: job.job_id, status: 'completed' });
    assert.equal(again.costs.credits_remaining, closed.costs.credits_remaining, 'completing twice charges once');
    assert.deepEqual((await client.getJob(job.job_id)).result, { answer: 'Paris' });
    await assert.rejects(client.chat({ model_group: tenant.group, messages: [{ role: 'user', content: 'x' }] }), /No job/);

    const other = await client.createJob('to-cancel', { idempotencyKey: 'sdk-idem-1' });
    assert.equal((await client.createJob('to-cancel', { idempotencyKey: 'sdk-idem-1' })).job_id, other.job_id, 'Idempotency-Key returns the same job');
    const cancelled = await client.cancelJob(other.job_id, 'not needed');
    assert.equal(cancelled.status, 'cancelled');
    assert.equal((await client.getJob(other.job_id)).error_message, 'not needed');
  });

  test('chat forwards OpenAI parameters: tools and tool_choice, stop, max_tokens, n, seed, json_object', async () => {
    const tenant = await createTenant(gateway);
    const client = clientFor(gateway, tenant);
    const { job_id: jobId } = await client.createJob('params');
    const tool = await client.chat({
      jobId, model_group: tenant.group, messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const toolCall = tool.choices[0]?.message.tool_calls?.[0];
    assert.equal(tool.choices[0]?.finish_reason, 'tool_calls');
    assert.equal(toolCall?.function.name, 'get_weather');
    assert.equal(typeof (JSON.parse(toolCall!.function.arguments) as { city: unknown }).city, 'string');

    const limited = await client.chat({ jobId, model_group: tenant.group, messages: [{ role: 'user', content: 'Write a long essay about the sea' }], max_tokens: 5, seed: 7, n: 2 });
    assert.equal(limited.choices.length, 2);
    assert.equal(limited.choices[0]?.finish_reason, 'length');
    assert.ok(limited.usage!.completion_tokens <= 10);
    const stopped = await client.chat({ jobId, model_group: tenant.group, messages: [{ role: 'user', content: 'What is the capital of France?' }], stop: ['Paris'] });
    assert.equal(stopped.choices[0]?.message.content, 'The capital of France is ');
    const json = await client.chat({ jobId, model_group: tenant.group, messages: [{ role: 'user', content: 'Say hi' }], response_format: { type: 'json_object' } });
    assert.equal(typeof JSON.parse(json.choices[0]!.message.content!), 'object');
    await client.completeJob({ jobId });
  });

  test('chatStream: typed chunks as they arrive, the text, usage, ids and metadata', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { tokens_per_second: 200 } }] });
    const client = clientFor(gateway, tenant);
    const { job_id: jobId } = await client.createJob('stream');
    const stream = client.chatStream({ model_group: tenant.group, messages: [{ role: 'user', content: 'Tell me a short story' }], purpose: 'story' });
    assert.ok(stream instanceof ChatStream);
    const chunks: LlmCallChunk[] = [];
    let text = '';
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.model, tenant.group);
      text += chunk.choices[0]?.delta.content ?? '';
      chunks.push(chunk);
    }
    assert.ok(chunks.length > 5, `${chunks.length} chunks`);
    assert.ok(text.length > 20);
    assert.equal(stream.content, text);
    assert.equal(stream.completed, true);
    assert.equal(stream.finishReason, 'stop');
    assert.equal(stream.jobId, jobId);
    assert.match(stream.callId ?? '', UUID);
    const final = chunks.at(-1)!;
    assert.deepEqual(final.choices, []);
    assert.equal(final.call_id, stream.callId);
    assert.deepEqual(stream.usage, final.usage);
    assert.ok(stream.usage!.completion_tokens > 5);
    assert.equal(typeof stream.metadata?.ttft_ms, 'number');
    assert.throws(() => stream[Symbol.asyncIterator](), /only once/);
    const record = await client.getCall(jobId, stream.callId!);
    assert.equal(record.status, 'succeeded');
    assert.equal(record.completion_tokens, stream.usage!.completion_tokens);
    const collected = await client.chatStream({ model_group: tenant.group, messages: [{ role: 'user', content: 'What is the capital of France?' }] }).text();
    assert.equal(collected, 'The capital of France is Paris.');
    await client.completeJob();
  });

  test('breaking out of a chatStream cancels the upstream call: the record says cancelled, metered with what was streamed', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { tokens_per_second: 40 } }] });
    const client = clientFor(gateway, tenant);
    const { job_id: jobId } = await client.createJob('break');
    const stream = client.chatStream({ model_group: tenant.group, messages: [{ role: 'user', content: 'Write a long essay about the sea' }], max_tokens: 2000 });
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) seen += 1;
      if (seen === 3) break;
    }
    assert.equal(stream.completed, false);
    const record = await settledCall(client, jobId, stream.callId!);
    assert.equal(record.status, 'cancelled');
    assert.equal(record.usage_source, 'estimated');
    assert.ok(record.completion_tokens >= 3 && record.completion_tokens < 2000, `${record.completion_tokens} tokens metered`);
    assert.equal(gateway.container.inFlight.count(jobId), 0, 'no call of the job is still running upstream');
    const closed = await client.completeJob({ jobId });
    assert.deepEqual(closed.calls.map((call) => call.status), ['cancelled']);
  });

  test('aborting the AbortSignal of a chatStream cancels the upstream call and rejects the loop with the reason', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { tokens_per_second: 40 } }] });
    const client = clientFor(gateway, tenant);
    const { job_id: jobId } = await client.createJob('abort');
    const controller = new AbortController();
    const reason = new Error('user pressed stop');
    const stream = client.chatStream({ model_group: tenant.group, messages: [{ role: 'user', content: 'Write a long essay about the sea' }], max_tokens: 2000 }, { signal: controller.signal });
    await assert.rejects(async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) controller.abort(reason);
      }
    }, (error) => error === reason);
    const record = await settledCall(client, jobId, stream.callId!);
    assert.equal(record.status, 'cancelled');
    assert.ok(record.completion_tokens < 2000);
    // abort() on the stream object works the same way, and an early exit uses StreamClosedError as the reason.
    const second = client.chatStream({ jobId, model_group: tenant.group, messages: [{ role: 'user', content: 'Another long essay please' }], max_tokens: 2000 });
    await assert.rejects(async () => {
      for await (const chunk of second) if (chunk.choices[0]?.delta.content) second.abort(new StreamClosedError());
    }, StreamClosedError);
    assert.equal((await settledCall(client, jobId, second.callId!)).status, 'cancelled');
    await client.completeJob({ jobId });
  });

  test('withJob completes with the returned object, fails on a throw, cancels on an abort, and always closes', async () => {
    const tenant = await createTenant(gateway);
    const recorder = recordingFetch();
    const client = clientFor(gateway, tenant, { fetch: recorder.fetch });
    let jobId = '';
    const answer = await client.withJob({ job_type: 'with-job', metadata: { via: 'withJob' } }, async (job) => {
      jobId = job.jobId;
      const response = await job.chat({ model_group: tenant.group, messages: [{ role: 'user', content: 'What is the capital of Italy?' }] });
      assert.equal((await job.get()).status, 'in_progress');
      assert.equal((await job.costs()).costs.breakdown.length, 1);
      assert.equal((await job.call(response.call_id)).status, 'succeeded');
      await job.updateMetadata({ checked: true });
      return { answer: response.choices[0]?.message.content };
    });
    assert.deepEqual(answer, { answer: 'The capital of Italy is Rome.' });
    assert.equal(client.currentJobId, null, 'withJob leaves the current job alone');
    const completed = await client.getJob(jobId);
    assert.equal(completed.status, 'completed');
    assert.deepEqual(completed.result, { answer: 'The capital of Italy is Rome.' });
    assert.deepEqual(completed.metadata, { via: 'withJob', checked: true });

    let failedJobId = '';
    const failure = new Error('the agent gave up');
    await assert.rejects(client.withJob('with-job-fails', async (job) => {
      failedJobId = job.jobId;
      await job.chat({ model_group: tenant.group, messages: [{ role: 'user', content: 'Hello' }] });
      throw failure;
    }), (error) => error === failure);
    const failed = await client.getJob(failedJobId);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error_message, 'Error: the agent gave up');

    let abortedJobId = '';
    const controller = new AbortController();
    await assert.rejects(client.withJob('with-job-aborts', async (job) => {
      abortedJobId = job.jobId;
      controller.abort();
      await job.chat({ model_group: tenant.group, messages: [{ role: 'user', content: 'Hello' }] }, { signal: controller.signal });
    }), { name: 'AbortError' });
    assert.equal((await client.getJob(abortedJobId)).status, 'cancelled');
    assert.equal(recorder.to('/cancel').length, 1);
    const open = await client.listJobs({ status: 'in_progress' });
    assert.deepEqual(open.jobs, [], 'no job is left open');
  });

  test("the team's own reads: team, balance, ledger, credit check, usage, jobs (paginated) and model groups", async () => {
    const tenant = await createTenant(gateway, { credits: 50 });
    const client = clientFor(gateway, tenant);
    for (const type of ['report', 'report', 'chat']) {
      await client.withJob(type, (job) => job.chat({ model_group: tenant.group, messages: [{ role: 'user', content: 'Hello' }] }));
    }
    const team = await client.getTeam();
    assert.equal(team.team_id, tenant.teamId);
    assert.deepEqual(team.model_groups, [tenant.group]);
    const balance = await client.getBalance();
    assert.equal(balance.credits_remaining, 47);
    assert.equal(balance.credits_available, 47);
    const ledger = await client.listTransactions({ limit: 2 });
    assert.equal(ledger.transactions.length, 2);
    assert.equal(ledger.transactions[0]?.type, 'deduction');
    assert.ok(ledger.next_cursor);
    const next = await client.listTransactions({ cursor: ledger.next_cursor!, limit: 10 });
    assert.deepEqual(next.transactions.map((row) => row.type), ['deduction', 'allocation']);
    assert.deepEqual([(await client.checkCredits(10)).sufficient, (await client.checkCredits(100)).sufficient], [true, false]);
    const usage = await client.getUsage();
    assert.equal(usage.summary.total_jobs, 3);
    assert.equal(usage.summary.total_calls, 3);
    assert.deepEqual(Object.keys(usage.job_types).sort(), ['chat', 'report']);
    assert.equal(usage.job_types['report']?.count, 2);
    assert.equal(usage.model_groups[tenant.group]?.calls, 3);
    const firstPage = await client.listJobs({ limit: 2 });
    assert.equal(firstPage.jobs.length, 2);
    assert.ok(firstPage.next_cursor);
    const all = [];
    for await (const job of client.iterateJobs({ limit: 2 })) all.push(job);
    assert.equal(all.length, 3);
    assert.deepEqual(all.map((job) => job.job_type), ['chat', 'report', 'report'], 'newest first');
    assert.deepEqual((await client.listJobs({ job_type: 'chat' })).jobs.map((job) => job.status), ['completed']);
    const groups = await client.listModelGroups();
    assert.deepEqual(groups.map((group) => group.name), [tenant.group]);
    assert.ok(!JSON.stringify(groups).includes('mock'), 'nothing about providers');
  });
});
