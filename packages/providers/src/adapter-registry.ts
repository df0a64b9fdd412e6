import type { ProviderName } from '@saas-llm/protocol';
import { AnthropicAdapter } from './anthropic-adapter.ts';
import { GeminiAdapter } from './gemini-adapter.ts';
import { MockAdapter } from './mock-adapter.ts';
import { createAzureOpenAIAdapter, createOpenAIAdapter, createOpenAICompatibleAdapter } from './openai-adapter.ts';
import type { ProviderAdapter } from './provider-adapter.ts';
import { DEFAULT_POOL_OPTIONS, UpstreamPools, type UpstreamPoolOptions } from './upstream-pools.ts';

/** What adapters share: the keep-alive pools of every upstream. */
export interface AdapterDependencies {
  pools: UpstreamPools;
}

/**
 * A new adapter for `provider`, or null for a provider this build has no adapter for. Adapters made
 * with the same `pools` share connections.
 */
export function createAdapter(provider: ProviderName, dependencies: AdapterDependencies): ProviderAdapter | null {
  switch (provider) {
    case 'openai': return createOpenAIAdapter(dependencies.pools);
    case 'openai-compatible': return createOpenAICompatibleAdapter(dependencies.pools);
    case 'azure': return createAzureOpenAIAdapter(dependencies.pools);
    case 'anthropic': return new AnthropicAdapter(dependencies.pools);
    case 'gemini': return new GeminiAdapter(dependencies.pools);
    case 'mock': return new MockAdapter();
    default: return null;
  }
}

/**
 * The adapters of one gateway process, one per provider, with the connection pools they share. The
 * composition root creates it once, hands `get` to the call pipeline, and `close`s it at shutdown.
 * `register` lets a new provider (or a test double) replace the built-in one.
 */
export class AdapterRegistry {
  readonly pools: UpstreamPools;
  private readonly adapters = new Map<ProviderName, ProviderAdapter>();

  constructor(options: { pools?: UpstreamPoolOptions } = {}) {
    this.pools = new UpstreamPools(options.pools ?? DEFAULT_POOL_OPTIONS);
  }

  /** The adapter of `provider`; throws for a provider without one (a configuration error the admin API should prevent). */
  get(provider: ProviderName): ProviderAdapter {
    let adapter = this.adapters.get(provider);
    if (adapter === undefined) {
      const created = createAdapter(provider, { pools: this.pools });
      if (created === null) throw new Error(`No adapter for provider "${provider}" in this build`);
      adapter = created;
      this.adapters.set(provider, adapter);
    }
    return adapter;
  }

  /** Whether `get(provider)` can succeed. */
  supports(provider: ProviderName): boolean {
    return this.adapters.has(provider) || createAdapter(provider, { pools: this.pools }) !== null;
  }

  /** Uses `adapter` for its provider from now on. */
  register(adapter: ProviderAdapter): void {
    this.adapters.set(adapter.provider, adapter);
  }

  /** Closes the connection pools (in-flight requests finish first). */
  close(): Promise<void> {
    return this.pools.close();
  }
}
