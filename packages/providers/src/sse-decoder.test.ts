import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SseDecoder, type SseEvent } from './sse-decoder.ts';

interface Decoded {
  data: string;
  event: string | null;
  id: string | null;
}

function decodeAll(chunks: Buffer[]): Decoded[] {
  const decoder = new SseDecoder();
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...decoder.push(chunk));
  events.push(...decoder.end());
  return events.map((event) => ({ data: event.text, event: event.event, id: event.id }));
}

/** Cuts bytes at the given (sorted, deduplicated) offsets. */
function splitAt(bytes: Buffer, offsets: number[]): Buffer[] {
  const cuts = [...new Set(offsets.map((offset) => offset % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    parts.push(bytes.subarray(start, cut));
    start = cut;
  }
  parts.push(bytes.subarray(start));
  return parts;
}

describe('SseDecoder', () => {
  it('decodes data, multi-line data, event and id fields, and skips comments', () => {
    const decoder = new SseDecoder();
    const events = decoder.push(Buffer.from(': keepalive\n\ndata: {"a":1}\n\nevent: error\nid: 7\ndata: line one\ndata:line two\n\ndata: [DONE]\n\n'));
    assert.deepEqual(events.map((event) => [event.text, event.event, event.id]), [
      ['{"a":1}', null, null],
      ['line one\nline two', 'error', '7'],
      ['[DONE]', null, '7'],
    ]);
    assert.equal(decoder.comments, 1);
  });

  it('handles CRLF and lone CR line ends, and a CR at the end of one chunk followed by LF in the next', () => {
    assert.deepEqual(decodeAll([Buffer.from('data: a\r\n\r\ndata: b\r\rdata: c\r'), Buffer.from('\n\r\n')]).map((event) => event.data), ['a', 'b', 'c']);
  });

  it('reassembles a multi-byte UTF-8 character split across chunks', () => {
    const bytes = Buffer.from('data: {"content":"héllo 😀 世界"}\n\n');
    const emoji = bytes.indexOf(Buffer.from('😀'));
    assert.deepEqual(decodeAll([bytes.subarray(0, emoji + 2), bytes.subarray(emoji + 2)]).map((event) => event.data), ['{"content":"héllo 😀 世界"}']);
  });

  it('strips a leading BOM even when it arrives one byte at a time', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: x\n\n')]);
    assert.deepEqual(decodeAll([...bytes].map((byte) => Buffer.from([byte]))).map((event) => event.data), ['x']);
  });

  it('dispatches an unterminated last event at end(), and ignores an event without data', () => {
    assert.deepEqual(decodeAll([Buffer.from('event: ping\n\ndata: [DONE]')]).map((event) => event.data), ['[DONE]']);
  });

  it('keeps the field value after a single leading space only, and handles a field without colon', () => {
    assert.deepEqual(decodeAll([Buffer.from('data:  two spaces\n\ndata\n\n')]).map((event) => event.data), [' two spaces', '']);
  });

  it('decodes the same events whatever the chunk boundaries and line ends (property)', () => {
    const line = fc.string({ unit: 'binary', maxLength: 40 }).filter((text) => !/[\r\n]/.test(text));
    const eventArbitrary = fc.record({
      lines: fc.array(line, { minLength: 1, maxLength: 4 }),
      event: fc.option(fc.stringMatching(/^[a-z_]{1,10}$/), { nil: null }),
      comment: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(eventArbitrary, { minLength: 1, maxLength: 8 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.nat(), { maxLength: 30 }),
        (events, newline, offsets) => {
          const text = events.map((event) => [
            ...(event.comment ? [': comment'] : []),
            ...(event.event !== null ? [`event: ${event.event}`] : []),
            ...event.lines.map((value) => `data: ${value}`),
            '',
          ].join(newline) + newline).join('');
          const expected = events.map((event) => ({ data: event.lines.join('\n'), event: event.event, id: null }));
          const bytes = Buffer.from(text, 'utf8');
          assert.deepEqual(decodeAll(splitAt(bytes, offsets)), expected);
          // One byte at a time is the extreme split.
          if (bytes.length < 400) assert.deepEqual(decodeAll([...bytes].map((byte) => Buffer.from([byte]))), expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
