import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { StreamSink } from '../gateway/stream-relay.ts';
import type { StreamGauge } from '../observability/stream-gauge.ts';

/**
 * A StreamSink over Node's response: SSE headers of 02-client-api.md, no compression, no buffering
 * (Nagle off, every write goes straight to the socket).
 */
export class SseSink implements StreamSink {
  private isOpen = false;
  private isClosed = false;

  constructor(private readonly response: ServerResponse, private readonly headers: () => Record<string, string>, private readonly gauge: StreamGauge | null = null) {
    response.on('close', () => { this.isClosed = true; });
  }

  get opened(): boolean { return this.isOpen; }
  get closed(): boolean { return this.isClosed || this.response.destroyed; }

  open(): void {
    if (this.isOpen) return;
    this.isOpen = true;
    this.gauge?.track(this.response);
    this.response.socket?.setNoDelay(true);
    this.response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...this.headers(),
    });
    this.response.flushHeaders();
  }

  write(data: Buffer | string): boolean {
    if (this.closed) return true;
    return this.response.write(data);
  }

  async drain(): Promise<void> {
    if (this.closed) return;
    await Promise.race([once(this.response, 'drain'), once(this.response, 'close')]);
  }

  end(): void {
    if (!this.closed) this.response.end();
  }
}
