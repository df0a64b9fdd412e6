export * from './errors.ts';
export * from './headers.ts';
export * from './common.ts';
export * from './admin.ts';
