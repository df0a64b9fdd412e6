export * from './test-database.ts';
export * from './fake-openai-server.ts';
export * from './fake-openai-payloads.ts';
