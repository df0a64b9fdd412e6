/*
 * A string matching a simple regular expression, for JSON Schema `pattern`s such as `^\d{5}$` or
 * `^[A-Z]{2}-[0-9]{3,4}$`. Supported: anchors, literals, escapes (\d \w \s and escaped punctuation),
 * character classes with ranges, groups with alternation (the first branch is taken), and the
 * quantifiers ? * + {n} {n,} {n,m} (the minimum, or 1 for + and *). Anything else (lookarounds,
 * backreferences, negated classes) gives null and the caller falls back to other candidates.
 */

class Unsupported extends Error {}

const CLASS_SAMPLES: Record<string, string> = { d: '7', w: 'a', s: ' ', D: 'a', W: '-', S: 'a' };

class Sampler {
  private position = 0;

  constructor(private readonly pattern: string) {}

  sample(): string {
    const result = this.alternation();
    if (this.position < this.pattern.length) throw new Unsupported();
    return result;
  }

  private alternation(): string {
    const first = this.sequence();
    while (this.peek() === '|') {
      this.position++;
      this.sequence();
    }
    return first;
  }

  private sequence(): string {
    let result = '';
    while (this.position < this.pattern.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.atom();
      result += this.quantified(atom);
    }
    return result;
  }

  private atom(): string {
    const char = this.pattern[this.position++]!;
    switch (char) {
      case '^':
      case '$':
        return '';
      case '.':
        return 'a';
      case '(': {
        if (this.peek() === '?') {
          if (this.pattern[this.position + 1] !== ':') throw new Unsupported();
          this.position += 2;
        }
        const inner = this.alternation();
        if (this.pattern[this.position++] !== ')') throw new Unsupported();
        return inner;
      }
      case '[':
        return this.characterClass();
      case '\\':
        return this.escape();
      case '*': case '+': case '?': case '{': case ')': case ']':
        throw new Unsupported();
      default:
        return char;
    }
  }

  private escape(): string {
    const char = this.pattern[this.position++];
    if (char === undefined) throw new Unsupported();
    if (char in CLASS_SAMPLES) return CLASS_SAMPLES[char]!;
    if (/[0-9bBkpPu]/.test(char)) throw new Unsupported();
    if (char === 'n') return '\n';
    if (char === 't') return '\t';
    return char;
  }

  private characterClass(): string {
    if (this.peek() === '^') throw new Unsupported();
    let first: string | null = null;
    while (this.peek() !== ']') {
      if (this.position >= this.pattern.length) throw new Unsupported();
      let char = this.pattern[this.position++]!;
      if (char === '\\') char = this.escape();
      if (this.peek() === '-' && this.pattern[this.position + 1] !== ']') this.position += 2;
      first ??= char;
    }
    this.position++;
    if (first === null) throw new Unsupported();
    return first;
  }

  private quantified(atom: string): string {
    const char = this.peek();
    let count = 1;
    if (char === '?' || char === '*') {
      this.position++;
      count = 0;
    } else if (char === '+') {
      this.position++;
    } else if (char === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.pattern.slice(this.position));
      if (!match) throw new Unsupported();
      this.position += match[0].length;
      count = Number(match[1]);
    }
    if (this.peek() === '?') this.position++; // lazy modifier: same minimum
    return atom.repeat(count);
  }

  private peek(): string | undefined {
    return this.pattern[this.position];
  }
}

/** A string that `new RegExp(pattern, 'u')` matches, or null when the pattern is beyond this sampler. */
export function sampleRegex(pattern: string): string | null {
  let candidate: string;
  try {
    candidate = new Sampler(pattern).sample();
  } catch (error) {
    if (error instanceof Unsupported) return null;
    throw error;
  }
  return new RegExp(pattern, 'u').test(candidate) ? candidate : null;
}
