/**
 * Example: the middle tier of the streaming chain (the seed's example_streaming_chain_server.py).
 *
 *   browser ← SSE ← this server (:8001) ← SSE ← gateway (:8003) ← SSE ← provider
 *
 * It holds the team's virtual key (the browser never sees it), opens and closes one job per request,
 * and forwards every token to the browser the moment it arrives: no buffering, no compression, each
 * event written to the socket as soon as the gateway's chunk is read. If the browser goes away, the
 * gateway call is aborted, which aborts the provider call. Events are real JSON, one per SSE frame:
 * `job_created`, `content`, `usage`, `done`, `error`.
 *
 * Run: `npm run example:streaming-chain`, then open http://localhost:8001/ (PORT and HOST override).
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import Fastify from 'fastify';
import { chatMessageSchema } from '@saas-llm/protocol';
import { SaaSLLMError, z } from '@saas-llm/sdk';
import { demoClient, demoConnection } from '../demo-connection.ts';

/** What the page sends. */
const chatRequestSchema = z.object({
  messages: z.array(chatMessageSchema).min(1).max(200),
  model_group: z.string().min(1).max(256).default('chat-fast'),
  temperature: z.number().min(0).max(2).default(0.7),
  max_tokens: z.number().int().positive().nullish(),
  stream: z.boolean().optional(),
});
type ChatRequest = z.infer<typeof chatRequestSchema>;

const connection = connectionOrExit();
const client = demoClient(connection);
const port = Number(process.env.PORT ?? 8001);
const host = process.env.HOST ?? '127.0.0.1';
const page = readFileSync(join(import.meta.dirname, 'index.html'), 'utf8');

/** The seed allowed every origin so the page also works opened from disk (file://). */
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
};

const app = Fastify({ logger: false });
app.addHook('onRequest', async (_request, reply) => {
  reply.headers(CORS_HEADERS);
});
app.options('/*', async (_request, reply) => reply.code(204).send());

app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));

app.get('/api/health', async () => ({
  service: 'Client Server', status: 'running', saas_api: connection.apiUrl, team_id: connection.teamId,
}));

/** Non-streaming: one job per request, closed before the answer goes back (withJob closes it either way). */
app.post('/api/chat', async (request, reply) => {
  const parsed = chatRequestSchema.safeParse(request.body);
  if (!parsed.success) return reply.code(400).send({ error: z.prettifyError(parsed.error), code: 'invalid_request' });
  const body = parsed.data;
  try {
    return await client.withJob({ job_type: 'chat', metadata: { source: 'client_server' } }, async (job) => {
      const response = await job.chat({ ...callParams(body), purpose: 'chat_request' });
      return { content: response.choices[0]?.message.content ?? '', usage: response.usage ?? null, job_id: job.jobId };
    });
  } catch (error) {
    const failure = describeFailure(error);
    return reply.code(failure.status).send({ error: failure.message, code: failure.code });
  }
});

/** Streaming: job_created, then content events as tokens arrive, usage, done (or error). */
app.post('/api/chat/stream', async (request, reply) => {
  const parsed = chatRequestSchema.safeParse(request.body);
  if (!parsed.success) return reply.code(400).send({ error: z.prettifyError(parsed.error), code: 'invalid_request' });
  const body = parsed.data;
  reply.hijack(); // from here on we own the socket: Fastify must not buffer, compress or end it
  const out = reply.raw;
  out.writeHead(200, {
    ...CORS_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no', // tells nginx and similar proxies not to buffer either
  });
  out.flushHeaders();
  out.socket?.setNoDelay(true); // no Nagle delay between small frames

  const browserGone = new AbortController();
  out.on('close', () => {
    if (!out.writableFinished) browserGone.abort(new DOMException('The browser disconnected.', 'AbortError'));
  });

  const started = Date.now();
  let jobId: string | null = null;
  try {
    const job = await client.createJob({ job_type: 'streaming_chat', metadata: { source: 'client_server', stream: true } }, { signal: browserGone.signal });
    jobId = job.job_id;
    send(out, { event: 'job_created', job_id: jobId });
    const stream = client.chatStream({ ...callParams(body), jobId, purpose: 'streaming_chat' }, { signal: browserGone.signal });
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) send(out, { event: 'content', content }); // forwarded immediately
      if (chunk.usage) send(out, { event: 'usage', usage: chunk.usage });
    }
    const closed = await client.completeJob({ jobId, status: 'completed', result: { response: stream.content } });
    send(out, { event: 'done', job_id: jobId, elapsed_ms: Date.now() - started, cost_usd: closed.costs.total_cost_usd, credits_remaining: closed.costs.credits_remaining });
  } catch (error) {
    if (browserGone.signal.aborted) {
      // Nobody to tell; the gateway already cancelled the call when our connection to it closed.
      if (jobId) await client.cancelJob(jobId, 'The browser disconnected.').catch(reportCloseFailure(jobId));
    } else {
      const failure = describeFailure(error);
      send(out, { event: 'error', error: failure.message, code: failure.code });
      if (jobId) await client.completeJob({ jobId, status: 'failed', error_message: failure.message }).catch(reportCloseFailure(jobId));
    }
  } finally {
    out.end();
  }
});

function connectionOrExit() {
  try {
    return demoConnection();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}

function callParams(body: ChatRequest) {
  return {
    model_group: body.model_group,
    messages: body.messages,
    temperature: body.temperature,
    ...(body.max_tokens ? { max_tokens: body.max_tokens } : {}),
  };
}

/** One SSE frame of real JSON (the seed wrote Python reprs the page could not parse). */
function send(out: ServerResponse, event: Record<string, unknown>): void {
  if (!out.writableEnded) out.write(`data: ${JSON.stringify(event)}\n\n`);
}

/** The gateway's status and message pass through to the page; anything else is this server's 500. */
function describeFailure(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof SaaSLLMError) return { status: error.status ?? 502, code: error.code, message: error.message };
  console.error(error);
  return { status: 500, code: 'internal_error', message: error instanceof Error ? error.message : String(error) };
}

function reportCloseFailure(jobId: string) {
  return (error: unknown) => console.error(`Could not close job ${jobId}: ${error instanceof Error ? error.message : String(error)}`);
}

const shown = port === 0 ? '(a free port)' : `http://localhost:${port}`;
console.log('='.repeat(60));
console.log('Starting Client Server');
console.log('='.repeat(60));
console.log(`Server will run at: ${shown}`);
console.log(`SaaS API: ${connection.apiUrl}`);
console.log(`Team: ${connection.teamId}`);
console.log('');
console.log('Open the chat page in a browser (it is served at / by this server)');
console.log('='.repeat(60));

const address = await app.listen({ port, host });
console.log(`Client server listening on ${address}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0), (error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}
