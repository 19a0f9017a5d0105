/**
 * The pure core (analysis, policy, guard pipeline, wire codec) does no I/O: it must not import
 * sockets, files, processes, drivers or stores. Adapters at the edges (proxy, CLI, audit, MCP) do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const PURE_FOLDERS = ['src/sql', 'src/policy', 'src/guard', 'src/protocol'];
const FORBIDDEN = [
  /^(node:)?(net|tls|fs|fs\/promises|child_process|worker_threads|http|https|http2|dgram|cluster|readline)$/,
  /^(pg|postgres|better-sqlite3|@electric-sql\/.*|@modelcontextprotocol\/.*)$/,
];
// Pure folders may only reach other pure folders inside the project.
const FORBIDDEN_PROJECT = /\/(proxy|audit|lineage|embedded|mcp|cli|config|upstream)\//;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (path.endsWith('.ts')) out.push(path);
  }
  return out;
}

function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of source.matchAll(pattern)) specifiers.push((match[1] ?? match[2])!);
  return specifiers;
}

test('the pure core imports no I/O module and no edge adapter', () => {
  const root = process.cwd();
  const violations: string[] = [];
  for (const folder of PURE_FOLDERS) {
    let files: string[] = [];
    try {
      files = sourceFiles(join(root, folder));
    } catch {
      continue; // folder not created yet
    }
    for (const file of files) {
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        const bad = FORBIDDEN.some((re) => re.test(specifier)) || (specifier.startsWith('.') && FORBIDDEN_PROJECT.test(`/${specifier}/`));
        if (bad) violations.push(`${relative(root, file)} imports \`${specifier}\``);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('the import scanner sees the forms it must police', () => {
  const seen = importsOf(`import { a } from 'node:fs';\nexport * from "../proxy/x.js";\nconst m = await import('pg');`);
  assert.deepEqual(seen, ['node:fs', '../proxy/x.js', 'pg']);
});
