import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { BodyChunkReader } from './body-chunk-reader.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A real HTTP server whose handler each test sets, and a real undici pool to it. */
describe('BodyChunkReader over undici response bodies', () => {
  let server: Server;
  let pool: Pool;
  let handler: Handler = (_request, response) => response.end();
  let written = 0;

  before(async () => {
    server = createServer((request, response) => handler(request, response));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(async () => {
    await pool.close();
    server.closeAllConnections();
    server.close();
  });

  const open = async () => (await pool.request({ method: 'GET', path: '/' })).body;

  async function readAll(reader: BodyChunkReader): Promise<string> {
    let text = '';
    for (let next = await reader.next(); !next.done; next = await reader.next()) text += next.value.toString('utf8');
    return text;
  }

  test('chunks in order as they arrive, then done at the end (and done again after)', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      let index = 0;
      const tick = () => {
        if (index === 5) return response.end();
        response.write(`data: ${index++}\n\n`);
        setTimeout(tick, 5);
      };
      tick();
    };
    const reader = new BodyChunkReader(await open());
    assert.equal(await readAll(reader), [0, 1, 2, 3, 4].map((index) => `data: ${index}\n\n`).join(''));
    assert.deepEqual(await reader.next(), { value: undefined, done: true });
  });

  test('a reader that does not read pauses the body after a bounded number of chunks; nothing is lost', async () => {
    written = 0;
    const part = 'x'.repeat(16 * 1024);
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      // As fast as the socket takes it: 400 × 16 KB, far past what the reader may hold.
      const pump = () => {
        while (written < 400) {
          written += 1;
          if (!response.write(part)) return response.once('drain', pump);
        }
        response.end();
      };
      pump();
    };
    const body = await open();
    const reader = new BodyChunkReader(body);
    await sleep(300);
    assert.ok(body.isPaused(), 'the body is paused while nobody reads');
    assert.ok(written < 400, `the upstream was pushed back (${written} of 400 parts written)`);
    const text = await readAll(reader);
    assert.equal(text.length, 400 * part.length);
  });

  test('the upstream cutting the connection mid-body rejects the waiting read', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: first\n\n');
      setTimeout(() => response.socket?.destroy(), 20);
    };
    const reader = new BodyChunkReader(await open());
    assert.equal((await reader.next()).value?.toString(), 'data: first\n\n');
    await assert.rejects(reader.next(), (error: { code?: string }) => typeof error.code === 'string');
    await assert.rejects(reader.next(), 'and stays failed');
  });

  test('a body destroyed by the gateway (a cancelled stream) rejects the waiting read', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: first\n\n');
    };
    const body = await open();
    const reader = new BodyChunkReader(body);
    await reader.next();
    const waiting = reader.next();
    body.destroy();
    // undici reports its own abort; a plain Readable, which has none, closes without one.
    await assert.rejects(waiting, (error: { name?: string }) => error.name === 'AbortError');
  });

  test('a readable closed without its end or an error rejects as a premature close', async () => {
    const { Readable } = await import('node:stream');
    const body = new Readable({ read() {} });
    const reader = new BodyChunkReader(body);
    body.push(Buffer.from('part'));
    assert.equal((await reader.next()).value?.toString(), 'part');
    const waiting = reader.next();
    body.destroy();
    await assert.rejects(waiting, (error: { code?: string }) => error.code === 'ERR_STREAM_PREMATURE_CLOSE');
  });
});
