import { codedException } from '../../core/errors/app.exception.js';

export const PLUGINS_ERROR_HTTP = {
  plugin_not_found: 404,
  plugin_config_invalid: 400,
} as const;

export type PluginsErrorCode = keyof typeof PLUGINS_ERROR_HTTP;

export class PluginsException extends codedException(PLUGINS_ERROR_HTTP) {}
