// Builds the function bundles once per test run, so tests that go through the local runtime load
// exactly what would be deployed.
export default async function setup(): Promise<void> {
  // @ts-expect-error: plain ESM build script without type declarations
  const { buildFunctions } = await import('../scripts/build.mjs');
  await buildFunctions({ quiet: true });
}
