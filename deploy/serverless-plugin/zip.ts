/**
 * Code packages for FunctionGraph: one zip per function with the bundle's files at the zip root
 * (`index.js`, so the handler `index.handler` resolves), as the service expects.
 *
 * fflate writes the archive: small, dependency-free and synchronous. Every entry gets the same
 * timestamp and entries are sorted, so the same bundle always gives the same bytes: the deployer can
 * then compare digests and skip uploading code that did not change.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { unzipSync, type Zippable, zipSync } from 'fflate';

/** 1980-01-01, the earliest time a zip entry can carry: a fixed value keeps archives reproducible. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

export class CodePackageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodePackageError';
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Zips every file under `dir`, paths relative to it (so `dir/index.js` is `index.js` in the zip). */
export function zipDirectory(dir: string): Buffer {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(dir);
  } catch (error) {
    throw new CodePackageError(`no bundle directory ${dir}`, { cause: error });
  }
  if (!stats.isDirectory()) throw new CodePackageError(`${dir} is not a directory`);
  const files = listFiles(dir)
    .map((path) => ({ path, name: relative(dir, path).split(sep).join('/') }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (files.length === 0) throw new CodePackageError(`${dir} is empty`);
  const entries: Zippable = {};
  for (const file of files) {
    entries[file.name] = [new Uint8Array(readFileSync(file.path)), { level: 9, mtime: FIXED_MTIME }];
  }
  return Buffer.from(zipSync(entries));
}

/** The names of the files in a zip (tests, and the deployer's check that the handler file is there). */
export function zipEntries(zip: Buffer): string[] {
  try {
    return Object.keys(unzipSync(new Uint8Array(zip))).sort();
  } catch (error) {
    throw new CodePackageError('not a readable zip', { cause: error });
  }
}
