/**
 * What the adapter tests share: one fake provider server and one pool set per test file, a fresh
 * deployment target per test, and ways to read a stream back. Imported by `*.test.ts` files only.
 *
 * The fake server comes in as a start function, typed only by what this module calls on it, so the
 * module needs no testkit import: only test files may depend on the testkit (scripts/check-imports.ts).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import type { ChatCompletionChunk, ChatCompletionRequest, ChatUsage } from '@saas-llm/protocol';
import type { DeploymentTarget, ProviderAdapter, StreamEvent, UpstreamStream } from './provider-adapter.ts';
import { UpstreamError, type UpstreamErrorKind } from './upstream-error.ts';
import { UpstreamPools } from './upstream-pools.ts';

/** The part of a testkit fake server the fixture drives. */
export interface FakeUpstreamServer {
  readonly baseUrl: string;
  reset(): void;
  close(): Promise<void>;
}

/** A fake server whose next answers can be scripted, in the provider's own reply type. */
export interface ScriptableFakeServer<Reply> extends FakeUpstreamServer {
  script(...replies: Reply[]): unknown;
}

/** Read these inside tests and hooks only: they are set by the hooks `useFakeUpstream` registers. */
export interface FakeUpstreamFixture<Fake extends FakeUpstreamServer> {
  readonly fake: Fake;
  readonly pools: UpstreamPools;
  /** Points at the fake server; rebuilt before each test, so no test's changes leak into the next. */
  readonly target: DeploymentTarget;
}

/** What a test's deployment differs in; the rest is the fake server's base URL and no limits or settings. */
export type FakeUpstreamDeployment = Pick<DeploymentTarget, 'provider' | 'model' | 'apiKey'> & Partial<DeploymentTarget>;

/**
 * Registers the hooks of the enclosing `describe`: start the fake server and the pools once, reset the
 * fake's script and rebuild the target before each test, close both at the end.
 */
export function useFakeUpstream<Fake extends FakeUpstreamServer>(start: () => Promise<Fake>, deployment: FakeUpstreamDeployment): FakeUpstreamFixture<Fake> {
  let fake: Fake | undefined;
  let pools: UpstreamPools | undefined;
  let target: DeploymentTarget | undefined;
  before(async () => {
    fake = await start();
    pools = new UpstreamPools();
  });
  after(async () => {
    await pools?.destroy();
    await fake?.close();
  });
  beforeEach(() => {
    fake!.reset();
    target = {
      apiBase: fake!.baseUrl, apiVersion: null, timeoutMs: null, ...deployment,
      extraHeaders: { ...deployment.extraHeaders }, settings: { ...deployment.settings },
    };
  });
  return {
    get fake() { return fake!; },
    get pools() { return pools!; },
    get target() { return target!; },
  };
}

/** The request most adapter tests send: a one-line user message to a model group. */
export const chatRequest = (extra: Record<string, unknown> = {}): ChatCompletionRequest =>
  ({ model: 'chat-fast', messages: [{ role: 'user', content: 'Say hello' }], ...extra }) as ChatCompletionRequest;

/** Reads a stream to its end (or its error). */
export async function collect(stream: UpstreamStream): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** A translated chunk without its per-answer identity, for comparing with fixtures. */
export type BareChunk = { choices: ChatCompletionChunk['choices']; usage?: ChatUsage | null };

/**
 * The chunks of a translated stream without their per-answer identity, after checking that identity:
 * an id of the fake's shape, the chunk object type, the deployment's model and a creation time.
 */
export const bareChunks = (events: StreamEvent[], expected: { idPattern: RegExp; model: string }): BareChunk[] =>
  events.map((event) => {
    const { id, created, object, model, ...rest } = event.chunk as ChatCompletionChunk & BareChunk;
    assert.match(id, expected.idPattern);
    assert.equal(object, 'chat.completion.chunk');
    assert.equal(model, expected.model);
    assert.equal(typeof created, 'number');
    return rest;
  });

/** A bare chunk with one choice carrying `content` as its delta. */
export const delta = (content: Record<string, unknown>, finish: string | null = null): BareChunk =>
  ({ choices: [{ index: 0, delta: content, logprobs: null, finish_reason: finish }] }) as BareChunk;

/** How one scripted error reply must be mapped; `fallback` and `gatewayStatus` are checked when given. */
export interface StatusCase<Reply> {
  name: string;
  reply: Reply;
  kind: UpstreamErrorKind;
  retryable: boolean;
  retryAfterMs?: number;
  fallback?: boolean;
  gatewayStatus?: number;
}

/**
 * One test per case: the reply, scripted twice, fails a non-streaming and then a streaming call with the
 * `UpstreamError` the case describes, and (when `hidden` is given) a message that does not match it.
 */
export function itMapsStatusCases<Reply>(
  cases: ReadonlyArray<StatusCase<Reply>>,
  upstream: FakeUpstreamFixture<ScriptableFakeServer<Reply>>,
  adapter: () => ProviderAdapter,
  hidden?: RegExp,
): void {
  for (const testCase of cases) {
    it(`maps ${testCase.name} to an UpstreamError (${testCase.kind}), stream and non-stream`, async () => {
      upstream.fake.script(testCase.reply, testCase.reply);
      for (const call of [() => adapter().complete(chatRequest(), upstream.target), () => adapter().stream(chatRequest(), upstream.target)]) {
        await assert.rejects(call(), (error: unknown) => {
          assert.ok(error instanceof UpstreamError, String(error));
          assert.equal(error.kind, testCase.kind);
          if (testCase.gatewayStatus !== undefined) assert.equal(error.gatewayStatus, testCase.gatewayStatus);
          assert.equal(error.isRetryable, testCase.retryable);
          if (testCase.fallback !== undefined) assert.equal(error.shouldFallback, testCase.fallback);
          assert.equal(error.retryAfterMs, testCase.retryAfterMs ?? null);
          if (hidden !== undefined) assert.doesNotMatch(error.message, hidden);
          return true;
        });
      }
    });
  }
}
