/**
 * The thread that counts tokens (see TokenEstimator): it loads the o200k tokenizer and answers
 * `{ id, texts }` with `{ id, counts }`. Loading the tokenizer's ranks takes ~0.4 s of CPU and ~65 MB,
 * which this thread pays on first use instead of the server's start and event loop.
 */
import { parentPort } from 'node:worker_threads';
import { countTokens } from 'gpt-tokenizer';

if (!parentPort) throw new Error('token-count-thread.ts runs as a worker thread only');
const port = parentPort;

// Text that spells a special token (`<|endoftext|>`, `<|im_start|>`…) is counted as the text it is: by default
// the tokenizer throws on it, and a prompt quoting one could not have been metered.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

port.on('message', (request: { id: number; texts: string[] }) => {
  try {
    port.postMessage({ id: request.id, counts: request.texts.map((text) => (text.length === 0 ? 0 : countTokens(text, PLAIN_TEXT))) });
  } catch (error) {
    port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
});
