import type { JsonSchemaObject } from '@saas-llm/protocol';
import { allowsNull, resolveLocalRef, type SchemaNode } from './json-schema-walk.ts';

/** The part of a schema the stripper needs at one level: an object's properties, or an array's items. */
interface ObjectView { kind: 'object'; properties: Record<string, SchemaNode>; required: ReadonlySet<string> }
interface ArrayView { kind: 'array'; items: SchemaNode | null }
type View = ObjectView | ArrayView | null;

interface Frame {
  kind: 'object' | 'array';
  view: View;
  /** object: `key` (before a key or `}`), `colon`, `value`, `after`; array: `value` (or `]`), `after`. */
  state: 'key' | 'colon' | 'value' | 'after';
  /** The raw characters of the current member's key (escapes undecoded). */
  key: string;
  /** Whether a member of this object has been written (decides whether the next one keeps its comma). */
  written: boolean;
  /** Whether a null for the current member would be ours (an optional property whose schema forbids null). */
  synthetic: boolean;
}

/**
 * The streaming twin of `restoreOptionalFields`: removes the `"key": null` members that strict-schema
 * adaptation made the model write, from JSON text arriving in arbitrary fragments. Only a member's key
 * is held back until its value's first character shows whether it is one of ours; everything else
 * passes at once. Text that stops looking like JSON is passed through unchanged from there on.
 */
export class StreamingNullStripper {
  private readonly stack: Frame[] = [];
  /** Text of the current member held back until its value shows whether it is one of ours. */
  private held: string | null = null;
  private out = '';
  private string: 'key' | 'value' | null = null;
  private escaped = false;
  private literal: 'keep' | 'drop' | null = null;
  private rootDone = false;
  private passthrough = false;

  constructor(private readonly root: JsonSchemaObject) {}

