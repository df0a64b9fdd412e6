import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SseDecoder, readSseEvents, type SseEvent } from './sse-decoder.ts';

/** Decodes `pieces` in order, as if each were one network read. */
function decode(pieces: string[]): { events: SseEvent[]; comments: number; danglingEvent: boolean } {
  const decoder = new SseDecoder();
  const events = pieces.flatMap((piece) => decoder.push(piece));
  const ending = decoder.end();
  return { events: [...events, ...ending.events], comments: decoder.comments, danglingEvent: ending.danglingEvent };
}

/** A body that delivers `bytes` in the given slices. */
function bodyOf(slices: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const slice of slices) controller.enqueue(slice);
      controller.close();
    },
  });
}

const STREAM = [
  ': keepalive',
  '',
  'data: {"choices":[{"delta":{"content":"Bene"}}]}',
  '',
  'event: update',
  'id: 7',
  'data: first line',
  'data:second line',
  '',
  'data: {"content":"é 🌊 ü"}',
  '',
  'data: [DONE]',
  '',
  '',
].join('\n');

const EXPECTED: SseEvent[] = [
  { event: 'message', data: '{"choices":[{"delta":{"content":"Bene"}}]}', id: null },
  { event: 'update', data: 'first line\nsecond line', id: '7' },
  { event: 'message', data: '{"content":"é 🌊 ü"}', id: '7' },
  { event: 'message', data: '[DONE]', id: '7' },
];

describe('SseDecoder', () => {
  test('the whole stream at once: events, multi-line data, event and id fields, comments', () => {
    const result = decode([STREAM]);
    assert.deepEqual(result.events, EXPECTED);
    assert.equal(result.comments, 1);
    assert.equal(result.danglingEvent, false);
  });

  test('cut at every position into two pieces, the same events come out', () => {
    for (let cut = 0; cut <= STREAM.length; cut += 1) {
      assert.deepEqual(decode([STREAM.slice(0, cut), STREAM.slice(cut)]).events, EXPECTED, `cut at ${cut}`);
    }
  });

  test('one character at a time, the same events come out', () => {
    assert.deepEqual(decode([...STREAM]).events, EXPECTED);
  });

  test('CRLF and lone CR line endings, including a CRLF split between two reads', () => {
    const crlf = STREAM.replace(/\n/g, '\r\n');
    for (let cut = 0; cut <= crlf.length; cut += 1) {
      assert.deepEqual(decode([crlf.slice(0, cut), crlf.slice(cut)]).events, EXPECTED, `CRLF cut at ${cut}`);
    }
    assert.deepEqual(decode([STREAM.replace(/\n/g, '\r')]).events, EXPECTED);
  });

  test('a stream cut inside an event reports it as dangling and does not emit it', () => {
    const result = decode(['data: complete\n\n', 'data: {"half":']);
    assert.deepEqual(result.events.map((event) => event.data), ['complete']);
    assert.equal(result.danglingEvent, true);
  });

  test('a leading byte-order mark is ignored', () => {
    assert.deepEqual(decode(['\ufeffdata: x\n\n']).events, [{ event: 'message', data: 'x', id: null }]);
  });
});

describe('readSseEvents', () => {
  test('UTF-8 characters split across network reads stay intact', async () => {
    const bytes = new TextEncoder().encode(STREAM);
    // Cut at every byte: this splits the multi-byte é, 🌊 and ü inside their encodings too.
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      const events: SseEvent[] = [];
      for await (const event of readSseEvents(bodyOf([bytes.slice(0, cut), bytes.slice(cut)]))) events.push(event);
      assert.deepEqual(events, EXPECTED, `byte cut at ${cut}`);
    }
  });

  test('leaving the loop early cancels the body', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: tick\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    let seen = 0;
    for await (const event of readSseEvents(body)) {
      assert.equal(event.data, 'tick');
      seen += 1;
      if (seen === 3) break;
    }
    assert.equal(cancelled, true);
  });
});
