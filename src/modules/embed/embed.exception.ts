import { codedException } from '../../core/errors/app.exception.js';

export const EMBED_ERROR_HTTP = {
  embed_key_not_found: 404,
  embed_key_invalid: 400,
  embed_kid_taken: 409,
  embed_token_refused: 401,
  forbidden: 403,
} as const;

export type EmbedErrorCode = keyof typeof EMBED_ERROR_HTTP;

export class EmbedException extends codedException(EMBED_ERROR_HTTP) {}
