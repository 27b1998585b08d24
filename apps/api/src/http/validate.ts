import type { z } from 'zod';
import { AppError, isErrorCode, type ErrorCode } from '@wa-dispatch/core';

export interface IssueDetail {
  path: string;
  message: string;
}

export interface ValidateOptions {
  /** Code when issues disagree or carry no specific code. */
  generic: Extract<ErrorCode, `VALIDATION.${string}`>;
  /** Specific code per top-level field, e.g. { to: 'PHONE.INVALID' }. */
  fieldCodes?: Readonly<Record<string, ErrorCode>>;
}

// Some core schemas report their error code as the issue message.
const HUMAN: Partial<Record<ErrorCode, string>> = {
  'PHONE.INVALID': 'phone must be an international number with country code, 8-15 digits (e.g. "+55 11 91234-5678")',
};

function issueCode(issue: z.core.$ZodIssue, opts: ValidateOptions): ErrorCode {
  const params = (issue as { params?: { appCode?: unknown } }).params;
  if (isErrorCode(params?.appCode)) return params.appCode;
  if (isErrorCode(issue.message)) return issue.message;
  const field = issue.path[0];
  const byField = typeof field === 'string' ? opts.fieldCodes?.[field] : undefined;
  return byField ?? opts.generic;
}

/**
 * Parses untrusted input or throws a 4xx AppError. The details list paths
 * and zod's own messages only; zod 4 does not put the offending input in its
 * issues, so a phone number or message text is never echoed back.
 */
export function validate<T extends z.ZodType>(schema: T, input: unknown, opts: ValidateOptions): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const codes = new Set<ErrorCode>();
  const issues: IssueDetail[] = result.error.issues.slice(0, 20).map((issue) => {
    const code = issueCode(issue, opts);
    codes.add(code);
    const message = isErrorCode(issue.message) ? (HUMAN[issue.message] ?? issue.message) : issue.message;
    return { path: issue.path.map(String).join('.'), message: message.slice(0, 300) };
  });
  const [only] = codes;
  const code = codes.size === 1 && only !== undefined ? only : opts.generic;
  const first = issues[0];
  const summary = first ? `${first.path || '(root)'}: ${first.message}` : 'invalid input';
  throw new AppError(code, `${labelFor(opts.generic)} is invalid: ${summary}`, { details: { issues } });
}

function labelFor(generic: ValidateOptions['generic']): string {
  if (generic === 'VALIDATION.INVALID_QUERY') return 'query';
  if (generic === 'VALIDATION.INVALID_PARAM') return 'parameter';
  return 'body';
}
