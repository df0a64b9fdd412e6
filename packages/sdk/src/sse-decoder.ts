/** One server-sent event: the `data` lines joined with `\n`, and the optional `event` and `id` fields. */
export interface SseEvent {
  /** The `event:` field, `message` when absent (as in the WHATWG EventSource). */
  event: string;
  data: string;
  id: string | null;
}

/**
 * An incremental `text/event-stream` decoder (the WHATWG "event stream interpretation"): feed it text
 * as it arrives, in pieces cut anywhere — inside a line, between `\r` and `\n`, between two events —
 * and it hands back the events completed so far. Comment lines (`: keepalive`) are counted, not
 * returned. Network chunk boundaries never line up with event boundaries, so splitting each chunk on
 * `\n` (as the seed's page did) loses or corrupts events; this class keeps the unfinished tail.
 */
export class SseDecoder {
  private buffer = '';
  private data: string[] = [];
  private eventType = '';
  private lastEventId: string | null = null;
  private sawFirstChunk = false;
  /** Comment lines seen so far (the gateway sends `: keepalive` while the upstream is silent). */
  comments = 0;

  /** Decodes `text` (the next piece of the stream) and returns every event it completed. */
  push(text: string): SseEvent[] {
    if (!this.sawFirstChunk && text.length > 0) {
      this.sawFirstChunk = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const newline = this.nextLineEnd(start);
      if (newline === null) break;
      const line = this.buffer.slice(start, newline.at);
      start = newline.at + newline.length;
      const event = this.processLine(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /**
   * Ends the stream. A final line without its line ending is processed (a trailing `\r` is a complete
   * line ending, so it may still finish an event); an event that never got its blank line is discarded,
   * as the specification requires, and reported as `danglingEvent` so callers can tell a cut stream
   * from a finished one.
   */
  end(): { events: SseEvent[]; danglingEvent: boolean } {
    const events: SseEvent[] = [];
    if (this.buffer.length > 0) {
      // A held-back trailing `\r` was a line ending after all (no `\n` can follow any more).
      const line = this.buffer.endsWith('\r') ? this.buffer.slice(0, -1) : this.buffer;
      this.buffer = '';
      const event = this.processLine(line);
      if (event) events.push(event);
    }
    const danglingEvent = this.data.length > 0;
    this.data = [];
    this.eventType = '';
    return { events, danglingEvent };
  }

  /** The next line ending at or after `from`: `\r\n`, `\n` or `\r`; null while it is still undecidable. */
  private nextLineEnd(from: number): { at: number; length: number } | null {
    for (let index = from; index < this.buffer.length; index += 1) {
      const code = this.buffer.charCodeAt(index);
      if (code === 0x0a) return { at: index, length: 1 };
      if (code === 0x0d) {
        // A `\r` at the very end may be the first half of `\r\n` cut by the network: wait for more.
        if (index + 1 >= this.buffer.length) return null;
        return { at: index, length: this.buffer.charCodeAt(index + 1) === 0x0a ? 2 : 1 };
      }
    }
    return null;
  }

  private processLine(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.comments += 1;
      return null;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data': this.data.push(value); break;
      case 'event': this.eventType = value; break;
      case 'id': if (!value.includes('\0')) this.lastEventId = value; break;
      default: break; // `retry` and unknown fields do not concern a fetch-based reader
    }
    return null;
  }

  private dispatch(): SseEvent | null {
    if (this.data.length === 0) {
      this.eventType = '';
      return null;
    }
    const event: SseEvent = { event: this.eventType || 'message', data: this.data.join('\n'), id: this.lastEventId };
    this.data = [];
    this.eventType = '';
    return event;
  }
}

/**
 * Reads a `text/event-stream` body and yields its events as soon as each is complete. UTF-8 is decoded
 * in streaming mode, so a multi-byte character split across two network chunks stays intact. Ending the
 * iteration early (break) cancels the body. `onEnd` learns whether the body ended inside an event.
 */
export async function* readSseEvents(
  body: ReadableStream<Uint8Array>,
  onEnd?: (ending: { danglingEvent: boolean }) => void,
): AsyncGenerator<SseEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  const sse = new SseDecoder();
  // 'open' when the finally block runs means the consumer stopped early (break, or a throw of its own).
  let state: 'open' | 'ended' | 'failed' = 'open';
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        state = 'failed';
        throw error;
      }
      if (result.done) break;
      for (const event of sse.push(decoder.decode(result.value, { stream: true }))) yield event;
    }
    const tail = sse.push(decoder.decode());
    const ending = sse.end();
    for (const event of [...tail, ...ending.events]) yield event;
    state = 'ended';
    onEnd?.({ danglingEvent: ending.danglingEvent });
  } finally {
    // Cancel rather than drain: the connection closes and the server sees the client leave.
    if (state === 'open') await cancelQuietly(reader);
    reader.releaseLock();
  }
}

async function cancelQuietly(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    await reader.cancel();
  } catch (error) {
    // An already-aborted body rejects cancel() with the abort reason; the caller is handling that
    // reason already (it is why we are cancelling), so reporting it twice would only mask it.
    if (!isAbortLike(error)) throw error;
  }
}

function isAbortLike(error: unknown): boolean {
  return typeof error === 'object' && error !== null && ((error as { name?: unknown }).name === 'AbortError' || (error as { name?: unknown }).name === 'TimeoutError');
}