  /** The text to emit for this fragment (possibly shorter, possibly including text held from before). */
  push(fragment: string): string {
    if (this.passthrough) return fragment;
    this.out = '';
    for (let index = 0; index < fragment.length; index++) {
      const char = fragment[index]!;
      if (this.string !== null) {
        this.emit(char);
        if (this.string === 'key') this.top()!.key += char;
        if (this.escaped) this.escaped = false;
        else if (char === '\\') this.escaped = true;
        else if (char === '"') this.endString();
        continue;
      }
      if (this.literal !== null) {
        if (!/[\s,}\]]/.test(char)) {
          if (this.literal === 'keep') this.emit(char);
          continue;
        }
        this.literal = null;
        this.valueDone();
      }
      if (!this.structural(char)) {
        // Not JSON as we understand it: from here on the text passes unchanged, held text included.
        this.passthrough = true;
        const rest = `${this.out}${this.held ?? ''}${fragment.slice(index)}`;
        this.held = null;
        return rest;
      }
    }
    return this.out;
  }

  /** Whatever is still held at the end of the stream. */
  end(): string {
    const rest = this.held ?? '';
    this.held = null;
    return rest;
  }

  private emit(text: string): void {
    if (this.held !== null) this.held += text;
    else this.out += text;
  }

  private top(): Frame | undefined {
    return this.stack.at(-1);
  }

  /** One character outside strings and literals; false when it cannot be JSON here. */
  private structural(char: string): boolean {
    if (/\s/.test(char)) {
      this.emit(char);
      return true;
    }
    const frame = this.top();
    if (frame === undefined) {
      if (this.rootDone) return false;
      this.startValue(char, this.viewOf(this.root));
      return true;
    }
    if (frame.kind === 'array') {
      if (char === ']' && frame.state !== 'key') return this.close(char);
      if (frame.state === 'after' && char === ',') {
        this.emit(char);
        frame.state = 'value';
        return true;
      }
      if (frame.state !== 'value') return false;
      this.startValue(char, this.childView((frame.view as ArrayView | null)?.items ?? undefined));
      return true;
    }
    switch (frame.state) {
      case 'key':
        if (char === '}') return this.close(char);
        if (char !== '"') return false;
        this.held = (this.held ?? '') + char;
        frame.key = '';
        this.string = 'key';
        return true;
      case 'colon':
        if (char !== ':') return false;
        this.emit(char);
        frame.state = 'value';
        return true;
      case 'after':
        if (char === '}') return this.close(char);
        if (char !== ',') return false;
        this.held = char;
        frame.state = 'key';
        return true;
      case 'value': {
        if (frame.synthetic && char === 'n') {
          // Our null: the held key goes, and so does the literal.
          this.held = null;
          this.literal = 'drop';
          return true;
        }
        this.flushMember(frame);
        const view = frame.view as ObjectView | null;
        this.startValue(char, this.childView(view?.properties[decodeKey(frame.key)]));
        return true;
      }
    }
  }

  private startValue(char: string, view: View): void {
    this.emit(char);
    if (char === '{') this.stack.push({ kind: 'object', view: view?.kind === 'object' ? view : null, state: 'key', key: '', written: false, synthetic: false });
    else if (char === '[') this.stack.push({ kind: 'array', view: view?.kind === 'array' ? view : null, state: 'value', key: '', written: false, synthetic: false });
    else if (char === '"') this.string = 'value';
    else this.literal = 'keep';
  }

  private close(char: string): boolean {
    const frame = this.top()!;
    // A comma held before `}` (not valid JSON, but text is never lost) is released with it.
    if (this.held !== null) this.flushMember(frame);
    this.emit(char);
    this.stack.pop();
    this.valueDone();
    return true;
  }

  private endString(): void {
    const role = this.string;
    this.string = null;
    if (role === 'value') {
      this.valueDone();
      return;
    }
    const frame = this.top()!;
    frame.key = frame.key.slice(0, -1); // the closing quote
    frame.state = 'colon';
    const view = frame.view as ObjectView | null;
    const name = decodeKey(frame.key);
    const property = view?.properties[name];
    frame.synthetic = view !== null && property !== undefined && !view.required.has(name) && !allowsNull(property, this.root);
  }

  /** Releases a held member, dropping its leading comma when nothing was written before it. */
  private flushMember(frame: Frame): void {
    let held = this.held ?? '';
    this.held = null;
    if (!frame.written) held = held.replace(/^,/, '');
    frame.written = true;
    this.out += held;
  }

  private valueDone(): void {
    const frame = this.top();
    if (frame === undefined) this.rootDone = true;
    else frame.state = 'after';
  }

  private childView(schema: SchemaNode | undefined): View {
    return schema === undefined ? null : this.viewOf(schema);
  }

  /** The object or array shape of a schema, following `$ref`, single `allOf` and single non-null unions. */
  private viewOf(schema: SchemaNode, depth = 0): View {
    if (typeof schema !== 'object' || schema === null || depth > 16) return null;
    if (typeof schema.$ref === 'string') return this.viewOf(resolveLocalRef(this.root, schema.$ref), depth + 1);
    if (Array.isArray(schema.allOf) && schema.allOf.length === 1) return this.viewOf(schema.allOf[0] as SchemaNode, depth + 1);
    const branches = (schema.anyOf ?? schema.oneOf) as SchemaNode[] | undefined;
    if (Array.isArray(branches)) {
      const concrete = branches.filter((branch) => !(typeof branch === 'object' && branch !== null && branch.type === 'null'));
      return concrete.length === 1 ? this.viewOf(concrete[0]!, depth + 1) : null;
    }
    if (typeof schema.properties === 'object' && schema.properties !== null) {
      return { kind: 'object', properties: schema.properties as Record<string, SchemaNode>, required: new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []) };
    }
    if (typeof schema.items === 'object' && schema.items !== null) return { kind: 'array', items: schema.items as SchemaNode };
    return null;
  }
}

function decodeKey(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch (error) {
    // A key with a broken escape cannot name a property of the schema.
    void error;
    return raw;
  }
}
