import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against `src`: every workspace package's `source` export becomes an alias,
// so no build step stands between an edit and a test run.
const root = fileURLToPath(new URL('.', import.meta.url));
const alias: Record<string, string> = {};
for (const dir of readdirSync(`${root}packages`)) {
  const pkg = JSON.parse(readFileSync(`${root}packages/${dir}/package.json`, 'utf8'));
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const source = (target as { source?: string }).source;
    if (source) alias[`${pkg.name}${subpath.slice(1)}`] = `${root}packages/${dir}/${source.slice(2)}`;
  }
}

export default defineConfig({
  resolve: {
    // Longest names first so `@1mrc/core/http` wins over `@1mrc/core`.
    alias: Object.entries(alias)
      .sort(([a], [b]) => b.length - a.length)
      .map(([find, replacement]) => ({ find: new RegExp(`^${find}$`), replacement })),
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
