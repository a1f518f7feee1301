/** Public API of embedding: the Nest module and its CORS preflight middleware (mounted before the router). */
export { EmbedModule } from './embed.module.js';
export { EmbedCors } from './embed-cors.js';
