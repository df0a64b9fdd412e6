/** What `parsePartialJson` makes of a prefix of a JSON document. */
export interface PartialJson {
  /** The value so far: objects and arrays with the members read completely, strings cut where the text ends. */
  value: unknown;
  /** True when the text held one whole JSON value (and nothing after it but whitespace). */
  complete: boolean;
}

/** Makes every nested property optional: the shape of an object whose JSON is still arriving. */
export type DeepPartial<T> = T extends readonly (infer Item)[]
  ? DeepPartial<Item>[]
  : T extends object
    ? { [Key in keyof T]?: DeepPartial<T[Key]> }
    : T;

/** Thrown inside the parser when the text ends; unwinds to the nearest container, which keeps what it has. */
const END = Symbol('end of text');

/**
 * Parses the beginning of a JSON document that is still streaming in, e.g. `{"name": "Ada", "ag`.
 * Tolerant by design, for showing progress, never for trusting data (validate the final text):
 * - an unfinished string is kept as far as it goes (`"Ada Lov` → `"Ada Lov"`), escapes included;
 * - an unfinished number, `true`, `false` or `null` is left out, since `3` may yet become `35`;
 * - an object member whose key or value has not started yet is left out;
 * - text before the first `{` or `[` (a model's preamble, a ```json fence) is skipped, so the document
 *   must be an object or an array, as structured outputs are.
 * Returns `undefined` while no `{` or `[` has arrived. A syntax error (not just a cut)
 * ends parsing there, keeping what was read before it.
 */
export function parsePartialJson(text: string): PartialJson | undefined {
  const start = firstValueStart(text);
  if (start === -1) return undefined;
  return new PartialJsonParser(text, start).parseDocument();
}

/** Structured outputs are objects (or arrays): the document starts at the first `{` or `[`. */
function firstValueStart(text: string): number {
  const object = text.indexOf('{');
  const array = text.indexOf('[');
  if (object === -1) return array;
  if (array === -1) return object;
  return Math.min(object, array);
}

class PartialJsonParser {
  private position: number;
  /** Set when the value ended early (text cut or syntax error); the document is then incomplete. */
  private truncated = false;

  constructor(private readonly text: string, start: number) {
    this.position = start;
  }

  parseDocument(): PartialJson | undefined {
    const value = this.parseValueOrEnd();
    if (value === END) return undefined;
    // Text after the value (a closing ``` fence) is ignored: it does not make the value partial.
    return { value, complete: !this.truncated };
  }

  private parseValueOrEnd(): unknown {
    try {
      return this.parseValue();
    } catch (error) {
      if (error === END) {
        this.truncated = true;
        return END;
      }
      throw error;
    }
  }

  private parseValue(): unknown {
    this.skipWhitespace();
    const char = this.peek();
    if (char === '{') return this.parseObject();
    if (char === '[') return this.parseArray();
    if (char === '"') return this.parseString(true);
    if (char === '-' || (char >= '0' && char <= '9')) return this.parseNumber();
    if (char === 't') return this.parseLiteral('true', true);
    if (char === 'f') return this.parseLiteral('false', false);
    if (char === 'n') return this.parseLiteral('null', null);
    throw END; // a syntax error: stop here, keeping what the containers hold
  }

