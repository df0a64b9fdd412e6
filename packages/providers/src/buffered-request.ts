import type { Dispatcher } from 'undici';
import type { UpstreamHeaders } from './provider-adapter.ts';

/** A whole answer, read into memory. */
export interface BufferedResponse {
  statusCode: number;
  headers: UpstreamHeaders;
  /** The body as UTF-8; a 2xx body without its byte-order mark (as undici's `body.text()`), a non-2xx one as read. */
  text: string;
}

/**
 * Sends one request and reads its whole answer into memory through undici's dispatch API. `request()` wraps
 * every answer in a Readable stream that `body.text()` then reads back through stream consumers, which on a
 * busy event loop cost more than the call's own bookkeeping. Rejects like `request()`: with the transport
 * error, or the signal's reason once it aborts. A non-2xx body is kept up to `errorBodyLimit` bytes (the
 * chunk crossing the limit included), then the request is aborted, as `readErrorBody` does with a stream.
 */
export function bufferedRequest(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal, errorBodyLimit: number): Promise<BufferedResponse> {
  return new Promise((resolve, reject) => {
    dispatcher.dispatch(options, new BufferingHandler(signal, errorBodyLimit, resolve, reject));
  });
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

class BufferingHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private statusCode = 0;
  private headers: UpstreamHeaders = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private settled = false;
  private readonly onAbort = (): void => this.controller?.abort(this.signal.reason as Error);

  constructor(
    private readonly signal: AbortSignal,
    private readonly errorBodyLimit: number,
    private readonly resolve: (response: BufferedResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    if (!signal.aborted) signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal.aborted) controller.abort(this.signal.reason as Error);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: UpstreamHeaders): void {
    if (statusCode < 200) return; // 1xx: informational, the answer follows
    this.statusCode = statusCode;
    this.headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (!this.succeeded() && this.size >= this.errorBodyLimit) {
      this.finish();
      controller.abort(new Error('error body limit reached'));
    }
  }

  onResponseEnd(): void {
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.signal.removeEventListener('abort', this.onAbort);
    if (this.settled) return;
    this.settled = true;
    this.chunks = [];
    this.reject(error);
  }

  private succeeded(): boolean {
    return this.statusCode >= 200 && this.statusCode < 300;
  }

  private finish(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    if (this.settled) return;
    this.settled = true;
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    const start = this.succeeded() && body.length > 2 && body[0] === UTF8_BOM[0] && body[1] === UTF8_BOM[1] && body[2] === UTF8_BOM[2] ? 3 : 0;
    this.resolve({ statusCode: this.statusCode, headers: this.headers, text: body.toString('utf8', start) });
  }
}
