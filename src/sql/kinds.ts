/**
 * A statement's kind: a lower-case, readable name (`select`, `insert`, `create-table`, `drop`, `set`,
 * `begin`…). Most come from the node name (`CreateSchemaStmt` → `create-schema`); the rest read a field.
 */
import { str, type Fields } from './ast.js';
import { objectKindOf } from './ddl-effect.js';
import { transactionOperation } from './utility.js';

const FIXED: Readonly<Record<string, string>> = {
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  MergeStmt: 'merge',
  CreateStmt: 'create-table',
  DropStmt: 'drop',
  TruncateStmt: 'truncate',
  RenameStmt: 'rename',
  IndexStmt: 'create-index',
  ViewStmt: 'create-view',
  RuleStmt: 'create-rule',
  CreateTrigStmt: 'create-trigger',
  CreateEventTrigStmt: 'create-event-trigger',
  AlterEventTrigStmt: 'alter-event-trigger',
  CreateSeqStmt: 'create-sequence',
  AlterSeqStmt: 'alter-sequence',
  CreatedbStmt: 'create-database',
  DropdbStmt: 'drop-database',
  CreateFdwStmt: 'create-foreign-data-wrapper',
  AlterFdwStmt: 'alter-foreign-data-wrapper',
  CreateForeignServerStmt: 'create-server',
  AlterForeignServerStmt: 'alter-server',
  CreatePLangStmt: 'create-language',
  CreateAmStmt: 'create-access-method',
  CreateStatsStmt: 'create-statistics',
  AlterStatsStmt: 'alter-statistics',
  CompositeTypeStmt: 'create-type',
  CreateEnumStmt: 'create-type',
  CreateRangeStmt: 'create-type',
  AlterEnumStmt: 'alter-type',
  CreateOpClassStmt: 'create-operator-class',
  CreateOpFamilyStmt: 'create-operator-family',
  AlterOpFamilyStmt: 'alter-operator-family',
  AlterTSDictionaryStmt: 'alter-text-search-dictionary',
  AlterTSConfigurationStmt: 'alter-text-search-configuration',
  VariableShowStmt: 'show',
  CopyStmt: 'copy',
  DoStmt: 'do',
  ExplainStmt: 'explain',
  PrepareStmt: 'prepare',
  ExecuteStmt: 'execute',
  DeallocateStmt: 'deallocate',
  CallStmt: 'call',
  LockStmt: 'lock',
  ListenStmt: 'listen',
  UnlistenStmt: 'unlisten',
  NotifyStmt: 'notify',
  DiscardStmt: 'discard',
  CheckPointStmt: 'checkpoint',
  ClusterStmt: 'cluster',
  ReindexStmt: 'reindex',
  LoadStmt: 'load',
  DeclareCursorStmt: 'declare-cursor',
  ClosePortalStmt: 'close-cursor',
  ConstraintsSetStmt: 'set-constraints',
  CommentStmt: 'comment',
  SecLabelStmt: 'security-label',
  GrantRoleStmt: 'grant-role',
  CreateRoleStmt: 'create-role',
  AlterRoleStmt: 'alter-role',
  AlterRoleSetStmt: 'alter-role-set',
  DropRoleStmt: 'drop-role',
  AlterOwnerStmt: 'alter-owner',
  ReassignOwnedStmt: 'reassign-owned',
  DropOwnedStmt: 'drop-owned',
  AlterSystemStmt: 'alter-system',
  AlterDatabaseSetStmt: 'alter-database-set',
  RefreshMatViewStmt: 'refresh-materialized-view',
  ReturnStmt: 'return',
};

type KindOf = (f: Fields) => string;

const BY_FIELD: Readonly<Record<string, KindOf>> = {
  SelectStmt: (f) => (f.intoClause ? 'select-into' : 'select'),
  VariableSetStmt: (f) => {
    switch (str(f.kind)) {
      case 'VAR_SET_MULTI':
        return str(f.name) === 'SESSION CHARACTERISTICS' ? 'set-session-characteristics' : 'set-transaction';
      case 'VAR_RESET':
      case 'VAR_RESET_ALL':
        return 'reset';
      default:
        return 'set';
    }
  },
  TransactionStmt: (f) => transactionOperation(f),
  GrantStmt: (f) => (f.is_grant ? 'grant' : 'revoke'),
  CreateTableAsStmt: (f) => `create-${objectKindOf(f.objtype)}-as`.replace('create-materialized-view-as', 'create-materialized-view'),
  AlterTableStmt: (f) => `alter-${objectKindOf(f.objtype)}`,
  DefineStmt: (f) => `create-${objectKindOf(f.kind)}`,
  FetchStmt: (f) => (f.ismove ? 'move' : 'fetch'),
  VacuumStmt: (f) => (f.is_vacuumcmd ? 'vacuum' : 'analyze'),
  AlterObjectSchemaStmt: (f) => `alter-${objectKindOf(f.objectType)}`,
  AlterFunctionStmt: (f) => `alter-${objectKindOf(f.objtype)}`,
  CreateFunctionStmt: (f) => (f.is_procedure ? 'create-procedure' : 'create-function'),
};

/** `CreateSchemaStmt` → `create-schema`, `AlterDomainStmt` → `alter-domain`. */
function fromNodeName(type: string): string {
  return type
    .replace(/Stmt$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

export function kindOf(type: string, fields: Fields): string {
  return FIXED[type] ?? BY_FIELD[type]?.(fields) ?? fromNodeName(type);
}
