/**
 * Errors of the policy subsystem as values with stable codes. Loading a policy or a secrets file
 * never throws on bad input: it returns issues, each naming the file, line and column.
 */

export const PolicyErrorCode = {
  /** The file cannot be read (missing, unreadable). */
  read: 'policy.read',
  /** The text is not valid YAML. */
  yaml: 'policy.yaml',
  /** A key the format does not know (a typo must never silently weaken a policy). */
  unknownKey: 'policy.unknown-key',
  /** A required key is missing. */
  missingKey: 'policy.missing-key',
  /** A value of the wrong type or outside its allowed set. */
  invalidValue: 'policy.invalid-value',
  /** A rule id that is neither built in nor defined by the file. */
  unknownRule: 'policy.unknown-rule',
  /** Parameters that do not fit the rule's parameter schema. */
  ruleParams: 'policy.rule-params',
  /** A CEL condition that does not parse. */
  celSyntax: 'policy.cel-syntax',
  /** A CEL condition that does not type-check against the request (e.g. a wrong field name). */
  celType: 'policy.cel-type',
  /** A name defined twice, or a custom rule reusing a built-in or reserved id. */
  duplicate: 'policy.duplicate',
  /** A reference to an actor that the file does not define. */
  unknownActor: 'policy.unknown-actor',
  /** The secrets file is malformed or names a missing environment variable. */
  secrets: 'policy.secrets',
} as const;

export type PolicyErrorCode = (typeof PolicyErrorCode)[keyof typeof PolicyErrorCode];

/** One problem found in a policy (or secrets) file, located to the character. */
export interface PolicyIssue {
  code: PolicyErrorCode;
  /** File name as given by the caller (`<inline>` for text without a file). */
  file: string;
  /** 1-based line and column. */
  line: number;
  column: number;
  /** What is wrong, lowercase, user input in backticks. */
  message: string;
  /** What was expected or how to fix it. */
  hint?: string;
  severity: 'error' | 'warning';
}

/** `file:line:col: error: message` followed by an indented hint: how the CLI prints an issue. */
export function formatIssue(issue: PolicyIssue): string {
  const head = `${issue.file}:${issue.line}:${issue.column}: ${issue.severity}: ${issue.message}`;
  return issue.hint ? `${head}\n  hint: ${issue.hint}` : head;
}
