#!/usr/bin/env node
// The `1mrc-conformance` command: the built CLI (dist/, made by `pnpm build` or present in the
// published package), which runs on import. A file of its own so that the command's link exists
// before any build.
import '../dist/cli.js';
