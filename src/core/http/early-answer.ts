/**
 * A response decided before the route's handler ran (a plugin's `onRequest` answering early). The global exception
 * filter writes it exactly as given; it is not an error and is never logged as one.
 */
export class EarlyAnswer extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: unknown,
  ) {
    super('answered early');
    this.name = 'EarlyAnswer';
  }
}
