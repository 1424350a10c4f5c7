import type { z } from 'zod';
import { CoordinatorError } from '../codes.js';

/** Validates a request part against its schema; REQUEST_INVALID listing every issue otherwise. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  throw new CoordinatorError('REQUEST_INVALID', `invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { detail: { issues } });
}
