/**
 * Bundles the server for `npm start` (decision 011): the entry point and the database thread, each one
 * ES module with the workspace packages inlined and every npm dependency left external, plus the SQL
 * migrations beside them. Loading through tsx at run time cost ~0.8 s of every start (hundreds of files
 * transformed and resolved one by one); the bundle loads in a fraction of that. Usage:
 *   node scripts/bundle.mjs [outdir]      (default apps/server/dist)
 */
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(process.argv[2] ?? join(root, 'apps/server/dist'));
const manifest = (path) => JSON.parse(readFileSync(join(root, path), 'utf8'));

// Every npm package any bundled workspace depends on stays a runtime import from node_modules.
const external = new Set();
for (const path of ['apps/server/package.json', 'packages/protocol/package.json', 'packages/providers/package.json']) {
  for (const name of Object.keys(manifest(path).dependencies ?? {})) if (!name.startsWith('@saas-llm/')) external.add(name);
}

// Built beside the target and swapped in, so a server starting meanwhile never reads half a bundle.
const staging = `${outdir}.${process.pid}.tmp`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
await build({
  entryPoints: {
    // The entry settles the allocator (it may re-execute the process) before the rest loads: decision 017.
    'saas-llm': join(root, 'apps/server/src/cli/entry.ts'),
    'saas-llm-main': join(root, 'apps/server/src/cli/main.ts'),
    'pglite-thread-worker': join(root, 'apps/server/src/storage/pglite-thread-worker.ts'),
    'pglite-initdb': join(root, 'apps/server/src/storage/pglite-initdb.ts'),
    'token-count-thread': join(root, 'apps/server/src/gateway/token-count-thread.ts'),
  },
  outdir: staging,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: false,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  external: [...external],
  sourcemap: 'linked',
  logLevel: 'warning',
});
cpSync(join(root, 'apps/server/migrations'), join(staging, 'migrations'), { recursive: true });
rmSync(outdir, { recursive: true, force: true });
renameSync(staging, outdir);
