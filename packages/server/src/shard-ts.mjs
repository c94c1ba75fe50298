// Worker entry when running from source: a worker does not inherit the parent's tsx hooks,
// so it registers tsx itself before loading the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./shard-entry.ts');
