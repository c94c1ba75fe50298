/**
 * `@1mrc/core/internal`: pieces of the parser this repository's benchmarks time against the
 * naive code they replace. Not published (no `publishConfig` export), not a stable API.
 * @internal
 */
export { parseEventReference, validateEvent } from './parse-event.js';
