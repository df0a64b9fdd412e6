import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { countTokens } from 'gpt-tokenizer';
import o200kRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { BpeTokenCounter } from './bpe-token-counter.ts';
import { readO200kRanks } from './o200k-ranks.ts';

// The compact counter, built as the counting thread builds it, must agree with gpt-tokenizer (the reference
// o200k implementation we depend on) on every text: it meters calls whose upstream reported no usage.
const counter = new BpeTokenCounter(readO200kRanks(), O200K_TOKEN_SPLIT_REGEX);
const reference = (text: string) => countTokens(text, { disallowedSpecial: new Set() });

/** A deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

test('the ranks read as data from gpt-tokenizer are the ranks its module exports, byte tokens included', () => {
  const read = readO200kRanks();
  assert.equal(read.length, o200kRanks.length);
  for (let rank = 0; rank < read.length; rank++) assert.deepEqual(read[rank], o200kRanks[rank], `rank ${rank}`);
  assert.ok(read.some((token) => Array.isArray(token)), 'o200k has tokens that are bytes, not text');
});

test('counts like gpt-tokenizer on prose, code, numbers, whitespace, scripts, emoji and special-token text', () => {
  const samples = [
    '', 'a', ' ', '\n\n\n', 'hello world', 'The quick brown fox jumps over the lazy dog. Ünïcödé and emoji 🦊 too.',
    "I'm sure they'll say we've done it; DON'T they?", '1234567890 3.14159 1,000,000 -42e10',
    '    indented\n\t\ttabs\r\n  trailing   \n', 'x'.repeat(5000), '='.repeat(3000), ' '.repeat(2000) + 'end',
    'Grüße aus München, où est la bibliothèque? Ça va très bien.', '東京都の天気は晴れです。明日は雨が降るでしょう。',
    'مرحبا بالعالم، كيف حالك اليوم؟', 'Привет, мир! Как дела?', 'नमस्ते दुनिया', '🎉👨‍👩‍👧‍👦🏳️‍🌈 emoji sequences ✨',
    'How does <|endoftext|> differ from <|im_start|>user<|im_end|>?', 'lone surrogates \ud800 and \udfff here',
    'https://example.com/path?query=1&b=%20#frag', '{"type":"object","properties":{"name":{"type":"string"}}}',
    readFileSync(new URL(import.meta.url), 'utf8'), readFileSync(new URL('./bpe-token-counter.ts', import.meta.url), 'utf8'),
  ];
  for (const sample of samples) assert.equal(counter.count(sample), reference(sample), JSON.stringify(sample.slice(0, 40)));
});

test('counts like gpt-tokenizer on random text drawn from many scripts, bytes and symbols', () => {
  const next = random(20261124);
  const ranges: Array<[number, number]> = [[0x20, 0x7e], [0x09, 0x0d], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x6ff],
    [0x900, 0x97f], [0x3040, 0x30ff], [0x4e00, 0x4fff], [0xac00, 0xad00], [0x1f300, 0x1f64f], [0x2000, 0x206f], [0xd800, 0xdfff]];
  for (let sample = 0; sample < 400; sample++) {
    let text = '';
    const length = Math.floor(next() * 120);
    for (let index = 0; index < length; index++) {
      const [low, high] = ranges[Math.floor(next() * ranges.length)]!;
      // Mostly ASCII, so that words and numbers form as well as scattered symbols.
      const [from, to] = next() < 0.6 ? [0x20, 0x7e] : [low, high];
      text += String.fromCodePoint(from + Math.floor(next() * (to - from + 1)));
    }
    assert.equal(counter.count(text), reference(text), JSON.stringify(text));
  }
});

test('long pieces (merged with a heap) count like gpt-tokenizer: runs without spaces of letters, accents and symbols', () => {
  const next = random(424242);
  const alphabets = ['aeiouéèàü', '=-_*#~', 'abcXYZ', 'ёжщъ', '🙂a', 'नमस्ते'];
  for (let sample = 0; sample < 40; sample++) {
    const alphabet = [...alphabets[sample % alphabets.length]!];
    const length = 300 + Math.floor(next() * 2500);
    let text = '';
    for (let index = 0; index < length; index++) text += alphabet[Math.floor(next() * alphabet.length)];
    assert.equal(counter.count(text), reference(text), `sample ${sample}: ${JSON.stringify(text.slice(0, 30))}…`);
  }
  for (const unit of ['=', 'éè', 'ab', 'the']) {
    const text = unit.repeat(Math.ceil(20_000 / unit.length));
    assert.equal(counter.count(text), reference(text), `${unit} × ${text.length / unit.length}`);
  }
});

test('a megabyte-long piece is counted in seconds, not hours (the rescanning merge is quadratic)', () => {
  const small = 'éè'.repeat(10_000);
  const started = performance.now();
  const count = counter.count(small.repeat(50)); // one piece of 1,000,000 characters
  assert.ok(performance.now() - started < 10_000, `${Math.round(performance.now() - started)} ms`);
  assert.equal(count, 50 * reference(small));
});
