export * from './provider-adapter.ts';
export * from './upstream-error.ts';
export { errorFromResponse, errorFromStreamEvent, errorFromTransport, type RedactionContext } from './upstream-error-mapping.ts';
export { SseDecoder, SseEvent } from './sse-decoder.ts';
export { ChunkEvent } from './chunk-event.ts';
export { readUsage, cachedPromptTokens } from './usage.ts';
export { UpstreamPools, DEFAULT_POOL_OPTIONS, type UpstreamPoolOptions } from './upstream-pools.ts';
export { OpenAIWireAdapter, createOpenAIAdapter, createOpenAICompatibleAdapter, createAzureOpenAIAdapter } from './openai-adapter.ts';
export {
  OPENAI_DESCRIPTOR, AZURE_DESCRIPTOR, DEFAULT_AZURE_API_VERSION, GENERIC_COMPATIBLE_DESCRIPTOR, OPENAI_COMPATIBLE_DESCRIPTORS, OPENAI_COMPATIBLE_FLAVOURS,
  descriptorFor, type OpenAIWireDescriptor,
} from './openai-compatible-descriptors.ts';
export { AnthropicAdapter } from './anthropic-adapter.ts';
export { GeminiAdapter } from './gemini-adapter.ts';
export { toGeminiSchema } from './gemini-schema.ts';
export { toStrictSchema } from './strict-json-schema.ts';
export { MockAdapter, type MockSettings } from './mock-adapter.ts';
export { generateSchemaInstance } from './json-schema-instance.ts';
export { seededRandom, type SeededRandom } from './seeded-random.ts';
export { AdapterRegistry, createAdapter, type AdapterDependencies } from './adapter-registry.ts';
export * from './pricing/price-table.ts';
