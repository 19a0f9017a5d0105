/**
 * Loading a policy file: YAML → schema check → rule ids, parameters and CEL conditions checked
 * against the registry → a precompiled `Policy`. Bad input never throws: every problem comes back
 * as an issue naming the file, line and column and what was expected.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { compileCondition } from './cel.js';
import { hasObligations } from './obligations.js';
import { PolicyErrorCode, type PolicyIssue } from './errors.js';
import { RESERVED_RULE_IDS, type CompiledRule, type Policy, type PolicyTestCase, type Scope } from './policy.js';
import type { RuleDefinition } from './rule.js';
import { builtinRules } from './rules/index.js';
import { policySchema } from './schema.js';
import { schemaIssues } from './schema-errors.js';
import { scopedRules } from './scope.js';
import { closest } from './suggest.js';
import type { Action, Actor, ActorKind, Obligations } from './types.js';
import { locatedIssue, YamlSource, type DataPath } from './yaml-source.js';

export interface LoadPolicyOptions {
  /** File name for messages (`<inline>` when absent). */
  file?: string;
  /** The rule registry to resolve `rule:` ids against; the built-in catalogue by default. */
  rules?: readonly RuleDefinition<any>[];
}

export type LoadPolicyResult =
  | { ok: true; policy: Policy; warnings: PolicyIssue[] }
  | { ok: false; issues: PolicyIssue[] };

/** Baseline for kinds the policy's `defaults` leaves out: agents and pipelines are restricted. */
export const ENGINE_DEFAULTS: Readonly<Record<ActorKind, Action>> = { human: 'allow', service: 'allow', agent: 'deny', pipeline: 'deny' };

/** Tie-break when two kinds have equally strict baselines: the anonymous actor is the first of these. */
const RESTRICTION_ORDER: readonly ActorKind[] = ['agent', 'pipeline', 'service', 'human'];
const SEVERITY: Record<Action, number> = { allow: 0, review: 1, deny: 2 };

// --- the file's shape once the schema has accepted it ---
interface RawScope {
  actors?: string[];
  groups?: string[];
  kinds?: ActorKind[];
  environments?: string[];
}
interface RawRule extends RawScope {
  rule?: string;
  id?: string;
  when?: string;
  action?: Action;
  params?: Record<string, unknown>;
  message?: string;
  hint?: string;
  sqlstate?: string;
  obligations?: RawObligations;
  needsImpact?: boolean;
  except?: Omit<RawScope, 'environments'>;
}
interface RawObligations {
  mask?: { tags?: string[]; columns?: string[]; style?: 'redact' | 'partial' | 'hash' | 'null'; keep?: number }[];
  maxResultRows?: { rows: number; onExceed?: 'error' | 'truncate' };
  maxAffectedRows?: { rows?: number; percent?: number; mode?: 'estimate' | 'exact'; onUnknown?: 'deny' | 'review' };
  readOnly?: boolean;
  requireReason?: boolean;
}
interface RawPolicy {
  environment?: string;
  fail?: 'deny' | 'review';
  defaults?: Partial<Record<ActorKind, Action>>;
  actors?: Record<string, { kind: ActorKind; groups?: string[]; attributes?: Record<string, string | number | boolean>; databases?: string[] }>;
  resources?: { tags?: Record<string, string[]>; protected?: string[] };
  rules?: RawRule[];
  tests?: (Omit<PolicyTestCase, 'line' | 'column' | 'name' | 'impact'> & { name?: string; impact?: { rows: number | 'unknown'; tableRows?: number; mode?: 'estimate' | 'exact' } })[];
}

let structureValidator: ValidateFunction | undefined;
const paramsAjv = new Ajv({ allErrors: true, verbose: true, strict: false });
const paramsValidators = new WeakMap<RuleDefinition<any>, ValidateFunction>();

function validateStructure(data: unknown): ValidateFunction {
  structureValidator ??= new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true }).compile(policySchema);
  structureValidator(data);
  return structureValidator;
}

function paramsValidator(definition: RuleDefinition<any>): ValidateFunction {
  let validate = paramsValidators.get(definition);
  if (!validate) paramsValidators.set(definition, (validate = paramsAjv.compile(definition.paramsSchema)));
  return validate;
}

export function loadPolicy(text: string, options: LoadPolicyOptions = {}): LoadPolicyResult {
  const file = options.file ?? '<inline>';
  const source = new YamlSource(text, file);
  if (source.issues.length) return { ok: false, issues: source.issues };
  const data = source.data ?? {};
  const structure = validateStructure(data);
  if (structure.errors?.length) return { ok: false, issues: schemaIssues(structure.errors, source) };
  return new PolicyCompiler(data as RawPolicy, source, options.rules ?? builtinRules).compile();
}

