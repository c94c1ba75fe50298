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
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/pack/**'],
          sequence: { groupOrder: 0 },
        },
      },
      // Packing and installing builds every package and runs npm and tsc: CPU the hostile tests'
      // cut-off checks would miss on two cores, so it runs on its own, after them.
      {
        extends: true,
        test: { name: 'pack', include: ['test/pack/**/*.test.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
