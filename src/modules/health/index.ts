/** Public API of the health module. */
export { HealthModule } from './health.module.js';
