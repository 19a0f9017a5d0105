/**
 * What the analyser says about SQL text. This file is the contract between the analyser and every
 * consumer (policy, proxy, audit, lineage, MCP): change it additively.
 *
 * Everything here is derived from libpg-query's AST, never from regular expressions over the text.
 */

/** `true` / `false` when known statically; `"unknown"` for opaque dynamic SQL or unknown user functions. */
export type ReadOnly = true | false | 'unknown';

/** A relation as written in the SQL, identifiers already unquoted / Unicode-unescaped. */
export interface RelationName {
  /** Database, when written as `db.schema.table`. */
  catalog?: string;
  /** Schema when written; absent means "resolve through search_path" (see `qualified`). */
  schema?: string;
  name: string;
  /** Whether a schema was written. Unqualified names are resolved later by a live catalog. */
  qualified: boolean;
}

/** Where in a statement something was found. */
export type Clause =
  | 'target' // SELECT list, RETURNING
  | 'from'
  | 'where'
  | 'join'
  | 'group'
  | 'having'
  | 'order'
  | 'values'
  | 'set' // UPDATE … SET
  | 'default' // column defaults, DDL expressions
  | 'other';

export type WriteOperation =
  | 'insert'
  | 'update'
  | 'delete'
  | 'merge'
  | 'upsert'
  | 'copy-from'
  | 'select-into'
  | 'create-table-as';

/** `none`: no WHERE at all; `tautology`: a WHERE that is trivially true (`1=1`, `true`, `id = id`, `x OR true`…). */
export type WhereState = 'none' | 'present' | 'tautology';

export type DdlOperation =
  | 'create'
  | 'alter'
  | 'drop'
  | 'truncate'
  | 'rename'
  | 'alter-drop-column'
  | 'comment'
  | 'refresh'
  | 'other';

export type PrivilegeOperation =
  | 'grant'
  | 'revoke'
  | 'grant-role'
  | 'revoke-role'
  | 'create-role'
  | 'alter-role'
  | 'drop-role'
  | 'set-role'
  | 'reset-role'
  | 'set-session-authorization'
  | 'alter-owner'
  | 'alter-default-privileges'
  | 'security-label'
  | 'create-policy'
  | 'alter-policy'
  | 'drop-policy';

export type ConfigOperation =
  | 'set'
  | 'reset'
  | 'reset-all'
  | 'set-config' // set_config() function call
  | 'alter-system'
  | 'alter-role-set'
  | 'alter-database-set'
  | 'set-transaction'
  | 'set-session-characteristics'
  | 'disable-trigger'
  | 'enable-trigger'
  | 'disable-rule'
  | 'row-security'; // ALTER TABLE … DISABLE/NO FORCE ROW LEVEL SECURITY

/**
 * Settings that change what Parapet relies on or switch off a safety mechanism.
 * `replication-role`: session_replication_role (disables triggers and FK checks);
 * `read-only`: default_transaction_read_only / transaction_read_only / `SET TRANSACTION READ WRITE`;
 * `standard-conforming-strings` and `client-encoding`: change how the server reads string literals;
 * `search-path`: can shadow builtins; `role`: SET role via GUC; `library`: which shared libraries a
 * session or the server loads (`session_preload_libraries`, `dynamic_library_path`…).
 */
export type SafetySwitch =
  | 'replication-role'
  | 'read-only'
  | 'standard-conforming-strings'
  | 'client-encoding'
  | 'search-path'
  | 'role'
  | 'session-authorization'
  | 'trigger'
  | 'row-security'
  | 'statement-timeout'
  | 'library';

export type TransactionOperation =
  | 'begin'
  | 'start'
  | 'commit'
  | 'rollback'
  | 'savepoint'
  | 'release'
  | 'rollback-to'
  | 'prepare-transaction'
  | 'commit-prepared'
  | 'rollback-prepared';

export type ExternalChannel = 'file' | 'program' | 'large-object' | 'network' | 'foreign-data' | 'extension' | 'load';

