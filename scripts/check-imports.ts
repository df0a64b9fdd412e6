/**
 * The import-direction rules of 05-architecture.md, checked over every TypeScript file:
 *   protocol ← providers, protocol ← sdk ← admin/examples, protocol + providers ← server;
 *   inside the server: domain imports no gateway/storage/http; gateway no storage/http; storage no gateway/http;
 *   only http/ imports Fastify; only config.ts reads process.env; nothing outside apps/server imports it.
 * Exits 1 listing every violation.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const SOURCE_ROOTS = ['packages', 'apps', 'examples', 'bench', 'scripts'];

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

const IMPORT_PATTERN = /(?:^|\s)(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

/** The area a repository path belongs to, e.g. `server/domain`, `protocol`, `examples`. */
function areaOf(path: string): string {
  const rel = relative(root, path).split('\\').join('/');
  const server = /^apps\/server\/src\/([^/]+)/.exec(rel);
  if (server) return server[1]!.endsWith('.ts') ? `server/${server[1]!.replace(/\.ts$/, '')}` : `server/${server[1]}`;
  if (rel.startsWith('apps/server/test/')) return 'server/test';
  const pkg = /^packages\/([^/]+)\//.exec(rel);
  if (pkg) return pkg[1]!;
  if (rel.startsWith('apps/admin/')) return 'admin';
  return rel.split('/')[0]!;
}

function targetArea(file: string, specifier: string): string {
  if (specifier.startsWith('.')) return areaOf(resolve(dirname(file), specifier));
  const workspace = /^@saas-llm\/([^/]+)/.exec(specifier);
  if (workspace) return workspace[1] === 'server' ? 'server/*' : workspace[1]!;
  return `npm:${specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]}`;
}

const SERVER_LAYERS: Record<string, string[]> = {
  'server/domain': ['server/gateway', 'server/storage', 'server/http', 'server/background', 'server/cli', 'server/container', 'server/main'],
  'server/gateway': ['server/storage', 'server/http', 'server/cli', 'server/container', 'server/main'],
  'server/storage': ['server/gateway', 'server/http', 'server/cli', 'server/container', 'server/main'],
  'server/background': ['server/http', 'server/cli', 'server/main'],
  'server/http': ['server/storage', 'server/cli', 'server/main'],
};

function violation(file: string, from: string, to: string, specifier: string): string | null {
  const toServer = to.startsWith('server/');
  if (toServer && !from.startsWith('server/')) return 'nothing outside apps/server imports it';
  // Unit tests next to a package's code run in Node and may use the test tooling: node: modules, the
  // testkit (fake provider servers), fast-check and zod (e.g. to validate generated JSON).
  const TEST_TOOLING = ['testkit', 'npm:fast-check', 'npm:zod'];
  if (file.endsWith('.test.ts') && !from.startsWith('server/') && (to.startsWith('npm:node:') || TEST_TOOLING.includes(to))) return null;
  if (from === 'protocol' && to !== 'protocol' && to !== 'npm:zod') return 'protocol depends on zod only';
  if (from === 'providers' && !['providers', 'protocol'].includes(to) && !to.startsWith('npm:node:') && to !== 'npm:undici') {
    return 'providers depends on protocol, undici and node: modules only';
  }
  if ((from === 'sdk' || from === 'admin' || from === 'examples') && ['providers', 'testkit'].includes(to)) return `${from} may use protocol and sdk only`;
  if (from === 'sdk' && to !== 'sdk' && to !== 'protocol' && to !== 'npm:zod') return 'sdk depends on protocol (and zod) only, so it runs in browsers';
  if (to === 'npm:fastify' || to.startsWith('npm:@fastify')) {
    if (from.startsWith('server/') && from !== 'server/http' && from !== 'server/test') return 'only http/ imports Fastify';
  }
  if (from in SERVER_LAYERS && SERVER_LAYERS[from]!.includes(to)) return `${from} may not import ${to}`;
  if (from === 'server/domain' && ['npm:pg', 'npm:@electric-sql/pglite', 'npm:undici', 'npm:ioredis'].includes(to)) return 'domain has no SQL driver, HTTP client or Redis';
  void file; void specifier;
  return null;
}

const problems: string[] = [];
for (const sourceRoot of SOURCE_ROOTS) {
  let exists = true;
  try { statSync(join(root, sourceRoot)); } catch { exists = false; }
  if (!exists) continue;
  for (const file of walk(join(root, sourceRoot))) {
    const from = areaOf(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT_PATTERN)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      const to = targetArea(file, specifier.startsWith('node:') ? `node:${specifier}` : specifier);
      const normalized = specifier.startsWith('node:') ? `npm:node:${specifier.slice(5)}` : to;
      const reason = violation(file, from, normalized, specifier);
      if (reason) problems.push(`${relative(root, file)}: imports '${specifier}' — ${reason}`);
    }
    const isServerSource = from.startsWith('server/') && from !== 'server/test';
    if (isServerSource && from !== 'server/config' && /process\.env\b/.test(text.replace(/\/\/.*$/gm, ''))) {
      problems.push(`${relative(root, file)}: reads process.env — only apps/server/src/config.ts may`);
    }
    if (from === 'providers' && /process\.env\b/.test(text.replace(/\/\/.*$/gm, '')) && !file.endsWith('.test.ts')) {
      problems.push(`${relative(root, file)}: reads process.env — providers get configuration from the server`);
    }
  }
}

if (problems.length > 0) {
  console.error(`Import-direction rules: ${problems.length} violation(s)\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('Import-direction rules: OK');
