import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  AuthenticationError, ConflictError, InsufficientCreditsError, InvalidRequestError, JobBudgetExceededError, NotFoundError,
  PermissionDeniedError, RateLimitError, SaaSLLMError, UpstreamUnavailableError,
} from '@saas-llm/sdk';
import { startTestGateway, type TestGateway } from './helpers/test-gateway.ts';
import { createTenant } from './helpers/tenant-factory.ts';
import { clientFor, recordingFetch } from './helpers/sdk-fixtures.ts';

const hello = [{ role: 'user' as const, content: 'Hello' }];

/** Asserts `promise` rejects with an instance of `type` carrying `code` and `status`, and returns the error. */
async function rejectsWith<E extends SaaSLLMError>(promise: Promise<unknown>, type: new (...args: never[]) => E, status: number, code: string): Promise<E> {
  let caught: unknown;
  await assert.rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof type, `expected ${type.name}, got ${String(caught)}`);
  assert.equal(caught.status, status);
  assert.equal(caught.code, code);
  assert.ok(caught.message.length > 0 && !caught.message.startsWith('HTTP'), `the server's message: ${caught.message}`);
  assert.match(caught.requestId ?? '', /.+/);
  return caught;
}

/**
 * Every error family the tenant API answers, as the SDK's typed errors with the server's message, and
 * the retry policy against the real gateway: 4xx never retried; 429 and 503 retried, after Retry-After.
 */
