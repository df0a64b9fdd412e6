/**
 * The benchmark's upstream: an OpenAI-format server on loopback that answers as fast as Node can, so
 * every microsecond measured above it belongs to the proxy under test.
 *
 * - `POST …/chat/completions` without `stream: true`: one pre-serialised `chat.completion` (the request
 *   body is drained, never parsed — parsing would put the mock's cost into every figure).
 * - with `stream: true`: SSE. The timing comes from the path, so every proxy (ours, Portkey, the bare
 *   one) can be pointed at a given shape through its base URL alone:
 *   `/ttft/<ms>/gap/<ms>/chunks/<n>/v1/chat/completions`; plain `/v1/chat/completions` streams instantly.
 *   Each content delta is `t=<send time, process.hrtime ns> `: CLOCK_MONOTONIC is shared by every
 *   process on the machine, so a client can tell how long each chunk spent in the proxies between.
 *   A usage chunk and `[DONE]` end every stream (gateways meter from it).
 *
 * Run as a process: `node --import tsx bench/src/mock-upstream.ts --port 0` prints `listening <port>`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

const MODEL = 'bench-mock-model';
const CREATED = 1_700_000_000;
const PROMPT_TOKENS = 12;
const COMPLETION_TOKENS = 8;

/** The instant answer, serialised once. */
const COMPLETION = Buffer.from(JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion', created: CREATED, model: MODEL, system_fingerprint: null,
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the benchmark mock.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: COMPLETION_TOKENS, total_tokens: PROMPT_TOKENS + COMPLETION_TOKENS },
}));
const COMPLETION_HEADERS = { 'content-type': 'application/json', 'content-length': String(COMPLETION.length) };
const STREAM_PATH = /^\/ttft\/(\d+)\/gap\/(\d+)\/chunks\/(\d+)(\/.*)$/;
const STREAM_SHAPE_DEFAULT: StreamShape = { ttftMs: 0, gapMs: 0, chunks: 8 };
/** `"stream":true` anywhere in the body (with or without a space): enough for the bodies proxies send. */
const STREAM_FLAG = /"stream"\s*:\s*true/;

export interface StreamShape {
  ttftMs: number;
  gapMs: number;
  chunks: number;
}

function frame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

function chunk(delta: Record<string, unknown>, finishReason: string | null): string {
  return frame({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: CREATED, model: MODEL, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
}

const USAGE_FRAME = frame({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: CREATED, model: MODEL, choices: [],
  usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: COMPLETION_TOKENS, total_tokens: PROMPT_TOKENS + COMPLETION_TOKENS } });
const ROLE_FRAME = chunk({ role: 'assistant', content: '' }, null);
const FINISH_FRAME = chunk({}, 'stop');

/** Writes one stream; stops early (and clears its timers) when the client goes away. */
function stream(response: ServerResponse, shape: StreamShape): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  response.socket?.setNoDelay(true);
  let sent = 0;
  let timer: NodeJS.Timeout | null = null;
  response.on('close', () => { if (timer) clearTimeout(timer); });
  const next = (): void => {
    timer = null;
    if (response.destroyed) return;
    if (sent === 0) response.write(ROLE_FRAME);
    if (sent < shape.chunks) {
      response.write(chunk({ content: `t=${process.hrtime.bigint()} ` }, null));
      sent++;
      if (shape.gapMs > 0) {
        timer = setTimeout(next, shape.gapMs);
        return;
      }
      // No pause asked: still yield between chunks so a proxy sees separate reads, as from a real upstream.
      setImmediate(next);
      return;
    }
    response.end(`${FINISH_FRAME}${USAGE_FRAME}data: [DONE]\n\n`);
  };
  if (shape.ttftMs > 0) timer = setTimeout(next, shape.ttftMs);
  else next();
}

function handle(request: IncomingMessage, response: ServerResponse): void {
  const url = request.url ?? '/';
  const shaped = STREAM_PATH.exec(url);
  const path = shaped ? shaped[4]! : url;
  if (request.method === 'GET' && path === '/health') {
    response.end('ok');
    return;
  }
  if (request.method !== 'POST' || !path.endsWith('/chat/completions')) {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end('{"error":{"message":"not found","type":"invalid_request_error","code":null,"param":null}}');
    return;
  }
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    // Only the first few hundred bytes are searched: `stream` sits near the top of every proxy's body.
    const head = Buffer.concat(parts).subarray(0, 4096).toString('latin1');
    if (!STREAM_FLAG.test(head)) {
      response.writeHead(200, COMPLETION_HEADERS);
      response.end(COMPLETION);
      return;
    }
    stream(response, shaped ? { ttftMs: Number(shaped[1]), gapMs: Number(shaped[2]), chunks: Number(shaped[3]) } : STREAM_SHAPE_DEFAULT);
  });
}

/** The base URL path that selects a stream shape (append `/chat/completions`). */
export function shapedBasePath(shape: StreamShape): string {
  return `/ttft/${shape.ttftMs}/gap/${shape.gapMs}/chunks/${shape.chunks}/v1`;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });
  const server = createServer(handle);
  // Proxies keep pooled connections open; a short keep-alive would make them reconnect mid-run.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  server.maxRequestsPerSocket = 0;
  server.listen(Number(values.port), values.host, () => {
    const address = server.address();
    process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : values.port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