  private parseObject(): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    this.position += 1;
    try {
      this.skipWhitespace();
      if (this.peek() === '}') {
        this.position += 1;
        return object;
      }
      for (;;) {
        this.skipWhitespace();
        if (this.peek() !== '"') throw END;
        const key = this.parseString(false) as string;
        this.skipWhitespace();
        if (this.peek() !== ':') throw END;
        this.position += 1;
        const value = this.parseMember();
        // defineProperty, as JSON.parse does: a plain assignment of "__proto__" would replace the prototype.
        if (value !== END) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
        if (this.truncated) return object;
        this.skipWhitespace();
        const next = this.peek();
        this.position += 1;
        if (next === '}') return object;
        if (next !== ',') throw END;
      }
    } catch (error) {
      if (error !== END) throw error;
      this.truncated = true;
      return object;
    }
  }

  private parseArray(): unknown[] {
    const array: unknown[] = [];
    this.position += 1;
    try {
      this.skipWhitespace();
      if (this.peek() === ']') {
        this.position += 1;
        return array;
      }
      for (;;) {
        const value = this.parseMember();
        if (value !== END) array.push(value);
        if (this.truncated) return array;
        this.skipWhitespace();
        const next = this.peek();
        this.position += 1;
        if (next === ']') return array;
        if (next !== ',') throw END;
      }
    } catch (error) {
      if (error !== END) throw error;
      this.truncated = true;
      return array;
    }
  }

  /** A member's value; END when nothing usable of it arrived (then the member is left out). */
  private parseMember(): unknown {
    try {
      return this.parseValue();
    } catch (error) {
      if (error !== END) throw error;
      this.truncated = true;
      return END;
    }
  }

  /** A string; cut short, it is returned as far as it goes when `keepPartial`, else the end is thrown. */
  private parseString(keepPartial: boolean): string {
    this.position += 1;
    let result = '';
    for (;;) {
      if (this.position >= this.text.length) {
        if (!keepPartial) throw END;
        this.truncated = true;
        return result;
      }
      const char = this.text[this.position]!;
      if (char === '"') {
        this.position += 1;
        return result;
      }
      if (char !== '\\') {
        // Copy the whole run up to the next quote or backslash at once: this runs on every delta.
        const stop = nextSpecial(this.text, this.position);
        result += this.text.slice(this.position, stop);
        this.position = stop;
        continue;
      }
      const escaped = this.readEscape();
      if (escaped === null) {
        // The text ends inside an escape sequence: keep the string up to it.
        if (!keepPartial) throw END;
        this.truncated = true;
        this.position = this.text.length;
        return result;
      }
      result += escaped;
    }
  }

  /** Reads `\x` or `\uXXXX` at the position; null when the text ends inside it. */
  private readEscape(): string | null {
    const kind = this.text[this.position + 1];
    if (kind === undefined) return null;
    const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
    if (kind in simple) {
      this.position += 2;
      return simple[kind]!;
    }
    if (kind !== 'u') throw END;
    const hex = this.text.slice(this.position + 2, this.position + 6);
    if (hex.length < 4) return null;
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw END;
    this.position += 6;
    return String.fromCharCode(Number.parseInt(hex, 16));
  }

  private parseNumber(): number {
    // Take every character a number can contain, then check the whole token: `-5e` must not read as -5.
    const token = /^[-+0-9.eE]+/.exec(this.text.slice(this.position))![0];
    const end = this.position + token.length;
    // A number that touches the end of the text may still grow (`3` → `35`): not usable yet.
    if (end >= this.text.length) throw END;
    if (!/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(token)) throw END;
    this.position = end;
    return Number(token);
  }

  private parseLiteral<T>(word: string, value: T): T {
    const available = this.text.slice(this.position, this.position + word.length);
    if (available !== word) throw END; // cut short (`tru`) or misspelt: either way, not a value yet
    this.position += word.length;
    return value;
  }

  private skipWhitespace(): void {
    while (this.position < this.text.length && /\s/.test(this.text[this.position]!)) this.position += 1;
  }

  private peek(): string {
    if (this.position >= this.text.length) throw END;
    return this.text[this.position]!;
  }
}

/** The index of the next `"` or `\\` at or after `from`, or the text's length. */
function nextSpecial(text: string, from: number): number {
  const quote = text.indexOf('"', from);
  const backslash = text.indexOf('\\', from);
  const candidates = [quote, backslash].filter((index) => index !== -1);
  return candidates.length === 0 ? text.length : Math.min(...candidates);
}
