/**
 * Errors of the configuration file as values with stable codes. Loading never throws on bad input:
 * it returns issues, each naming the file, line and column.
 */

export const ConfigErrorCode = {
  /** The file cannot be read. */
  read: 'config.read',
  /** The text is not valid YAML. */
  yaml: 'config.yaml',
  /** A key the format does not know (a typo must never silently change what Parapet does). */
  unknownKey: 'config.unknown-key',
  /** A required key is missing. */
  missingKey: 'config.missing-key',
  /** A value of the wrong type or outside its allowed set. */
  invalidValue: 'config.invalid-value',
  /** An `env:VAR` reference to a variable that is not set. */
  missingEnv: 'config.missing-env',
} as const;

export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/** One problem in a configuration file (or flag, or environment variable), located where possible. */
export interface ConfigIssue {
  code: ConfigErrorCode;
  /** File name, or `--flag` / `$VARIABLE` for values that came from elsewhere. */
  file: string;
  /** 1-based line and column; 0 when the value did not come from a file. */
  line: number;
  column: number;
  /** What is wrong: lowercase, user input in backticks. */
  message: string;
  hint?: string;
}

/** `file:line:col: error: message` (or `--flag: error: …`) followed by an indented hint. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  const head = `${where}: error: ${issue.message}`;
  return issue.hint ? `${head}\n  hint: ${issue.hint}` : head;
}

/** Thrown by the loaders' `…OrThrow` variants; carries every issue. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatConfigIssue).join('\n'));
  }
}