/** How a builtin function is classified; `unknown` is a user (or unrecognised) function. */
export type FunctionClass =
  | 'safe' // immutable/stable builtin, or volatile builtin without side effects (random, now…)
  | 'side-effect' // changes state: nextval, setval, pg_advisory_lock, pg_notify…
  | 'dangerous' // server-level danger: pg_terminate_backend, pg_reload_conf, replication slots…
  | 'file' // server file access: pg_read_file, pg_ls_dir…
  | 'large-object' // lo_import, lo_export, lo_*
  | 'network' // dblink*
  | 'dynamic-sql' // runs SQL from a string: query_to_xml, …
  | 'config' // set_config, current_setting is safe
  | 'unknown';

export type Volatility = 'immutable' | 'stable' | 'volatile';

/** Why the effect does not run now but later (a PREPARE body, a function body). */
export type Deferral = 'prepare' | 'function-body' | 'rule' | 'trigger';

interface EffectBase {
  /** Set when the effect belongs to SQL that runs later, not when this statement runs. */
  deferred?: Deferral;
  /** Set when the effect was found inside dynamic SQL (DO block or function body) rather than the statement itself. */
  via?: 'do-block' | 'function-body' | 'prepare' | 'explain-analyze' | 'rule' | 'sql-string' | 'explain';
}

export interface ReadEffect extends EffectBase {
  type: 'read';
  relation: RelationName;
  /** Columns referenced through this relation, where known; `*` for a star. */
  columns?: string[];
  /** Relation read through a function in FROM (`SELECT * FROM f()`) rather than a table/view. */
  viaFunction?: string;
}

export interface WriteEffect extends EffectBase {
  type: 'write';
  relation: RelationName;
  operation: WriteOperation;
  /** For update/delete (and merge's join condition): whether a WHERE exists and whether it is trivially true. */
  where?: WhereState;
  returning?: boolean;
  /** Target columns where known (INSERT column list, UPDATE SET list). */
  columns?: string[];
  /** Inside a (possibly nested) CTE of another statement. */
  inCte?: boolean;
}

export interface DdlEffect extends EffectBase {
  type: 'ddl';
  operation: DdlOperation;
  /** Lower-case object kind: table, view, materialized-view, index, schema, database, function, procedure, sequence, type, column, trigger, extension, role, … */
  objectKind: string;
  /** Object names as written, e.g. `public.users` or `users`. */
  names: string[];
  relation?: RelationName;
  cascade?: boolean;
  /** For alter-drop-column and column renames. */
  column?: string;
  ifExists?: boolean;
}

export interface PrivilegeEffect extends EffectBase {
  type: 'privilege';
  operation: PrivilegeOperation;
  /** Roles or objects concerned, as written. */
  targets: string[];
  /** GRANT/REVOKE: the privileges (`select`, `all`…) or, for role grants, nothing. */
  privileges?: string[];
  /** GRANT/REVOKE: who receives or loses them (`public` for PUBLIC). */
  grantees?: string[];
  /** Object kind of `targets` for GRANT/REVOKE/ALTER … OWNER (`table`, `schema`, `function`…). */
  objectKind?: string;
}

export interface ConfigEffect extends EffectBase {
  type: 'config';
  operation: ConfigOperation;
  /** Setting name, lower-cased (absent for RESET ALL, SET TRANSACTION …). */
  name?: string;
  /** Literal value(s) as text where static; absent when computed or a parameter. */
  value?: string;
  scope?: 'session' | 'local' | 'transaction' | 'system' | 'role' | 'database' | 'table';
  /** The role (ALTER ROLE … SET), database (ALTER DATABASE … SET) or table (triggers, row security) concerned. */
  target?: string;
  /** Safety switches this change touches. */
  safety?: SafetySwitch[];
}

export interface TransactionEffect extends EffectBase {
  type: 'transaction';
  operation: TransactionOperation;
  /** For BEGIN / START TRANSACTION / SET TRANSACTION: explicit READ ONLY (`true`) or READ WRITE (`false`). */
  readOnly?: boolean;
}

export interface ExternalEffect extends EffectBase {
  type: 'external';
  channel: ExternalChannel;
  /** read: data comes into the server (COPY FROM file, pg_read_file); write: leaves it (COPY TO file, lo_export); exec: runs something. */
  direction: 'read' | 'write' | 'exec' | 'connect' | 'install';
  /** File name, program, extension, library, function, server… as written (static literal) where known. */
  target?: string;
  /** The function that provides the access, when it is a function call. */
  function?: string;
}

