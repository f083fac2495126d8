#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npx kafka-vpcep-link` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
// `… | head` closes stdout early: that is the reader's choice, not a crash.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import('../local/cli.ts');
process.exitCode = await main(process.argv);
