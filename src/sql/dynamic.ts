/**
 * Code that a statement brings with it: DO blocks (run now) and CREATE FUNCTION/PROCEDURE bodies
 * (run later: their effects are deferred). PL/pgSQL is parsed with libpg-query's PL/pgSQL parser,
 * `LANGUAGE sql` with the SQL parser (BEGIN ATOMIC bodies come parsed already); any other language is
 * opaque.
 */
import { defElemText, defElems, list, names, nodeType, str, stringValue, type Fields } from './ast.js';
import type { Analyzer, Handler, WalkState } from './analyzer.js';
import { ddl } from './ddl-effect.js';
import { analyzeNestedSql } from './nested.js';
import { parsePlpgsql } from './parser.js';
import { walkPlpgsql } from './plpgsql.js';
import type { DynamicSqlEffect } from './types.js';

function option(options: unknown, name: string): Fields | undefined {
  return defElems(options).find((d) => d.defname === name);
}

/** Analyses a PL/pgSQL DO block or function from its statement text. */
function plpgsqlBody(a: Analyzer, changes: Partial<WalkState>, source: DynamicSqlEffect['source']): void {
  const parsed = parsePlpgsql(a.state.source);
  a.with(changes, () =>
    a.add(
      parsed.ok
        ? { type: 'dynamic-sql', source, language: 'plpgsql', opaque: false }
        : { type: 'dynamic-sql', source, language: 'plpgsql', opaque: true, detail: parsed.error.message },
    ),
  );
  if (parsed.ok) walkPlpgsql(parsed.value, a, changes, source);
}

function doStmt(f: Fields, a: Analyzer): void {
  // The body is a string literal: another body is another analysis.
  a.readsLiteral();
  const languageOption = option(f.args, 'language');
  const language = (languageOption ? defElemText(languageOption) : undefined)?.toLowerCase() ?? 'plpgsql';
  const changes: Partial<WalkState> = { via: 'do-block' };
  if (language === 'plpgsql') return plpgsqlBody(a, changes, 'do-block');
  a.with(changes, () => a.add({ type: 'dynamic-sql', source: 'do-block', language, opaque: true }));
}

/** BEGIN ATOMIC … END and RETURN expr bodies: already parsed, nested in lists. */
function sqlBody(body: unknown, a: Analyzer, changes: Partial<WalkState>): void {
  const type = nodeType(body);
  if (type === 'List' || Array.isArray(body)) {
    for (const item of list(body)) sqlBody(item, a, changes);
  } else if (type !== undefined) {
    a.statement(body, { ...changes, top: false });
  }
}

function createFunctionStmt(f: Fields, a: Analyzer): void {
  const name = names(f.funcname).join('.');
  const objectKind = f.is_procedure ? 'procedure' : 'function';
  ddl(a, 'create', objectKind, [name]);
  a.expr(f.parameters, 'default');
  const languageOption = option(f.options, 'language');
  const language = (languageOption ? defElemText(languageOption) : undefined)?.toLowerCase() ?? 'sql';
  const asOption = option(f.options, 'as');
  const changes: Partial<WalkState> = { via: 'function-body', deferred: 'function-body' };
  if (f.sql_body) {
    a.with(changes, () => a.add({ type: 'dynamic-sql', source: 'function-body', language: 'sql', opaque: false }));
    sqlBody(f.sql_body, a, changes);
    return;
  }
  // The body is a string literal.
  a.readsLiteral();
  const parts = list(asOption?.arg).map((p) => stringValue(p) ?? '');
  const body = parts[0] ?? (asOption ? defElemText(asOption) : undefined);
  if (language === 'plpgsql') return plpgsqlBody(a, changes, 'function-body');
  if (language === 'sql' && body !== undefined) {
    a.with(changes, () => a.add({ type: 'dynamic-sql', source: 'function-body', language: 'sql', opaque: false }));
    analyzeNestedSql(body, a, changes, 'function-body');
    return;
  }
  if (language === 'c') {
    // LANGUAGE C loads a shared library into the server.
    a.add({ type: 'external', channel: 'load', direction: 'install', ...(body !== undefined ? { target: body } : {}) });
  }
  a.with(changes, () =>
    a.add({ type: 'dynamic-sql', source: 'function-body', language, opaque: true, ...(str(parts[1]) ? { detail: parts[1] } : {}) }),
  );
}

export const dynamicHandlers: Readonly<Record<string, Handler>> = {
  DoStmt: doStmt,
  CreateFunctionStmt: createFunctionStmt,
};
