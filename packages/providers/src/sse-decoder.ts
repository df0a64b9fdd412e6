/**
 * One dispatched Server-Sent Event. `data` stays bytes so that a gateway can forward the payload without
 * decoding and re-encoding it; `text` decodes it on first use.
 */
export class SseEvent {
  private decoded: string | null = null;

  constructor(
    /** The `data:` lines joined with `\n` (the final newline removed), as bytes. */
    readonly data: Buffer,
    /** The `event:` field, or null for the default `message` type. */
    readonly event: string | null,
    /** The `id:` field, or null. */
    readonly id: string | null,
    /** The `retry:` field in milliseconds, or null. */
    readonly retry: number | null,
  ) {}

  /** The payload as UTF-8 text. */
  get text(): string {
    this.decoded ??= this.data.toString('utf8');
    return this.decoded;
  }
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const EMPTY = Buffer.alloc(0);

/**
 * An incremental `text/event-stream` decoder (WHATWG HTML §9.2.6) over arbitrary byte chunks. It works on
 * bytes: line ends (`\n`, `\r\n`, `\r`) are ASCII and never occur inside a UTF-8 sequence, so a multi-byte
 * character split across chunks is reassembled simply by keeping the unfinished line. Comments (`:` lines)
 * are counted, not dispatched. A `\r` at the end of a chunk is remembered so that a `\n` opening the next
 * chunk is not taken for a second (empty) line.
 */
export class SseDecoder {
  private pending: Buffer = EMPTY;
  private lastWasCR = false;
  private atStreamStart = true;
  private dataLines: Buffer[] = [];
  private hasData = false;
  private eventType: string | null = null;
  private lastEventId: string | null = null;
  private retry: number | null = null;
  /** How many comment lines (e.g. `: keepalive`) were seen. */
  comments = 0;

  /** Feeds one chunk; returns the events it completed, in order. */
  push(chunk: Buffer): SseEvent[] {
    const events: SseEvent[] = [];
    let buffer = chunk;
    let start = 0;
    if (this.lastWasCR && buffer.length > 0) {
      this.lastWasCR = false;
      if (buffer[0] === LF) start = 1;
    }
    if (this.pending.length > 0) {
      buffer = Buffer.concat([this.pending, buffer.subarray(start)]);
      start = 0;
      this.pending = EMPTY;
    }
    if (this.atStreamStart) {
      if (buffer.length - start < 3 && isBomPrefix(buffer.subarray(start))) {
        this.pending = Buffer.from(buffer.subarray(start));
        return events;
      }
      this.atStreamStart = false;
      if (buffer[start] === 0xef && buffer[start + 1] === 0xbb && buffer[start + 2] === 0xbf) start += 3;
    }
    let lineStart = start;
    for (let index = start; index < buffer.length; index++) {
      const byte = buffer[index];
      if (byte !== LF && byte !== CR) continue;
      this.processLine(buffer.subarray(lineStart, index), events);
      if (byte === CR) {
        if (index + 1 < buffer.length) {
          if (buffer[index + 1] === LF) index++;
        } else {
          this.lastWasCR = true;
        }
      }
      lineStart = index + 1;
    }
    if (lineStart < buffer.length) {
      // Copy: the caller may reuse its chunk buffer, and a subarray would pin the whole chunk.
      this.pending = Buffer.from(buffer.subarray(lineStart));
    }
    return events;
  }

  /**
   * Ends the stream. An unterminated last line is processed, and a last event without its blank line is
   * dispatched: the standard discards it, but real upstreams close right after `data: [DONE]\n`.
   */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    if (this.pending.length > 0) {
      const line = this.pending;
      this.pending = EMPTY;
      if (!(this.atStreamStart && isBomPrefix(line))) this.processLine(line, events);
    }
    this.dispatch(events);
    return events;
  }

  private processLine(line: Buffer, events: SseEvent[]): void {
    if (line.length === 0) {
      this.dispatch(events);
      return;
    }
    if (line[0] === COLON) {
      this.comments++;
      return;
    }
    const colon = line.indexOf(COLON);
    const name = (colon === -1 ? line : line.subarray(0, colon)).toString('utf8');
    let value = colon === -1 ? EMPTY : line.subarray(colon + 1);
    if (value.length > 0 && value[0] === SPACE) value = value.subarray(1);
    switch (name) {
      case 'data':
        this.dataLines.push(value);
        this.hasData = true;
        break;
      case 'event':
        this.eventType = value.toString('utf8');
        break;
      case 'id': {
        const id = value.toString('utf8');
        if (!id.includes('\0')) this.lastEventId = id;
        break;
      }
      case 'retry':
        if (/^\d+$/.test(value.toString('latin1'))) this.retry = Number(value.toString('latin1'));
        break;
      default:
        // Unknown fields are ignored, as the standard requires.
        break;
    }
  }

  private dispatch(events: SseEvent[]): void {
    if (this.hasData) {
      const data = this.dataLines.length === 1 ? Buffer.from(this.dataLines[0]!) : joinLines(this.dataLines);
      events.push(new SseEvent(data, this.eventType === '' ? null : this.eventType, this.lastEventId, this.retry));
    }
    this.dataLines = [];
    this.hasData = false;
    this.eventType = null;
  }
}

function isBomPrefix(bytes: Buffer): boolean {
  const bom = [0xef, 0xbb, 0xbf];
  return bytes.length < 3 && bytes.every((byte, index) => byte === bom[index]);
}

function joinLines(lines: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  lines.forEach((line, index) => {
    if (index > 0) parts.push(Buffer.from([LF]));
    parts.push(line);
  });
  return Buffer.concat(parts);
}
