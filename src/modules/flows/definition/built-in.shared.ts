import type { NumberSchema, ObjectSchema } from './param-schema.js';

/** Edge handle names (branch handles, loop `each`/`done`). */
export const HANDLE_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

/** RFC 9110 token, the syntax of an HTTP header name. */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$";

export const int = (minimum: number, maximum: number, description?: string): NumberSchema => ({
  kind: 'integer',
  minimum,
  maximum,
  description,
});

/** Header name → value (or expression); the whole map may also be one expression. */
export const headersSchema: ObjectSchema = {
  kind: 'object',
  additional: { kind: 'string', maxLength: 16 * 1024 },
  keyPattern: HEADER_NAME_PATTERN,
  maxProperties: 100,
  expression: true,
  description: 'Header name → value or expression',
};
