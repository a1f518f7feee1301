/**
 * Public API of the connections module: the module, the runtime the engine uses to authenticate requests
 * (`ConnectionsRuntime.authFor`), its errors, the secret-resolver port the secrets module binds, and the entity.
 */
export { ConnectionsModule } from './connections.module.js';
export {
  ConnectionsRuntime,
  ConnectionUnavailableError,
  type ConnectionAuth,
  type ConnectionErrorCode,
} from './connections-runtime.js';
export { ConnectionsException, CONNECTIONS_ERROR_HTTP, type ConnectionsErrorCode } from './connections.exception.js';
export {
  CONNECTION_SECRET_RESOLVER,
  SecretUnavailableError,
  type ConnectionSecretResolver,
} from './secret-resolver.port.js';
export type { SecretReference, ResolveSecret } from './secret-refs.js';
export type { HttpCall } from './oauth2/token-client.js';
export { ConnectionEntity } from './connection.entity.js';
