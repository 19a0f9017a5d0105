/**
 * Node types that need no handling of their own: walking their children finds everything that
 * matters (function calls, subqueries, column and parameter references). A node type that is neither
 * here nor handled is "unclassified" and makes the statement's `readOnly` unknown.
 */
export const passiveNodeTypes: ReadonlySet<string> = new Set([
  // Values and names.
  'A_Const', 'Integer', 'Float', 'Boolean', 'String', 'BitString', 'List', 'A_Star', 'Alias', 'TypeName', 'RoleSpec',
  'ObjectWithArgs', 'AccessPriv', 'FunctionParameter', 'DefElem', 'CollateClause', 'RangeVar',
  // Expressions whose children are the whole story.
  'TypeCast', 'BoolExpr', 'NullTest', 'BooleanTest', 'SubLink', 'CaseExpr', 'CaseWhen', 'CoalesceExpr', 'MinMaxExpr',
  'RowExpr', 'A_ArrayExpr', 'A_Indirection', 'A_Indices', 'NamedArgExpr', 'SQLValueFunction', 'XmlExpr', 'XmlSerialize',
  'SetToDefault', 'CurrentOfExpr', 'GroupingFunc', 'GroupingSet', 'MultiAssignRef', 'ResTarget', 'SortBy', 'WindowDef',
  'MergeSupportFunc', 'CaseTestExpr',
  // SQL/JSON.
  'JsonFormat', 'JsonReturning', 'JsonValueExpr', 'JsonBehavior', 'JsonOutput', 'JsonArgument', 'JsonFuncExpr',
  'JsonTablePathSpec', 'JsonTableColumn', 'JsonKeyValue', 'JsonParseExpr', 'JsonScalarExpr', 'JsonSerializeExpr',
  'JsonObjectConstructor', 'JsonArrayConstructor', 'JsonArrayQueryConstructor', 'JsonAggConstructor', 'JsonObjectAgg',
  'JsonArrayAgg', 'JsonIsPredicate',
  // Parts of queries whose handlers read them directly.
  'WithClause', 'CommonTableExpr', 'CTESearchClause', 'CTECycleClause', 'OnConflictClause', 'InferClause',
  'MergeWhenClause', 'ReturningClause', 'ReturningOption', 'LockingClause', 'IntoClause', 'RangeSubselect',
  'RangeFunction', 'RangeTableFunc', 'RangeTableFuncCol', 'RangeTableSample', 'JoinExpr', 'TableSampleClause',
  // Parts of DDL and utility statements.
  'ColumnDef', 'Constraint', 'IndexElem', 'TableLikeClause', 'PartitionSpec', 'PartitionElem', 'PartitionBoundSpec',
  'PartitionRangeDatum', 'PartitionCmd', 'AlterTableCmd', 'ATAlterConstraint', 'ReplicaIdentityStmt', 'StatsElem',
  'PublicationObjSpec', 'PublicationTable', 'CreateOpClassItem', 'VacuumRelation', 'TriggerTransition',
  'InlineCodeBlock', 'CallContext',
]);
