/**
 * DDL: CREATE / ALTER / DROP / TRUNCATE / RENAME / COMMENT / REFRESH of every object kind. Expressions
 * stored in DDL (defaults, CHECK constraints, index expressions) are walked too: ALTER TABLE … ADD
 * COLUMN … DEFAULT f() runs f for every existing row.
 */
import { as, list, names, qualifiedName, relationOf, relationText, roleName, str, type Fields } from './ast.js';
import type { Analyzer, Handler } from './analyzer.js';
import { alterTableStmt } from './alter-table.js';
import { RELATION_KINDS, ddl, objectKindOf, objectName, relationFromNames } from './ddl-effect.js';
import { functionEffect } from './functions.js';
import type { DdlOperation, RelationName } from './types.js';

function dropStmt(f: Fields, a: Analyzer): void {
  const objectKind = objectKindOf(f.removeType);
  const cascade = str(f.behavior) === 'DROP_CASCADE';
  const ifExists = f.missing_ok === true;
  const relational = RELATION_KINDS.has(objectKind);
  for (const object of list(f.objects)) {
    const parts = as(object, 'List') ? names(object) : [objectName(object)];
    const name = parts.join('.');
    const extra: Parameters<typeof ddl>[4] = { cascade, ifExists };
    if (relational) extra.relation = relationFromNames(parts);
    ddl(a, 'drop', objectKind, [name], extra);
    if (objectKind === 'policy') a.add({ type: 'privilege', operation: 'drop-policy', targets: [name] });
  }
}

function truncateStmt(f: Fields, a: Analyzer): void {
  const cascade = str(f.behavior) === 'DROP_CASCADE';
  for (const r of list(f.relations)) {
    const rv = as(r, 'RangeVar');
    if (!rv) continue;
    const relation = relationOf(rv);
    ddl(a, 'truncate', 'table', [relationText(relation)], { relation, cascade });
  }
}

function createStmt(f: Fields, a: Analyzer, objectKind = 'table'): void {
  const rv = f.relation as Fields;
  const relation = relationOf(rv);
  ddl(a, 'create', objectKind, [relationText(relation)], { relation });
  a.expr([f.tableElts, f.constraints, f.partbound, f.partspec, f.options], 'default');
}

function createTableAsStmt(f: Fields, a: Analyzer): void {
  const into = f.into as Fields;
  const relation = relationOf(into.rel as Fields);
  const objectKind = objectKindOf(f.objtype);
  ddl(a, 'create', objectKind, [relationText(relation)], { relation });
  if (!into.skipData) a.add({ type: 'write', relation, operation: 'create-table-as' });
  a.query(f.query);
}

function renameStmt(f: Fields, a: Analyzer): void {
  const renameType = str(f.renameType);
  const rv = f.relation as Fields | undefined;
  const relation = rv ? relationOf(rv) : undefined;
  const objectKind = objectKindOf(renameType === 'OBJECT_COLUMN' || renameType === 'OBJECT_TABCONSTRAINT' ? f.relationType : renameType);
  const name = relation ? relationText(relation) : objectName(f.object);
  const column = renameType === 'OBJECT_COLUMN' ? str(f.subname) : undefined;
  ddl(a, 'rename', objectKind, [name], { ...(relation ? { relation } : {}), ...(column !== undefined ? { column } : {}) });
}

function indexStmt(f: Fields, a: Analyzer): void {
  const relation = relationOf(f.relation as Fields);
  const idx = str(f.idxname);
  ddl(a, 'create', 'index', [idx ?? relationText(relation)], { relation });
  a.expr([f.indexParams, f.indexIncludingParams, f.whereClause], 'default');
}

function viewStmt(f: Fields, a: Analyzer): void {
  const relation = relationOf(f.view as Fields);
  ddl(a, 'create', 'view', [relationText(relation)], { relation });
  // The view's query runs when the view is read: its effects are deferred, as a rule's are.
  a.statement(f.query, { via: 'rule', deferred: 'rule', top: false });
}

function ruleStmt(f: Fields, a: Analyzer): void {
  const relation = relationOf(f.relation as Fields);
  ddl(a, 'create', 'rule', [str(f.rulename) ?? ''], { relation });
  a.add({ type: 'dynamic-sql', source: 'rule', language: 'sql', opaque: false });
  a.with({ via: 'rule', deferred: 'rule' }, () => {
    a.expr(f.whereClause, 'where');
    for (const action of list(f.actions)) a.statement(action, { top: false });
  });
}

function createTrigStmt(f: Fields, a: Analyzer): void {
  const relation = relationOf(f.relation as Fields);
  ddl(a, 'create', 'trigger', [str(f.trigname) ?? ''], { relation });
  a.with({ deferred: 'trigger' }, () => {
    a.expr(f.whenClause, 'where');
    const { schema, name } = qualifiedName(names(f.funcname));
    functionEffect(name, schema, list(f.args).length, a);
  });
}

function createSchemaStmt(f: Fields, a: Analyzer): void {
  ddl(a, 'create', 'schema', [str(f.schemaname) ?? roleName(f.authrole) ?? '']);
  for (const element of list(f.schemaElts)) a.statement(element, { top: false });
}

function commentStmt(f: Fields, a: Analyzer): void {
  ddl(a, 'comment', objectKindOf(f.objtype), [objectName(f.object)]);
}

function refreshStmt(f: Fields, a: Analyzer): void {
  const relation = relationOf(f.relation as Fields);
  ddl(a, 'refresh', 'materialized-view', [relationText(relation)], { relation });
}

