import type { IncomingMessage } from 'node:http';
import { bodyError } from './body.js';

/**
 * Refuses a request that repeats a header which must appear once (credentials). Node keeps only the first
 * `Authorization` and joins repeats of other headers, so a repeat would be read one way here and perhaps another
 * way by a proxy in front: 400 instead of guessing. Mapped to the API's problem like body errors.
 */
export function assertSingleHeader(req: Pick<IncomingMessage, 'rawHeaders'>, name: string): void {
  const wanted = name.toLowerCase();
  let seen = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === wanted && ++seen > 1) {
      throw bodyError(400, 'header.duplicate', `the ${wanted} header appears more than once`);
    }
  }
}
