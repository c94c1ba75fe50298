#!/usr/bin/env node
// The `1mrc-challenge` command: the built CLI (dist/, made by `pnpm build` or present in the
// published package). A file of its own so that the command's link exists before any build.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
