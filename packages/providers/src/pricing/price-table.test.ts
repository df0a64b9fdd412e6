import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PriceBook, SHIPPED_PRICE_TABLE, parsePriceTable } from './price-table.ts';

const book = new PriceBook(SHIPPED_PRICE_TABLE);

describe('shipped price table', () => {
  test('is dated and every entry has a price and a date', () => {
    assert.match(SHIPPED_PRICE_TABLE.asOf, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(SHIPPED_PRICE_TABLE.models.length >= 40);
    for (const family of ['openai', 'anthropic', 'gemini', 'groq', 'together', 'fireworks', 'deepseek', 'mistral']) {
      assert.ok(SHIPPED_PRICE_TABLE.models.some((price) => price.family === family), `no ${family} model`);
    }
    for (const price of SHIPPED_PRICE_TABLE.models) assert.ok(price.asOf <= SHIPPED_PRICE_TABLE.asOf, `${price.model} is dated after the table`);
  });

  test('exact ids, case-insensitively', () => {
    const match = book.lookup('gpt-4o-mini', { provider: 'openai' });
    assert.equal(match?.match, 'exact');
    assert.equal(match?.price.inputPerMillion, 0.15);
    assert.equal(match?.price.outputPerMillion, 0.6);
    assert.equal(book.lookup('META-LLAMA/LLAMA-3.3-70B-INSTRUCT-TURBO', { provider: 'openai-compatible', apiBase: 'https://api.together.xyz/v1' })?.price.family, 'together');
  });

  test('dated snapshots match their family, unless the snapshot has its own price', () => {
    assert.equal(book.lookup('gpt-4o-2024-08-06', { provider: 'openai' })?.price.model, 'gpt-4o');
    assert.equal(book.lookup('gpt-4o-2024-08-06', { provider: 'openai' })?.match, 'normalized');
    assert.equal(book.lookup('gpt-4o-2024-05-13', { provider: 'openai' })?.price.inputPerMillion, 5);
    assert.equal(book.lookup('claude-sonnet-4-5-20250929', { provider: 'anthropic' })?.price.model, 'claude-sonnet-4-5');
    assert.equal(book.lookup('claude-opus-4-20250514', { provider: 'anthropic' })?.price.outputPerMillion, 75);
    assert.equal(book.lookup('claude-opus-4-0', { provider: 'anthropic' })?.price.model, 'claude-opus-4');
    assert.equal(book.lookup('claude-3-5-haiku-latest', { provider: 'anthropic' })?.price.model, 'claude-3-5-haiku');
    assert.equal(book.lookup('models/gemini-2.5-flash-preview-05-20', { provider: 'gemini' })?.price.model, 'gemini-2.5-flash');
    assert.equal(book.lookup('us.anthropic.claude-3-haiku-20240307-v1:0', { provider: 'openai-compatible' })?.price.model, 'claude-3-haiku');
  });

  test('never guesses across families or from a bare prefix', () => {
    assert.equal(book.lookup('llama-3.3-70b-versatile', { provider: 'openai' }), null);
    assert.equal(book.lookup('gpt-4o-mini-audio-preview', { provider: 'openai' }), null);
    assert.equal(book.lookup('mistral-large-2411', { provider: 'openai-compatible', apiBase: 'https://api.mistral.ai/v1' }), null);
    assert.equal(book.lookup('gpt-4o', { provider: 'mock' }), null);
  });

  test('the API host decides between sellers of the same id; an unknown host only gets a unanimous price', () => {
    assert.equal(book.lookup('openai/gpt-oss-120b', { provider: 'openai-compatible', apiBase: 'https://api.groq.com/openai/v1' })?.price.cachedInputPerMillion, 0.075);
    assert.equal(book.lookup('openai/gpt-oss-120b', { provider: 'openai-compatible', apiBase: 'https://api.together.xyz/v1' })?.price.cachedInputPerMillion, null);
    // Groq and Together differ on the cached price, so an unknown host gets no price rather than a wrong one.
    assert.equal(book.lookup('openai/gpt-oss-120b', { provider: 'openai-compatible', apiBase: 'http://10.0.0.5:8000/v1' }), null);
    assert.equal(book.lookup('deepseek-chat', { provider: 'openai-compatible', apiBase: 'http://proxy.internal/v1' })?.price.family, 'deepseek');
    assert.equal(book.lookup('gpt-4o', { provider: 'azure', apiBase: 'https://contoso.openai.azure.com' })?.price.family, 'openai');
  });

  test('rejects a malformed table naming the entry', () => {
    assert.throws(() => parsePriceTable({ as_of: '2026-01-01', models: [{ provider: 'x', model: 'y', input: -1, output: 1, as_of: '2026-01-01' }] }), /models\[0\]\.input/);
    assert.throws(() => parsePriceTable({ as_of: 'soon', models: [] }), /as_of/);
  });
});
