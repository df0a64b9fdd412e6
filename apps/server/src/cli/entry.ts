/**
 * The `saas-llm` process entry. `serve` may first replace the process with a copy of itself that has the
 * memory settings (decisions 017 and 018); that happens here, before the server's modules load, so the copy is
 * the only one to pay for loading them (loading the whole bundle first made the restart ~0.5–0.9 s slower).
 */
import { cliEnvironment } from '../config.ts';
import { applyMemoryTuning } from './memory-tuning.ts';

if (process.argv[2] === 'serve') applyMemoryTuning(cliEnvironment());
// From the sources, main.ts (through tsx); bundled, its own bundle beside this one (scripts/bundle.mjs).
const main = import.meta.url.endsWith('.ts') ? './main.ts' : './saas-llm-main.mjs';
await import(new URL(main, import.meta.url).href);