/** Fields that hold the object's name, in the order they are looked for. */
const NAME_FIELDS = [
  'relation', 'sequence', 'typevar', 'domainname', 'typeName', 'defnames', 'funcname', 'func', 'extname', 'fdwname',
  'servername', 'trigname', 'tablespacename', 'pubname', 'subname', 'conversion_name', 'opclassname', 'opfamilyname',
  'amname', 'plname', 'dbname', 'collname', 'dictname', 'cfgname', 'object', 'objname', 'name', 'schemaname',
] as const;

function genericName(f: Fields): { name: string; relation?: RelationName } {
  for (const field of NAME_FIELDS) {
    const v = f[field];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') return { name: v };
    if (field === 'relation' || field === 'sequence' || field === 'typevar') {
      const relation = relationOf(v as Fields);
      return { name: relationText(relation), relation };
    }
    if (field === 'func') return { name: names((v as Fields).objname).join('.') };
    if (Array.isArray(v)) return { name: names(v).join('.') };
    const name = objectName(v) || names((v as Fields).names).join('.');
    if (name) return { name };
  }
  return { name: '' };
}

/** A DDL statement that needs nothing but its kind, operation and name (and a walk of its expressions). */
function simple(operation: DdlOperation, objectKind: string | ((f: Fields) => string)): Handler {
  return (f, a) => {
    const { name, relation } = genericName(f);
    const kind = typeof objectKind === 'string' ? objectKind : objectKind(f);
    ddl(a, operation, kind, [name], relation ? { relation } : {});
    a.expr(f, 'default');
  };
}

const byField = (field: string) => (f: Fields) => objectKindOf(f[field]);

export const ddlHandlers: Readonly<Record<string, Handler>> = {
  CreateStmt: (f, a) => createStmt(f, a),
  CreateTableAsStmt: createTableAsStmt,
  DropStmt: dropStmt,
  TruncateStmt: truncateStmt,
  AlterTableStmt: alterTableStmt,
  RenameStmt: renameStmt,
  IndexStmt: indexStmt,
  ViewStmt: viewStmt,
  RuleStmt: ruleStmt,
  CreateTrigStmt: createTrigStmt,
  CreateSchemaStmt: createSchemaStmt,
  CommentStmt: commentStmt,
  RefreshMatViewStmt: refreshStmt,
  CreateSeqStmt: simple('create', 'sequence'),
  AlterSeqStmt: simple('alter', 'sequence'),
  CreateDomainStmt: simple('create', 'domain'),
  AlterDomainStmt: simple('alter', 'domain'),
  CompositeTypeStmt: simple('create', 'type'),
  CreateEnumStmt: simple('create', 'type'),
  CreateRangeStmt: simple('create', 'type'),
  AlterEnumStmt: simple('alter', 'type'),
  AlterTypeStmt: simple('alter', 'type'),
  DefineStmt: simple('create', byField('kind')),
  CreateEventTrigStmt: (f, a) => {
    ddl(a, 'create', 'event-trigger', [str(f.trigname) ?? '']);
    const { schema, name } = qualifiedName(names(f.funcname));
    a.with({ deferred: 'trigger' }, () => functionEffect(name, schema, 0, a));
  },
  CreateCastStmt: simple('create', 'cast'),
  CreateConversionStmt: simple('create', 'conversion'),
  CreateTransformStmt: simple('create', 'transform'),
  CreateOpClassStmt: simple('create', 'operator-class'),
  CreateOpFamilyStmt: simple('create', 'operator-family'),
  AlterOpFamilyStmt: simple('alter', 'operator-family'),
  CreateAmStmt: simple('create', 'access-method'),
  CreateStatsStmt: simple('create', 'statistics'),
  AlterStatsStmt: simple('alter', 'statistics'),
  CreatePublicationStmt: simple('create', 'publication'),
  AlterPublicationStmt: simple('alter', 'publication'),
  AlterSubscriptionStmt: simple('alter', 'subscription'),
  DropSubscriptionStmt: simple('drop', 'subscription'),
  CreatedbStmt: simple('create', 'database'),
  AlterDatabaseStmt: simple('alter', 'database'),
  AlterDatabaseRefreshCollStmt: simple('alter', 'database'),
  DropdbStmt: (f, a) => ddl(a, 'drop', 'database', [str(f.dbname) ?? ''], { ifExists: f.missing_ok === true }),
  DropTableSpaceStmt: (f, a) => ddl(a, 'drop', 'tablespace', [str(f.tablespacename) ?? ''], { ifExists: f.missing_ok === true }),
  AlterTableSpaceOptionsStmt: simple('alter', 'tablespace'),
  AlterTableMoveAllStmt: simple('alter', byField('objtype')),
  AlterObjectSchemaStmt: simple('alter', byField('objectType')),
  AlterObjectDependsStmt: simple('alter', byField('objectType')),
  AlterFunctionStmt: simple('alter', byField('objtype')),
  AlterOperatorStmt: simple('alter', 'operator'),
  AlterCollationStmt: simple('alter', 'collation'),
  AlterTSDictionaryStmt: simple('alter', 'text-search-dictionary'),
  AlterTSConfigurationStmt: simple('alter', 'text-search-configuration'),
  AlterExtensionContentsStmt: simple('alter', 'extension'),
  AlterEventTrigStmt: (f, a) => {
    ddl(a, 'alter', 'event-trigger', [str(f.trigname) ?? '']);
    if (str(f.tgenabled) === 'D') {
      a.add({ type: 'config', operation: 'disable-trigger', name: str(f.trigname) ?? '', scope: 'database', safety: ['trigger'] });
    }
  },
  DropOwnedStmt: (f, a) => {
    ddl(a, 'drop', 'owned', list(f.roles).map((r) => roleName(r) ?? ''), { cascade: str(f.behavior) === 'DROP_CASCADE' });
  },
  ReturnStmt: (f, a) => a.expr(f.returnval, 'target'),
};
