/**
 * The "practical limit" row of the benchmark: Fastify + `undici.request`, no logic at all. The body is
 * taken as raw bytes (no JSON parse), forwarded to the upstream with its path, and the upstream's body is
 * piped back (streams included) with its status and content type. Whatever a real gateway adds on top of
 * this — auth, resolution, credits, records — is its own overhead.
 *
 * Run as a process: `node --import tsx bench/src/bare-proxy.ts --upstream http://127.0.0.1:N --port 0`.
 */
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, upstream: { type: 'string' } } });
if (!values.upstream) throw new Error('--upstream is required');
const upstream = values.upstream.replace(/\/+$/, '');
// undici's default agent (no cap on connections per origin), with a keep-alive long enough to stay warm all run.
const dispatcher = new Agent({ keepAliveTimeout: 60_000 });

const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

app.route({
  method: ['GET', 'POST'],
  url: '/*',
  handler: async (incoming, reply) => {
    const answer = await request(`${upstream}${incoming.url}`, {
      method: incoming.method as 'GET' | 'POST',
      headers: { 'content-type': incoming.headers['content-type'] ?? 'application/json', authorization: incoming.headers.authorization ?? '' },
      body: incoming.method === 'POST' ? (incoming.body as Buffer) : null,
      dispatcher,
    });
    reply.code(answer.statusCode).header('content-type', answer.headers['content-type'] ?? 'application/json');
    if (String(answer.headers['content-type'] ?? '').includes('text/event-stream')) {
      reply.raw.socket?.setNoDelay(true);
      return reply.send(answer.body);
    }
    return reply.send(Buffer.from(await answer.body.arrayBuffer()));
  },
});

const address = await app.listen({ host: '127.0.0.1', port: Number(values.port) });
process.stdout.write(`listening ${new URL(address).port}\n`);
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)); });
