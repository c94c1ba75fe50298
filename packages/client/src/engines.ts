/** The two load engines behind `--engine`: the same LoadOptions in, the same LoadResult out. */
import { type LoadOptions, type LoadResult, runLoad } from './load.js';
import { runRawLoad } from './load-raw.js';

export const ENGINES = ['raw', 'undici'] as const;
export type EngineName = (typeof ENGINES)[number];
export const DEFAULT_ENGINE: EngineName = 'raw';

export function runEngine(engine: EngineName, options: LoadOptions): Promise<LoadResult> {
  return engine === 'raw' ? runRawLoad(options) : runLoad(options);
}
