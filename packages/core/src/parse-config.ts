import type { z } from 'zod';
import { AppError } from './app-error.js';

/**
 * Validates an app's environment at boot. The error names every bad
 * variable, so a misconfigured deployment fails before it touches anything.
 */
export function parseConfig<T extends z.ZodType>(schema: T, env: Record<string, string | undefined>): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AppError('CONFIG.INVALID', `invalid configuration:\n${lines.join('\n')}`, {
      details: { variables: result.error.issues.map((i) => i.path.join('.')) },
    });
  }
  return result.data;
}
