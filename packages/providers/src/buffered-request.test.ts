import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'undici';
import { bufferedRequest } from './buffered-request.ts';

const BOM = '\ufeff';

describe('bufferedRequest', () => {
  let server: Server;
  let pool: Pool;
  before(async () => {
    server = createServer((request, response) => {
      request.resume();
      if (request.url === '/json') {
        response.writeHead(200, { 'content-type': 'application/json', 'x-extra': 'a' });
        response.end(`${BOM}{"ok":true,"text":"é"}`);
      } else if (request.url === '/error-bom') {
        response.writeHead(503, { 'retry-after': '2' });
        response.end(`${BOM}busy`);
      } else if (request.url === '/huge-error') {
        response.writeHead(500);
        const chunk = 'x'.repeat(16 * 1024);
        const write = (left: number): void => {
          if (left === 0 || response.destroyed) return void response.end();
          response.write(chunk, () => write(left - 1));
        };
        write(64);
      } else if (request.url === '/slow') {
        response.writeHead(200);
        response.write('{"partial":');
        setTimeout(() => response.end('1}'), 2000).unref();
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(async () => {
    await pool.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (path: string, signal: AbortSignal = new AbortController().signal, limit = 64 * 1024) =>
    bufferedRequest(pool, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: '{}' }, signal, limit);

  it('reads a 2xx answer whole, without its byte-order mark, with parsed headers', async () => {
    const response = await post('/json');
    assert.equal(response.statusCode, 200);
    assert.equal(response.text, '{"ok":true,"text":"é"}');
    assert.equal(response.headers['x-extra'], 'a');
  });

  it('keeps a non-2xx body as read (as readErrorBody does)', async () => {
    const response = await post('/error-bom');
    assert.equal(response.statusCode, 503);
    assert.equal(response.text, `${BOM}busy`);
    assert.equal(response.headers['retry-after'], '2');
  });

  it('stops reading an error body at the limit, and the pool stays usable', async () => {
    const response = await post('/huge-error', undefined, 64 * 1024);
    assert.equal(response.statusCode, 500);
    assert.ok(response.text.length >= 64 * 1024 && response.text.length < 1024 * 1024, String(response.text.length));
    assert.equal((await post('/json')).statusCode, 200);
  });

  it('rejects with the signal reason when aborted during the answer or before it is sent', async () => {
    const controller = new AbortController();
    const reason = new Error('deadline');
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(post('/slow', controller.signal), (error) => error === reason);
    const aborted = new AbortController();
    aborted.abort(reason);
    await assert.rejects(post('/json', aborted.signal), (error) => error === reason);
    assert.equal((await post('/json')).statusCode, 200);
  });

  it('rejects with the transport error when nothing listens', async () => {
    const closed = new Pool('http://127.0.0.1:1');
    try {
      await assert.rejects(bufferedRequest(closed, { method: 'POST', path: '/', body: '{}' }, new AbortController().signal, 1024), (error: Error & { code?: string }) => error.code === 'ECONNREFUSED');
    } finally {
      await closed.destroy();
    }
  });
});
