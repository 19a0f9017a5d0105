/**
 * A small reader over a YAML document that remembers where each value came from, so every
 * validation error can name the file, line and column. Unknown keys are reported, never ignored.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfigErrorCode, type ConfigIssue } from './errors.js';

/** A YAML node with its location helpers. */
export class Located {
  constructor(
    readonly node: Node | null | undefined,
    private readonly source: YamlSource,
  ) {}

  /** Location of the node (or of its parent's key when the node is empty). */
  issue(code: ConfigIssue['code'], message: string, hint?: string): void {
    this.source.report(this.node, code, message, hint);
  }

  get present(): boolean {
    return this.node !== null && this.node !== undefined && !(isScalar(this.node) && this.node.value === null);
  }

  /** The entries of a mapping, reporting keys outside `known`. Returns undefined (and reports) for a non-mapping. */
  mapping(what: string, known: readonly string[]): Map<string, Located> | undefined {
    if (!isMap(this.node)) {
      this.issue(ConfigErrorCode.invalidValue, `${what} must be a mapping`);
      return undefined;
    }
    const out = new Map<string, Located>();
    for (const pair of this.node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      const keyNode = pair.key as Node;
      if (key === undefined || !known.includes(key)) {
        this.source.report(keyNode, ConfigErrorCode.unknownKey, `unknown key \`${key ?? '?'}\` in ${what}`, `expected one of: ${known.join(', ')}`);
        continue;
      }
      out.set(key, new Located(pair.value as Node | null, this.source));
    }
    return out;
  }

  /** The items of a sequence. */
  sequence(what: string): Located[] | undefined {
    if (!isSeq(this.node)) {
      this.issue(ConfigErrorCode.invalidValue, `${what} must be a list`);
      return undefined;
    }
    return this.node.items.map((item) => new Located(item as Node, this.source));
  }

  string(what: string): string | undefined {
    if (isScalar(this.node) && (typeof this.node.value === 'string' || typeof this.node.value === 'number')) {
      return String(this.node.value);
    }
    this.issue(ConfigErrorCode.invalidValue, `${what} must be a string`);
    return undefined;
  }

  boolean(what: string): boolean | undefined {
    if (isScalar(this.node) && typeof this.node.value === 'boolean') return this.node.value;
    this.issue(ConfigErrorCode.invalidValue, `${what} must be true or false`);
    return undefined;
  }

  /** A string from a closed set. */
  oneOf<T extends string>(what: string, allowed: readonly T[]): T | undefined {
    const value = isScalar(this.node) ? this.node.value : undefined;
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    this.issue(ConfigErrorCode.invalidValue, `${what} must be one of ${allowed.map((a) => `\`${a}\``).join(', ')}`);
    return undefined;
  }

  /** A list of strings (a single string is accepted as a one-item list). */
  strings(what: string): string[] | undefined {
    if (isScalar(this.node) && typeof this.node.value === 'string') return [this.node.value];
    const items = this.sequence(what);
    if (!items) return undefined;
    const out: string[] = [];
    for (const item of items) {
      const value = item.string(`each item of ${what}`);
      if (value !== undefined) out.push(value);
    }
    return out;
  }

  /** The raw scalar value (number, string, boolean…), for parsers of units. */
  scalar(): unknown {
    return isScalar(this.node) ? this.node.value : undefined;
  }
}

/** A parsed YAML file and the issues found in it so far. */
export class YamlSource {
  readonly issues: ConfigIssue[] = [];
  readonly root: Located;
  readonly #lines = new LineCounter();

  constructor(
    readonly file: string,
    text: string,
  ) {
    const doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
    for (const error of doc.errors) {
      const pos = error.linePos?.[0] ?? { line: 1, col: 1 };
      this.issues.push({
        code: ConfigErrorCode.yaml,
        file,
        line: pos.line,
        column: pos.col,
        message: error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').toLowerCase(),
      });
    }
    this.root = new Located(doc.errors.length > 0 ? null : (doc.contents as Node | null), this);
  }

  report(node: Node | null | undefined, code: ConfigIssue['code'], message: string, hint?: string): void {
    const offset = node?.range?.[0];
    const pos = offset === undefined ? { line: 1, col: 1 } : this.#lines.linePos(offset);
    this.issues.push({ code, file: this.file, line: pos.line, column: pos.col, message, ...(hint ? { hint } : {}) });
  }
}
