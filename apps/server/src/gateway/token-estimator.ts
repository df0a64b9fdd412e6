import { Worker } from 'node:worker_threads';
import type { ChatCompletionRequest } from '@saas-llm/protocol';

// Per-message framing tokens of OpenAI chat formats (role markers and separators).
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PER_IMAGE = 765;
/**
 * The counting thread's young generation (semi-spaces of 2 MB, against 16 MB by default). Counting makes only
 * short-lived pieces of text; uncapped, a burst of counts (1,000 streams cancelled at once) grew it to 34 MB
 * of RSS with nothing left in use, kept until V8's memory reducer ran.
 */
const COUNTING_THREAD_YOUNG_GENERATION_MB = 6;
/** The character estimate's ratio: high for prose (o200k averages ~4 characters per token in English). */
const CHARACTERS_PER_TOKEN = 3;

/**
 * Token counting for what upstreams don't report: usage of abandoned streams and of upstreams without
 * usage (then marked `estimated`), and the prompt size for context-window filtering and credit holds.
 * Admission uses the cheap character-based upper estimate, so the hot path never counts. Exact counts run
 * on a thread started on first need (token-count-thread.ts): building the o200k counter (~0.4 s of CPU;
 * the thread keeps ~12 MB) then costs neither the server's start, nor its idle memory, nor a stall of its
 * event loop.
 */
export class TokenEstimator {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve(counts: number[]): void; reject(error: Error): void }>();
  private nextId = 1;

  /**
   * @param onCountFailure told when an exact count failed (the thread could not start, or died): the caller
   *   then gets the character estimate instead, so a call is always metered and settled.
   */
  constructor(private readonly onCountFailure: (error: Error) => void = () => {}) {}

  /**
   * A fast estimate of prompt tokens from characters (≈ 3 characters per token): high for prose; code,
   * dense punctuation or CJK text can count more. It sizes credit holds; a call that turns out larger
   * grows its hold at settlement as far as the balance allows (decision 002), so a low estimate never overspends.
   */
  quickPromptTokens(request: Pick<ChatCompletionRequest, 'messages' | 'tools'>): number {
    // On every call: counts lengths on the way, without collecting the texts.
    let characters = 0;
    const images = forEachPromptText(request, (text) => { characters += text.length; });
    return Math.ceil(characters / CHARACTERS_PER_TOKEN) + request.messages.length * TOKENS_PER_MESSAGE + images * TOKENS_PER_IMAGE + 3;
  }

  /** Exact prompt tokens with the o200k tokenizer. */
  async promptTokens(request: Pick<ChatCompletionRequest, 'messages' | 'tools'>): Promise<number> {
    const texts: string[] = [];
    const images = forEachPromptText(request, (text) => { texts.push(text); });
    const counts = await this.count(texts);
    return counts.reduce((sum, count) => sum + count, 3 + request.messages.length * TOKENS_PER_MESSAGE + images * TOKENS_PER_IMAGE);
  }

  /** Exact tokens of generated text. */
  async textTokens(text: string): Promise<number> {
    if (text.length === 0) return 0;
    return (await this.count([text]))[0]!;
  }

  /** Stops the counting thread (shutdown); a later count starts it again. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private count(texts: string[]): Promise<number[]> {
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise<number[]>((resolve, reject) => {
      const worker = this.thread();
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, texts });
    }).catch((error: unknown) => {
      this.onCountFailure(error instanceof Error ? error : new Error(String(error)));
      return texts.map((text) => Math.ceil(text.length / CHARACTERS_PER_TOKEN));
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    // From the sources, the .ts file (tsx registers itself in workers); bundled, its own bundle beside this one.
    const script = import.meta.url.endsWith('.ts') ? './token-count-thread.ts' : './token-count-thread.mjs';
    const worker = new Worker(new URL(script, import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: COUNTING_THREAD_YOUNG_GENERATION_MB } });
    worker.unref();
    worker.on('message', (response: { id: number; counts?: number[]; error?: string }) => {
      const waiter = this.pending.get(response.id);
      if (!waiter) return;
      this.pending.delete(response.id);
      if (response.counts) waiter.resolve(response.counts);
      else waiter.reject(new Error(`token counting failed: ${response.error}`));
    });
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`the token counting thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}

/** Visits the texts of a prompt that are counted (contents, tool calls, tool definitions); returns its image count. */
function forEachPromptText(request: Pick<ChatCompletionRequest, 'messages' | 'tools'>, visit: (text: string) => void): number {
  let images = 0;
  for (const message of request.messages) {
    const content = (message as { content?: unknown }).content;
    if (typeof content === 'string') visit(content);
    else if (Array.isArray(content)) {
      for (const part of content as Array<{ type?: string; text?: string }>) {
        if (part.type === 'text' && typeof part.text === 'string') visit(part.text);
        else images += 1;
      }
    }
    const toolCalls = (message as { tool_calls?: unknown }).tool_calls;
    if (toolCalls) visit(JSON.stringify(toolCalls));
  }
  if (request.tools) visit(JSON.stringify(request.tools));
  return images;
}
