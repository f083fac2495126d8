#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npx kafka-vpcep-link` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../local/cli.ts');
process.exitCode = await main(process.argv);
