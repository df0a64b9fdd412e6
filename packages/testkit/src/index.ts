export * from './test-database.ts';
export * from './fake-server-core.ts';
export * from './fake-openai-server.ts';
export * from './fake-openai-payloads.ts';
export * from './fake-anthropic-server.ts';
export * from './fake-anthropic-payloads.ts';
export * from './fake-gemini-server.ts';
export * from './fake-gemini-payloads.ts';