describe('SaaSLLMClient: typed errors and retries', () => {
  let gateway: TestGateway;
  before(async () => { gateway = await startTestGateway(); });
  after(async () => { await gateway.close(); });

  test('400, 401, 402, 404, 409 are thrown as their classes with the server message, and never retried', async () => {
    const tenant = await createTenant(gateway, { credits: 2 });
    const recorder = recordingFetch();
    const client = clientFor(gateway, tenant, { fetch: recorder.fetch });
    const { job_id: jobId } = await client.createJob({ job_type: 'errors', max_calls: 1 });

    const invalid = await rejectsWith(client.chat({ jobId, model_group: tenant.group, messages: hello, temperature: 5 }), InvalidRequestError, 400, 'invalid_request');
    assert.equal(invalid.param, 'temperature');
    await rejectsWith(clientFor(gateway, { ...tenant, key: 'sk-not-a-real-key' }, { fetch: recorder.fetch }).getTeam(), AuthenticationError, 401, 'invalid_api_key');
    await rejectsWith(client.getJob(randomUUID()), NotFoundError, 404, 'job_not_found');
    await rejectsWith(client.chat({ jobId, model_group: 'no-such-group', messages: hello }), NotFoundError, 404, 'model_not_found');
    await client.chat({ jobId, model_group: tenant.group, messages: hello });
    await rejectsWith(client.chat({ jobId, model_group: tenant.group, messages: hello }), JobBudgetExceededError, 402, 'job_budget_exceeded');

    // Job A holds 1 credit, job B the other: a third job cannot be afforded.
    await client.createJob('second');
    const broke = await rejectsWith(client.createJob('third'), InsufficientCreditsError, 402, 'insufficient_credits');
    assert.equal(broke.creditsAvailable, 0);
    assert.equal(broke.creditsRequired, 1);

    await client.completeJob({ jobId });
    await rejectsWith(client.chat({ jobId, model_group: tenant.group, messages: hello }), ConflictError, 409, 'job_closed');
    await rejectsWith(client.completeJob({ jobId, status: 'failed' }), ConflictError, 409, 'job_state_conflict');
    // Each failing request above went out exactly once: no 4xx is retried.
    const failed = recorder.requests.filter((request) => request.status !== null && request.status >= 400);
    assert.deepEqual(failed.map((request) => request.status), [400, 401, 404, 404, 402, 402, 409, 409]);
  });

  test('403: a suspended or paused team cannot work but can still read; another team id is team_mismatch', async () => {
    const tenant = await createTenant(gateway);
    const client = clientFor(gateway, tenant);
    const { job_id: jobId } = await client.createJob('before-suspension');
    assert.equal((await gateway.admin(`/api/teams/${tenant.teamId}/suspend`, { method: 'PUT' })).status, 200);
    await rejectsWith(client.chat({ jobId, model_group: tenant.group, messages: hello }), PermissionDeniedError, 403, 'team_suspended');
    await rejectsWith(client.createJob('during-suspension'), PermissionDeniedError, 403, 'team_suspended');
    assert.equal((await client.getBalance()).status, 'suspended', 'reads still work while suspended');
    assert.equal((await gateway.admin(`/api/teams/${tenant.teamId}/pause`, { method: 'PUT' })).status, 200);
    await rejectsWith(client.chatStream({ jobId, model_group: tenant.group, messages: hello }).text(), PermissionDeniedError, 403, 'team_paused');
    assert.equal((await gateway.admin(`/api/teams/${tenant.teamId}/resume`, { method: 'PUT' })).status, 200);
    assert.equal((await client.chat({ jobId, model_group: tenant.group, messages: hello })).object, 'chat.completion');

    const other = await createTenant(gateway);
    const mismatched = clientFor(gateway, { ...tenant, teamId: other.teamId });
    const mismatch = await rejectsWith(mismatched.createJob('elsewhere'), PermissionDeniedError, 403, 'team_mismatch');
    assert.equal(mismatch.param, 'team_id');
    await rejectsWith(mismatched.getBalance(), PermissionDeniedError, 403, 'team_mismatch');
    await rejectsWith(clientFor(gateway, other).getJob(jobId), NotFoundError, 404, 'job_not_found');
  });

  test('429: an RPM limit throws RateLimitError with the Retry-After delay when retries are off', async () => {
    const tenant = await createTenant(gateway, { team: { rpm_limit: 1 } });
    const recorder = recordingFetch();
    const client = clientFor(gateway, tenant, { fetch: recorder.fetch, maxRetries: 0 });
    const { job_id: jobId } = await client.createJob('rpm');
    await client.chat({ jobId, model_group: tenant.group, messages: hello });
    const limited = await rejectsWith(client.chat({ jobId, model_group: tenant.group, messages: hello }), RateLimitError, 429, 'rate_limited');
    assert.ok(limited.retryAfterMs !== null && limited.retryAfterMs >= 1_000 && limited.retryAfterMs <= 60_000, `Retry-After ${limited.retryAfterMs} ms`);
    assert.equal(recorder.to('/llm-call').length, 2);
    // The stream route is limited the same way, and reports it before any chunk.
    await rejectsWith(client.chatStream({ jobId, model_group: tenant.group, messages: hello }).text(), RateLimitError, 429, 'rate_limited');
  });

  test('429 with Retry-After: createJob waits as long as asked, retries, and succeeds once a job slot is free', async () => {
    const tenant = await createTenant(gateway, { team: { max_open_jobs: 1 } });
    const client = clientFor(gateway, tenant);
    const first = await client.createJob('holds-the-slot');
    // When the second create is refused, free the slot; the SDK's retry after Retry-After then succeeds.
    const recorder = recordingFetch(async (request) => {
      if (request.status === 429) await client.completeJob({ jobId: first.job_id });
    });
    const retrying = clientFor(gateway, tenant, { fetch: recorder.fetch });
    const second = await retrying.createJob('waits-for-the-slot');
    assert.notEqual(second.job_id, first.job_id);
    const attempts = recorder.to('/api/jobs/create');
    assert.deepEqual(attempts.map((attempt) => attempt.status), [429, 200]);
    const waited = attempts[1]!.startedAt - attempts[0]!.startedAt;
    assert.ok(waited >= 1_000, `waited ${Math.round(waited)} ms; the server asked for Retry-After: 1`);
  });

  test('503: every deployment failing is UpstreamUnavailableError; a transient 503 is retried with backoff until it passes', async () => {
    const down = await createTenant(gateway, { deployments: [{ settings: { fail_first_n: 1000, fail_status: 503 } }] });
    const downClient = clientFor(gateway, down, { maxRetries: 0 });
    const { job_id: downJob } = await downClient.createJob('down');
    await rejectsWith(downClient.chat({ jobId: downJob, model_group: down.group, messages: hello }), UpstreamUnavailableError, 503, 'upstream_unavailable');

    // Two failures: the gateway's own retry of the deployment uses both, answers 503; the SDK's retry succeeds.
    const flaky = await createTenant(gateway, { deployments: [{ settings: { fail_first_n: 2, fail_status: 503 } }] });
    const recorder = recordingFetch();
    const client = clientFor(gateway, flaky, { fetch: recorder.fetch, retry: { initialDelayMs: 50 } });
    const { job_id: jobId } = await client.createJob('flaky');
    const response = await client.chat({ jobId, model_group: flaky.group, messages: hello });
    assert.equal(response.object, 'chat.completion');
    assert.deepEqual(recorder.to('/llm-call').map((attempt) => attempt.status), [503, 200]);
    const job = await client.getJob(jobId);
    assert.equal(job.costs.failed_calls, 1);
    assert.equal(job.costs.successful_calls, 1);
  });

  test('a failure after the first chunk arrives as an error frame and is thrown as its typed error', async () => {
    const tenant = await createTenant(gateway, { deployments: [{ settings: { fail_mid_stream_first_n: 1, fail_mid_stream_after_tokens: 3 } }] });
    const client = clientFor(gateway, tenant);
    const { job_id: jobId } = await client.createJob('mid-stream');
    const stream = client.chatStream({ jobId, model_group: tenant.group, messages: [{ role: 'user', content: 'Tell me a story' }] });
    let received = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? '';
    }, (error) => error instanceof UpstreamUnavailableError && error.code === 'upstream_unavailable' && /closed unexpectedly/.test(error.message));
    assert.ok(received.length > 0, 'the chunks before the failure were delivered');
    assert.equal((await client.getCall(jobId, stream.callId!)).status, 'failed');
  });
});
