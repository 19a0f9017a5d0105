/**
 * A parsed YAML file that still knows where every value came from: maps a path inside the data
 * (`rules/3/action`, as in a JSON pointer) back to a line and column, so that schema errors, unknown
 * rule ids and CEL errors can all name the exact place.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document, type Node } from 'yaml';
import { PolicyErrorCode, type PolicyIssue } from './errors.js';

export type DataPath = readonly (string | number)[];

export interface Position {
  line: number;
  column: number;
}

export class YamlSource {
  readonly file: string;
  readonly data: unknown;
  readonly issues: PolicyIssue[];
  readonly #doc: Document.Parsed;
  readonly #lines: LineCounter;
  readonly #text: string;

  constructor(text: string, file: string) {
    this.file = file;
    this.#text = text;
    this.#lines = new LineCounter();
    this.#doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
    this.issues = this.#doc.errors.map((error) => {
      const at = this.#position(error.pos[0]);
      return issue(PolicyErrorCode.yaml, file, at, yamlMessage(error.code, error.message), 'fix the YAML syntax at this place');
    });
    this.data = this.issues.length === 0 ? this.#doc.toJS({ maxAliasCount: 100 }) : undefined;
  }

  /** Where the value at `path` starts; the nearest existing ancestor when the path does not exist. */
  at(path: DataPath): Position {
    const { value, parent } = this.#walk(path);
    return this.#position(startOf(value ?? parent));
  }

  /** Where the key of the entry at `path` starts (for "unknown key" errors). */
  keyAt(path: DataPath): Position {
    const { key, value, parent } = this.#walk(path);
    return this.#position(startOf(key ?? value ?? parent));
  }

  /**
   * Where character `index` of the string value at `path` sits in the file: accounts for quotes,
   * for block scalars (`|`, `>`) whose lines are indented, and for plain scalars folded over
   * several lines. Falls back to the value's start where escapes make the mapping ambiguous.
   */
  inString(path: DataPath, index: number): Position {
    const node = this.#walk(path).value;
    if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return this.at(path);
    const start = node.range[0];
    const raw = this.#text.slice(start, node.range[1]);
    switch (node.type) {
      case Scalar.QUOTE_SINGLE:
      case Scalar.QUOTE_DOUBLE:
        // Escapes and folded lines shift the text; map exactly only when the value is written verbatim.
        return raw.slice(1, -1) === node.value ? this.#position(start + 1 + index) : this.#position(start);
      case Scalar.PLAIN:
        return this.#position(offsetIn(lineSegments(raw, start, false), index));
      default:
        return this.#position(offsetIn(lineSegments(raw, start, true), index));
    }
  }

  #position(offset: number): Position {
    const pos = this.#lines.linePos(Math.max(0, Math.min(offset, this.#text.length)));
    return { line: pos.line, column: pos.col };
  }

  #walk(path: DataPath): { key?: Node; value?: Node; parent?: Node } {
    let current: unknown = this.#doc.contents;
    let key: Node | undefined;
    let parent: Node | undefined;
    for (const step of path) {
      parent = (current as Node | undefined) ?? parent;
      key = undefined;
      if (isMap(current)) {
        const pair = current.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
        if (!pair) return { parent };
        key = pair.key as Node;
        current = pair.value;
      } else if (isSeq(current) && typeof step === 'number') {
        current = current.items[step];
      } else {
        return { parent };
      }
    }
    return { key, value: (current as Node | null) ?? undefined, parent };
  }
}

/**
 * The source lines of a scalar as (file offset, text) pieces whose texts, joined by one character
 * (a newline, or the space of a folded line), give the value.
 */
function lineSegments(raw: string, start: number, block: boolean): { offset: number; text: string }[] {
  const lines = raw.split('\n');
  const segments: { offset: number; text: string }[] = [];
  let offset = start;
  const indentOf = (line: string) => line.length - line.trimStart().length;
  const blockIndent = block ? indentOf(lines.slice(1).find((l) => l.trim() !== '') ?? '') : 0;
  lines.forEach((line, i) => {
    if (block && i === 0) return void (offset += line.length + 1); // the `|` / `>` header
    const skip = i === 0 ? 0 : block ? Math.min(blockIndent, indentOf(line)) : indentOf(line);
    segments.push({ offset: offset + skip, text: line.slice(skip) });
    offset += line.length + 1;
  });
  return segments;
}

function offsetIn(segments: { offset: number; text: string }[], index: number): number {
  let remaining = index;
  for (const segment of segments) {
    if (remaining <= segment.text.length) return segment.offset + remaining;
    remaining -= segment.text.length + 1;
  }
  return segments[0]?.offset ?? 0;
}

function startOf(node: Node | undefined): number {
  return node?.range?.[0] ?? 0;
}

function issue(code: PolicyIssue['code'], file: string, at: Position, message: string, hint?: string): PolicyIssue {
  return { code, file, line: at.line, column: at.column, message, ...(hint ? { hint } : {}), severity: 'error' };
}

/** The yaml library's messages start uppercase and carry a source excerpt; keep the first sentence. */
function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const text = first.charAt(0).toLowerCase() + first.slice(1);
  return `invalid yaml: ${text.replace(/\.$/, '')} (${code.toLowerCase().replaceAll('_', '-')})`;
}

export { issue as locatedIssue };
