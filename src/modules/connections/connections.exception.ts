import { codedException } from '../../core/errors/app.exception.js';

export const CONNECTIONS_ERROR_HTTP = {
  connection_not_found: 404,
  connection_name_taken: 409,
  project_not_found: 404,
  validation_failed: 400,
  forbidden: 403,
  oauth2_not_applicable: 409,
  oauth2_flow_invalid: 400,
  connection_not_authorized: 409,
} as const;

export type ConnectionsErrorCode = keyof typeof CONNECTIONS_ERROR_HTTP;

export class ConnectionsException extends codedException(CONNECTIONS_ERROR_HTTP) {}

export const connectionNotFound = (): ConnectionsException =>
  new ConnectionsException('connection_not_found', 'Connection not found');
export const connectionForbidden = (): ConnectionsException =>
  new ConnectionsException('forbidden', 'You do not have permission for this action on the connection');
