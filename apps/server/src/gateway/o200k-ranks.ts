import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The o200k tokens by rank, read as data from gpt-tokenizer's rank module instead of imported from it.
 * Imported, the module's compiled code keeps all 200k strings as constants (~10 MB) plus ~7 MB of code
 * for the life of the thread, though the counter needs them only once, to build its byte tables; parsed
 * here, they are garbage as soon as it is built. The module is a list of JavaScript array literals of
 * string literals and byte arrays (`const c0 = [ "…", [32, 240], … ];`): each becomes JSON once its
 * JavaScript-only escapes are rewritten. A format this does not recognise throws, and the counter's test compares every rank with the
 * imported module.
 */
export function readO200kRanks(): Token[] {
  return parseRankModule(readFileSync(fileURLToPath(import.meta.resolve('gpt-tokenizer/bpeRanks/o200k_base')), 'utf8'));
}

export function parseRankModule(source: string): Token[] {
  const ranks: Token[] = [];
  for (const [, literal] of source.matchAll(/^const c\d+ = (\[$[\s\S]*?^\]);$/gm)) {
    // Tabs indent (a string never spans lines, so none starts one); strings may hold raw control characters
    // such as tabs, which JSON wants escaped.
    const json = literal!.replace(/^\t+/gm, '').replace(/\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|[\s\S])|[\u0000-\u0009\u000b\u000c\u000e-\u001f]/g, jsonEscape);
    const chunk: unknown = JSON.parse(json);
    if (!Array.isArray(chunk) || !chunk.every(isToken)) throw new Error('o200k ranks: a chunk is not a list of tokens');
    for (const token of chunk) ranks.push(token);
  }
  if (ranks.length < 199_000) throw new Error(`o200k ranks: read ${ranks.length} tokens from gpt-tokenizer's rank module, expected ~200k`);
  return ranks;
}

/** A token's text, or its bytes where they are not valid UTF-8 on their own. */
type Token = string | number[];

function isToken(token: unknown): token is Token {
  return typeof token === 'string' || (Array.isArray(token) && token.every((byte) => Number.isInteger(byte) && byte >= 0 && byte < 256));
}

/** One JavaScript string escape as JSON (`\0`, `\v`, `\'`, `\xHH` and `\u{…}` are JavaScript only), or a raw control character escaped. */
function jsonEscape(escape: string, body: string | undefined): string {
  if (body === undefined) return `\\u${escape.charCodeAt(0).toString(16).padStart(4, '0')}`;
  if (body === '0') return '\\u0000';
  if (body === 'v') return '\\u000b';
  if (body === "'") return "'";
  if (body.startsWith('x')) return `\\u00${body.slice(1)}`;
  if (body.startsWith('u{')) {
    return String.fromCodePoint(Number.parseInt(body.slice(2, -1), 16)).split('').map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
  }
  return escape;
}
