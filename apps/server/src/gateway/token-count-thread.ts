/**
 * The thread that counts tokens (see TokenEstimator): it builds the o200k counter and answers
 * `{ id, texts }` with `{ id, counts }`. Reading and building it takes ~0.4 s of CPU, which this thread pays on first
 * use instead of the server's start and event loop.
 */
import { parentPort } from 'node:worker_threads';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { BpeTokenCounter } from './bpe-token-counter.ts';
import { readO200kRanks } from './o200k-ranks.ts';

if (!parentPort) throw new Error('token-count-thread.ts runs as a worker thread only');
const port = parentPort;

// Text that spells a special token (`<|endoftext|>`, `<|im_start|>`…) is counted as the text it is (the
// counter knows no special tokens): a prompt quoting one is metered like any other.
// The ranks are garbage once the counter has its byte tables (~4 MB instead of ~25 MB of strings and code).
const counter = new BpeTokenCounter(readO200kRanks(), O200K_TOKEN_SPLIT_REGEX);

port.on('message', (request: { id: number; texts: string[] }) => {
  try {
    port.postMessage({ id: request.id, counts: request.texts.map((text) => (text.length === 0 ? 0 : counter.count(text))) });
  } catch (error) {
    port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
});
