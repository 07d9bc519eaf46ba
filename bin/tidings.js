#!/usr/bin/env node
// The `tidings` command: runs the TypeScript CLI through tsx's loader API, so the package
// needs no build step (root package.json "bin").
import { register } from 'tsx/esm/api';

register();
const { runCli, processIo } = await import('../daemon/src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), processIo());
