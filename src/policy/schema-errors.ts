/**
 * Turns ajv's validation errors into located policy issues that say what was expected, in the
 * project's message style (lowercase, user input in backticks, advice in the hint).
 */
import type { ErrorObject } from 'ajv';
import { locatedIssue, type DataPath, type YamlSource } from './yaml-source.js';
import { PolicyErrorCode, type PolicyIssue } from './errors.js';
import { closest, listOf } from './suggest.js';

/** Each error of a validator compiled with `allErrors` and `verbose`; `prefix` places nested data (rule params). */
export function schemaIssues(
  errors: readonly ErrorObject[],
  source: YamlSource,
  prefix: DataPath = [],
  code: PolicyIssue['code'] = PolicyErrorCode.invalidValue,
): PolicyIssue[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const issues: PolicyIssue[] = [];
  for (const error of errors) {
    // An anyOf reports each failed branch too; its own summary is enough.
    if (error.keyword !== 'anyOf' && anyOfPaths.has(error.instancePath) && error.schemaPath.includes('/anyOf/')) continue;
    const path = [...prefix, ...pointerPath(error.instancePath)];
    issues.push(describe(error, path, source, code));
  }
  return issues;
}

function describe(error: ErrorObject, path: DataPath, source: YamlSource, code: PolicyIssue['code']): PolicyIssue {
  const where = pathLabel(path);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = closest(key, known);
      return locatedIssue(
        PolicyErrorCode.unknownKey,
        source.file,
        source.keyAt([...path, key]),
        `unknown key \`${key}\`${where ? ` in \`${where}\`` : ''}`,
        guess ? `did you mean \`${guess}\`?` : known.length ? `expected one of ${listOf(known)}` : undefined,
      );
    }
    case 'required': {
      const key = String(params.missingProperty);
      return locatedIssue(PolicyErrorCode.missingKey, source.file, source.keyAt(path), `missing key \`${key}\`${where ? ` in \`${where}\`` : ''}`, `add \`${key}:\``);
    }
    case 'propertyNames':
      return locatedIssue(code, source.file, source.keyAt([...path, String(params.propertyName)]), `invalid name \`${String(params.propertyName)}\``, nameHint(path));
    default:
      return locatedIssue(code, source.file, source.at(path), `${where ? `\`${where}\`: ` : ''}${expectation(error)}`);
  }
}

function expectation(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const got = `, got ${shown(error.data)}`;
  switch (error.keyword) {
    case 'enum':
      return `expected ${listOf(params.allowedValues as unknown[])}${got}`;
    case 'const':
      return `expected \`${String(params.allowedValue)}\`${got}`;
    case 'type':
      return `expected ${article(String(params.type))}${got}`;
    case 'anyOf':
      return `expected ${((error.schema as { type?: string; const?: unknown }[]) ?? []).map((s) => (s.const !== undefined ? `\`${String(s.const)}\`` : article(String(s.type)))).join(' or ')}${got}`;
    case 'pattern':
      return `${shown(error.data)} is not a valid name (expected the form \`${String(params.pattern)}\`)`;
    case 'minLength':
      return 'expected a non-empty string';
    case 'minimum':
    case 'maximum':
      return `expected a number ${String(params.comparison)} ${String(params.limit)}${got}`;
    default:
      return error.message ?? 'invalid value';
  }
}

function article(type: string): string {
  if (type.includes(',')) return type.split(',').map(article).join(' or ');
  return { object: 'a mapping', array: 'a list', integer: 'an integer', null: 'null' }[type] ?? `a ${type}`;
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `\`${String(value)}\``;
}

function nameHint(path: DataPath): string | undefined {
  if (path[0] === 'actors') return 'actor names start with a letter or `_` and hold letters, digits, `_`, `.` or `-`';
  if (path[0] === 'resources') return 'write `schema`, `schema.table` or `schema.table.column`';
  return undefined;
}

/** `/rules/3/params` → ['rules', 3, 'params'] */
export function pointerPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** ['rules', 3, 'action'] → `rules[3].action` */
export function pathLabel(path: DataPath): string {
  let label = '';
  for (const step of path) label += typeof step === 'number' ? `[${step}]` : label ? `.${step}` : step;
  return label;
}
