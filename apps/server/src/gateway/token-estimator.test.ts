import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countTokens } from 'gpt-tokenizer';
import { TokenEstimator } from './token-estimator.ts';

test('exact counts come from the o200k tokenizer on its own thread, started on first need and restartable after close', async () => {
  const tokens = new TokenEstimator();
  const text = 'The quick brown fox jumps over the lazy dog. Ünïcödé and emoji 🦊 too.';
  assert.equal(await tokens.textTokens(text), countTokens(text));
  assert.equal(await tokens.textTokens(''), 0);
  const request = {
    messages: [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: [{ type: 'text' as const, text: 'Describe this:' }, { type: 'image_url' as const, image_url: { url: 'https://example.com/a.png' } }] },
    ],
  };
  const expected = 3 + 2 * 4 + countTokens('Be brief.') + countTokens('Describe this:') + 765;
  // Counts in parallel share the thread and come back to their own callers.
  assert.deepEqual(await Promise.all([tokens.promptTokens(request), tokens.textTokens('hello world')]), [expected, countTokens('hello world')]);
  await tokens.close();
  assert.equal(await tokens.textTokens('again after close'), countTokens('again after close'));
  await tokens.close();
});

test('text that spells special tokens is counted as plain text, not refused', async () => {
  const tokens = new TokenEstimator();
  const text = 'How does <|endoftext|> differ from <|im_start|>user?';
  assert.equal(await tokens.textTokens(text), countTokens(text, { disallowedSpecial: new Set() }));
  assert.ok(await tokens.textTokens(text) > 10);
  await tokens.close();
});

test('the quick estimate is at least the exact count for prose (it sizes credit holds)', async () => {
  const tokens = new TokenEstimator();
  const samples = ['a', 'hello world', 'x'.repeat(5000), 'word '.repeat(800), 'Dear team, please find the quarterly report attached. Revenue grew 12% year over year.',
    'Grüße aus München, où est la bibliothèque?'];
  for (const sample of samples) {
    const request = { messages: [{ role: 'user' as const, content: sample }] };
    assert.ok(tokens.quickPromptTokens(request) >= await tokens.promptTokens(request), sample.slice(0, 20));
  }
  await tokens.close();
});

test('a count the thread cannot finish falls back to the character estimate, and says so', async () => {
  const failures: Error[] = [];
  const tokens = new TokenEstimator((error) => failures.push(error));
  // Closed while the thread is still loading the tokenizer (~0.4 s): the count in flight is cut.
  const counting = tokens.textTokens('word '.repeat(200_000));
  await tokens.close();
  assert.equal(await counting, Math.ceil(1_000_000 / 3));
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.message, /thread exited/);
});
