/** The function bundles the local runtime loads: built on demand when missing. */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Io } from './common.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function ensureBundles(io: Io): Promise<void> {
  const functions = readdirSync(join(REPO_ROOT, 'functions')).filter((n) =>
    existsSync(join(REPO_ROOT, 'functions', n, 'handler.ts')),
  );
  const missing = functions.filter((n) => !existsSync(join(REPO_ROOT, 'dist', 'functions', n, 'index.js')));
  if (missing.length === 0) return;
  io.err(`building function bundles (${missing.join(', ')} missing)…`);
  const { buildFunctions } = (await import(join(REPO_ROOT, 'scripts', 'build.mjs'))) as {
    buildFunctions: (o: { quiet: boolean }) => Promise<unknown>;
  };
  await buildFunctions({ quiet: true });
}