export interface FunctionEffect extends EffectBase {
  type: 'function';
  /** Function name lower-cased as PostgreSQL resolves it; schema when written. */
  name: string;
  schema?: string;
  class: FunctionClass;
  volatility?: Volatility;
  clause: Clause;
  /** The call came from a user-defined operator (`a ### b`) rather than a function-call syntax. */
  operator?: string;
  /** Number of arguments at the call site. */
  argCount: number;
}

export interface DynamicSqlEffect extends EffectBase {
  type: 'dynamic-sql';
  source: 'do-block' | 'function-body' | 'execute-string' | 'sql-string-function' | 'rule';
  language: string;
  /** The SQL that will run cannot be seen statically (EXECUTE of a computed string, non-SQL languages). */
  opaque: boolean;
  detail?: string;
}

export interface PreparedEffect extends EffectBase {
  type: 'prepared';
  operation: 'prepare' | 'execute' | 'deallocate' | 'deallocate-all';
  name?: string;
}

export interface ExplainEffect extends EffectBase {
  type: 'explain';
  /** ANALYZE true runs the inner statement. */
  analyze: boolean;
}

export interface LockEffect extends EffectBase {
  type: 'lock';
  /** Row-level locking clause (FOR UPDATE …) or LOCK TABLE mode. */
  mode: string;
  relations: RelationName[];
}

/** A `$n` parameter in a position where its bound value decides what happens (`set_config($1, …)`, `pg_read_file($1)`). */
export interface SensitiveParameterEffect extends EffectBase {
  type: 'sensitive-parameter';
  parameter: number;
  function: string;
  /** Which effect class the bound value decides (e.g. `config`, `file`, `dynamic-sql`). */
  concern: string;
}

/** Session-level commands: DISCARD, LISTEN/NOTIFY, RESET ALL … that do not fit other classes. */
export interface SessionEffect extends EffectBase {
  type: 'session';
  operation: 'discard-all' | 'discard-plans' | 'discard-sequences' | 'discard-temp' | 'listen' | 'unlisten' | 'notify' | 'checkpoint' | 'vacuum' | 'analyze' | 'cluster' | 'reindex' | 'declare-cursor' | 'fetch' | 'close-cursor' | 'other';
  detail?: string;
}

export type Effect =
  | ReadEffect
  | WriteEffect
  | DdlEffect
  | PrivilegeEffect
  | ConfigEffect
  | TransactionEffect
  | ExternalEffect
  | FunctionEffect
  | DynamicSqlEffect
  | PreparedEffect
  | ExplainEffect
  | LockEffect
  | SensitiveParameterEffect
  | SessionEffect;

export type EffectType = Effect['type'];

/** A parse error, as PostgreSQL would report it. */
export interface AnalysisError {
  /** SQLSTATE: 42601 syntax error; 54001 statement too complex; 22021 invalid encoding; XX000 internal. */
  code: string;
  message: string;
  /** 1-based character position in the statement text, when known. */
  position?: number;
}

/** One statement of a text. */
export interface StatementAnalysis {
  /** 0-based index of the statement within the text. */
  index: number;
  /** The statement's own text (sliced by UTF-8 byte offsets from the parser). */
  sql: string;
  /** Character offsets of `sql` in the whole text. */
  start: number;
  end: number;
  /** Lower-case kind: select, insert, update, delete, merge, create-table, drop, set, begin, … (`unknown` on error). */
  kind: string;
  /** libpg-query node name, e.g. `SelectStmt`; absent on error. */
  node?: string;
  readOnly: ReadOnly;
  effects: Effect[];
  /** LIMIT: absent when none; a number when a constant; `'parameter'`/`'expression'` otherwise; `'all'` for LIMIT ALL. */
  limit?: number | 'parameter' | 'expression' | 'all';
  /** Highest `$n` referenced. */
  parameterCount: number;
  /** sqlcommenter tags (`/*key='value'*\/`), URL-decoded. Untrusted context, never rights. */
  tags: Record<string, string>;
  /** Literal-free fingerprint for grouping (libpg-query's). */
  fingerprint: string;
  error?: AnalysisError;
  /** Parse-tree node types the analyser does not know (then `readOnly` is `unknown`). */
  unclassified?: string[];
}

/** The analysis of a whole text (a simple-Query message may hold several statements). */
export interface Analysis {
  statements: StatementAnalysis[];
  /** Parse error of the text as a whole (then `statements` holds a single statement carrying it). */
  error?: AnalysisError;
}