class PolicyCompiler {
  readonly #raw: RawPolicy;
  readonly #source: YamlSource;
  readonly #registry: Map<string, RuleDefinition<any>>;
  readonly #issues: PolicyIssue[] = [];
  readonly #warnings: PolicyIssue[] = [];
  readonly #actors = new Map<string, Actor>();

  constructor(raw: RawPolicy, source: YamlSource, rules: readonly RuleDefinition<any>[]) {
    this.#raw = raw;
    this.#source = source;
    this.#registry = new Map(rules.map((r) => [r.id, r]));
  }

  compile(): LoadPolicyResult {
    const raw = this.#raw;
    const defaults = { ...ENGINE_DEFAULTS, ...raw.defaults };
    for (const [name, actor] of Object.entries(raw.actors ?? {})) {
      this.#actors.set(name, {
        name,
        kind: actor.kind,
        groups: actor.groups ?? [],
        attributes: Object.fromEntries(Object.entries(actor.attributes ?? {}).map(([k, v]) => [k, String(v)])),
        ...(actor.databases ? { databases: actor.databases } : {}),
      });
    }
    const rules = this.#rules();
    const tests = this.#tests();
    if (this.#issues.length) return { ok: false, issues: this.#issues };
    const policy: Policy = {
      file: this.#source.file,
      environment: raw.environment ?? 'production',
      fail: raw.fail ?? 'deny',
      defaults,
      actors: this.#actors,
      anonymous: { name: 'anonymous', kind: mostRestricted(defaults), groups: [], attributes: {} },
      resources: {
        tags: new Map(Object.entries(raw.resources?.tags ?? {})),
        protected: new Set(raw.resources?.protected ?? []),
      },
      rules,
      tests,
      rulesFor: scopedRules(rules),
    };
    return { ok: true, policy, warnings: this.#warnings };
  }

  #error(code: PolicyIssue['code'], path: DataPath, message: string, hint?: string, key = false): void {
    const at = key ? this.#source.keyAt(path) : this.#source.at(path);
    this.#issues.push(locatedIssue(code, this.#source.file, at, message, hint));
  }

  #warn(path: DataPath, message: string, hint?: string): void {
    const at = this.#source.at(path);
    this.#warnings.push({ ...locatedIssue(PolicyErrorCode.invalidValue, this.#source.file, at, message, hint), severity: 'warning' });
  }

  #rules(): CompiledRule[] {
    const compiled: CompiledRule[] = [];
    const customIds = new Set<string>();
    (this.#raw.rules ?? []).forEach((entry, index) => {
      const path = ['rules', index];
      if (entry.rule !== undefined && entry.id !== undefined) {
        return this.#error(PolicyErrorCode.invalidValue, [...path, 'id'], 'a rule entry names either a built-in `rule` or a custom `id`, not both', 'keep `rule:` for a built-in rule, or `id:` with `when:` for your own', true);
      }
      if (entry.rule === undefined && entry.id === undefined) {
        return this.#error(PolicyErrorCode.missingKey, path, 'a rule entry needs `rule` (a built-in rule) or `id` with `when` (a custom rule)');
      }
      const rule = entry.rule !== undefined ? this.#builtin(entry, path) : this.#custom(entry, path, customIds);
      if (rule) compiled.push({ ...rule, index, scope: this.#scope(entry, path) });
    });
    return compiled;
  }

  #builtin(entry: RawRule, path: DataPath): Omit<CompiledRule, 'index' | 'scope'> | undefined {
    const id = entry.rule!;
    const definition = this.#registry.get(id);
    if (!definition) {
      const guess = closest(id, this.#registry.keys());
      this.#error(PolicyErrorCode.unknownRule, [...path, 'rule'], `unknown rule \`${id}\``, guess ? `did you mean \`${guess}\`? (\`parapet policy rules\` lists them)` : 'see `parapet policy rules` for the built-in rules; define your own with `id:` and `when:`');
      return undefined;
    }
    const validate = paramsValidator(definition);
    if (!validate(entry.params ?? {})) {
      this.#issues.push(...schemaIssues(validate.errors ?? [], this.#source, [...path, 'params'], PolicyErrorCode.ruleParams));
      return undefined;
    }
    const params = { ...(definition.defaults as object), ...entry.params };
    const standing = this.#standing(definition, params, path);
    if (standing === null) return undefined;
    const when = entry.when !== undefined ? this.#condition(entry.when, [...path, 'when']) : undefined;
    if (entry.when !== undefined && !when) return undefined;
    return {
      id,
      action: entry.action ?? definition.defaultAction,
      definition,
      params,
      ...(when ? { when } : {}),
      grants: false,
      ...(standing && hasObligations(standing) ? { standing } : {}),
      ...this.#texts(entry),
      ...this.#obligations(entry, path),
      ...(definition.needsImpact ? { needsImpact: (request) => definition.needsImpact!(request, params) } : {}),
    };
  }

  /** Standing obligations depend on the parameters only: computed once. A rule that throws here fails the load. */
  #standing(definition: RuleDefinition<any>, params: unknown, path: DataPath): Obligations | undefined | null {
    try {
      return definition.standingObligations?.(params);
    } catch (error) {
      this.#error(PolicyErrorCode.ruleParams, [...path, 'rule'], `rule \`${definition.id}\` cannot work with these parameters: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  }

  #custom(entry: RawRule, path: DataPath, seen: Set<string>): Omit<CompiledRule, 'index' | 'scope'> | undefined {
    const id = entry.id!;
    if (this.#registry.has(id) || RESERVED_RULE_IDS.has(id)) {
      return void this.#error(PolicyErrorCode.duplicate, [...path, 'id'], `\`${id}\` is the id of a ${RESERVED_RULE_IDS.has(id) ? 'rule the engine reports itself' : 'built-in rule'}`, 'give your rule another id, or use `rule:` to configure the built-in one');
    }
    if (seen.has(id)) return void this.#error(PolicyErrorCode.duplicate, [...path, 'id'], `the rule id \`${id}\` is used twice`, 'give each custom rule its own id');
    seen.add(id);
    if (entry.when === undefined) return void this.#error(PolicyErrorCode.missingKey, path, `custom rule \`${id}\` has no \`when\``, 'add a CEL condition, e.g. `when: statement.kind == "delete"`');
    if (entry.params !== undefined) this.#warn([...path, 'params'], '`params` only configure built-in rules and are ignored here');
    const when = this.#condition(entry.when, [...path, 'when']);
    if (!when) return undefined;
    const action = entry.action ?? 'deny';
    return {
      id,
      action,
      when,
      grants: action === 'allow',
      ...this.#texts(entry),
      ...this.#obligations(entry, path),
      ...(entry.needsImpact ? { needsImpact: (request) => request.statement.readOnly !== true } : {}),
    };
  }

  #condition(expression: string, path: DataPath): CompiledRule['when'] {
    const compiled = compileCondition(expression);
    if ('condition' in compiled) return compiled.condition;
    const { kind, message, index } = compiled.problem;
    const at = this.#source.inString(path, index);
    this.#issues.push(
      locatedIssue(
        kind === 'syntax' ? PolicyErrorCode.celSyntax : PolicyErrorCode.celType,
        this.#source.file,
        at,
        `${kind === 'syntax' ? 'invalid' : 'ill-typed'} CEL condition: ${message}`,
        kind === 'syntax' ? 'check the CEL syntax: strings in double quotes, `&&`/`||`, `in` for lists' : 'see docs/policy.md for the request fields a condition can use and their types',
      ),
    );
    return undefined;
  }

  #texts(entry: RawRule): Pick<CompiledRule, 'message' | 'hint' | 'sqlstate'> {
    return {
      ...(entry.message !== undefined ? { message: entry.message } : {}),
      ...(entry.hint !== undefined ? { hint: entry.hint } : {}),
      ...(entry.sqlstate !== undefined ? { sqlstate: entry.sqlstate } : {}),
    };
  }

  #obligations(entry: RawRule, path: DataPath): Pick<CompiledRule, 'obligations'> {
    const raw = entry.obligations;
    if (!raw) return {};
    if (entry.action !== undefined && entry.action !== 'allow') {
      this.#warn([...path, 'obligations'], `obligations apply only when a rule allows; this rule's action is \`${entry.action}\``);
    }
    const obligations: Obligations = {};
    if (raw.mask) {
      obligations.mask = raw.mask.map((m) => ({ tags: m.tags ?? [], columns: m.columns ?? [], style: m.style ?? 'redact', ...(m.keep !== undefined ? { keep: m.keep } : {}) }));
      raw.mask.forEach((m, i) => {
        if (!m.tags?.length && !m.columns?.length) this.#error(PolicyErrorCode.missingKey, [...path, 'obligations', 'mask', i], 'a mask needs `tags` or `columns`');
      });
    }
    if (raw.maxResultRows) obligations.maxResultRows = { rows: raw.maxResultRows.rows, onExceed: raw.maxResultRows.onExceed ?? 'error' };
    if (raw.maxAffectedRows) {
      const m = raw.maxAffectedRows;
      if (m.rows === undefined && m.percent === undefined) {
        this.#error(PolicyErrorCode.missingKey, [...path, 'obligations', 'maxAffectedRows'], '`maxAffectedRows` needs `rows` or `percent`');
      }
      obligations.maxAffectedRows = {
        ...(m.rows !== undefined ? { rows: m.rows } : {}),
        ...(m.percent !== undefined ? { percent: m.percent } : {}),
        mode: m.mode ?? 'estimate',
        onUnknown: m.onUnknown ?? 'deny',
      };
    }
    if (raw.readOnly) obligations.readOnly = true;
    if (raw.requireReason) obligations.requireReason = true;
    return { obligations };
  }

  #scope(entry: RawRule, path: DataPath): Scope {
    const known = (names: string[] | undefined, at: DataPath) => {
      names?.forEach((name, i) => {
        if (!this.#actors.has(name)) {
          const guess = closest(name, this.#actors.keys());
          this.#error(PolicyErrorCode.unknownActor, [...at, i], `unknown actor \`${name}\``, guess ? `did you mean \`${guess}\`?` : 'define it under `actors:`');
        }
      });
      return names;
    };
    const set = <T>(values: T[] | undefined) => (values ? new Set(values) : undefined);
    const scope: Scope = {};
    const actors = set(known(entry.actors, [...path, 'actors']));
    if (actors) scope.actors = actors;
    if (entry.groups) scope.groups = new Set(entry.groups);
    if (entry.kinds) scope.kinds = new Set(entry.kinds);
    if (entry.environments) scope.environments = new Set(entry.environments);
    if (entry.except) {
      const except: NonNullable<Scope['except']> = {};
      const exceptActors = set(known(entry.except.actors, [...path, 'except', 'actors']));
      if (exceptActors) except.actors = exceptActors;
      if (entry.except.groups) except.groups = new Set(entry.except.groups);
      if (entry.except.kinds) except.kinds = new Set(entry.except.kinds);
      scope.except = except;
    }
    return scope;
  }

  #tests(): PolicyTestCase[] {
    return (this.#raw.tests ?? []).map((test, index) => {
      const path = ['tests', index];
      const at = this.#source.at(path);
      if (test.actor !== undefined && !this.#actors.has(test.actor)) {
        const guess = closest(test.actor, this.#actors.keys());
        this.#error(PolicyErrorCode.unknownActor, [...path, 'actor'], `unknown actor \`${test.actor}\``, guess ? `did you mean \`${guess}\`?` : 'define it under `actors:`, or leave `actor` out to test the anonymous actor');
      }
      if (test.now !== undefined && Number.isNaN(Date.parse(test.now))) {
        this.#error(PolicyErrorCode.invalidValue, [...path, 'now'], `\`${test.now}\` is not a timestamp`, 'write an ISO 8601 time, e.g. `2025-01-31T23:00:00Z`');
      }
      for (const [i, id] of (test.rules ?? []).entries()) {
        if (!this.#registry.has(id) && !RESERVED_RULE_IDS.has(id) && !(this.#raw.rules ?? []).some((r) => r.id === id)) {
          this.#error(PolicyErrorCode.unknownRule, [...path, 'rules', i], `unknown rule \`${id}\``, `rule ids come from the registry, \`rules:\` entries with \`id:\`, or the engine (${[...RESERVED_RULE_IDS].map((r) => `\`${r}\``).join(', ')})`);
        }
      }
      const { impact, name, ...rest } = test;
      return {
        ...rest,
        name: name ?? `tests[${index}]: ${test.sql.trim().split('\n')[0]!.slice(0, 60)}`,
        line: at.line,
        column: at.column,
        ...(impact ? { impact: { rows: impact.rows, mode: impact.mode ?? 'estimate', ...(impact.tableRows !== undefined ? { tableRows: impact.tableRows } : {}) } } : {}),
      };
    });
  }
}

/** The kind with the strictest baseline (ties: agent, pipeline, service, human). */
function mostRestricted(defaults: Readonly<Record<ActorKind, Action>>): ActorKind {
  let kind: ActorKind = RESTRICTION_ORDER[0]!;
  for (const candidate of RESTRICTION_ORDER) if (SEVERITY[defaults[candidate]] > SEVERITY[defaults[kind]]) kind = candidate;
  return kind;
}

