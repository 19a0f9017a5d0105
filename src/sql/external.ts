/**
 * Access beyond the database's own tables: COPY to/from server files and programs, LOAD, extensions,
 * foreign data wrappers (servers, user mappings, foreign tables, IMPORT FOREIGN SCHEMA), subscriptions
 * and tablespaces (a directory on the server).
 */
import { names, relationOf, relationText, roleName, str, type Fields } from './ast.js';
import type { Analyzer, Handler } from './analyzer.js';
import { ddl } from './ddl-effect.js';
import type { ExternalEffect } from './types.js';

function external(a: Analyzer, channel: ExternalEffect['channel'], direction: ExternalEffect['direction'], target?: string): void {
  a.add(target === undefined ? { type: 'external', channel, direction } : { type: 'external', channel, direction, target });
}

function copyStmt(f: Fields, a: Analyzer): void {
  const rv = f.relation as Fields | undefined;
  const relation = rv ? relationOf(rv) : undefined;
  const columns = names(f.attlist);
  const filename = str(f.filename);
  // libpg-query omits empty strings: `TO ''` looks like `TO STDOUT`, so any COPY depends on its literal.
  a.readsLiteral();
  const from = f.is_from === true;
  if (filename !== undefined) {
    if (f.is_program) external(a, 'program', 'exec', filename);
    else external(a, 'file', from ? 'read' : 'write', filename);
  }
  if (from) {
    if (relation) a.add({ type: 'write', relation, operation: 'copy-from', ...(columns.length ? { columns } : {}) });
    a.expr(f.whereClause, 'where');
  } else if (relation) {
    a.add({ type: 'read', relation, columns: columns.length ? columns : ['*'] });
  } else {
    a.query(f.query);
  }
}

function createExtension(f: Fields, a: Analyzer): void {
  const name = str(f.extname) ?? '';
  ddl(a, 'create', 'extension', [name]);
  external(a, 'extension', 'install', name);
}

function serverName(f: Fields): string {
  return str(f.servername) ?? str(f.server_name) ?? '';
}

export const externalHandlers: Readonly<Record<string, Handler>> = {
  CopyStmt: copyStmt,
  LoadStmt: (f, a) => {
    a.readsLiteral();
    external(a, 'load', 'exec', str(f.filename));
  },
  CreateExtensionStmt: createExtension,
  AlterExtensionStmt: (f, a) => {
    // ALTER EXTENSION … UPDATE runs the extension's update scripts.
    ddl(a, 'alter', 'extension', [str(f.extname) ?? '']);
    external(a, 'extension', 'install', str(f.extname));
  },
  CreatePLangStmt: (f, a) => {
    ddl(a, 'create', 'language', [str(f.plname) ?? '']);
    external(a, 'extension', 'install', str(f.plname));
  },
  CreateFdwStmt: (f, a) => {
    ddl(a, 'create', 'foreign-data-wrapper', [str(f.fdwname) ?? '']);
    external(a, 'foreign-data', 'install', str(f.fdwname));
  },
  AlterFdwStmt: (f, a) => {
    ddl(a, 'alter', 'foreign-data-wrapper', [str(f.fdwname) ?? '']);
    external(a, 'foreign-data', 'install', str(f.fdwname));
  },
  CreateForeignServerStmt: (f, a) => {
    ddl(a, 'create', 'server', [serverName(f)]);
    external(a, 'foreign-data', 'connect', serverName(f));
  },
  AlterForeignServerStmt: (f, a) => {
    ddl(a, 'alter', 'server', [serverName(f)]);
    external(a, 'foreign-data', 'connect', serverName(f));
  },
  CreateForeignTableStmt: (f, a) => {
    const base = f.base as Fields;
    const relation = relationOf(base.relation as Fields);
    ddl(a, 'create', 'foreign-table', [relationText(relation)], { relation });
    external(a, 'foreign-data', 'connect', serverName(f));
    a.expr([base.tableElts, base.constraints], 'default');
  },
  CreateUserMappingStmt: (f, a) => {
    ddl(a, 'create', 'user-mapping', [`${roleName(f.user) ?? ''}@${serverName(f)}`]);
    external(a, 'foreign-data', 'connect', serverName(f));
  },
  AlterUserMappingStmt: (f, a) => {
    ddl(a, 'alter', 'user-mapping', [`${roleName(f.user) ?? ''}@${serverName(f)}`]);
    external(a, 'foreign-data', 'connect', serverName(f));
  },
  DropUserMappingStmt: (f, a) => {
    ddl(a, 'drop', 'user-mapping', [`${roleName(f.user) ?? ''}@${serverName(f)}`], { ifExists: f.missing_ok === true });
  },
  ImportForeignSchemaStmt: (f, a) => {
    ddl(a, 'create', 'foreign-table', [`${str(f.local_schema) ?? ''}.*`]);
    external(a, 'foreign-data', 'read', `${serverName(f)}:${str(f.remote_schema) ?? ''}`);
  },
  CreateSubscriptionStmt: (f, a) => {
    ddl(a, 'create', 'subscription', [str(f.subname) ?? '']);
    a.readsLiteral();
    external(a, 'network', 'connect', str(f.conninfo));
  },
  CreateTableSpaceStmt: (f, a) => {
    ddl(a, 'create', 'tablespace', [str(f.tablespacename) ?? '']);
    a.readsLiteral();
    external(a, 'file', 'write', str(f.location));
  },
};
