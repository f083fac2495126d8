// One cold start in a fresh Node.js process: require the bundle (module load), then the first handler
// call. Plain CommonJS without tsx, so nothing but Node itself runs before the bundle. The parent
// (bench/cold-start.ts) passes the bundle, the event and the function's user data, and reads the
// last stdout line (`@@kvl-probe {...}`).
'use strict';

const bootMs = performance.now();
const [file, eventJson, userDataJson] = process.argv.slice(2);
const event = JSON.parse(eventJson);
const userData = JSON.parse(userDataJson);

// A FunctionGraph context (reference functiongraph §1.3); the keys come with the user data here.
const started = Date.now();
const context = {
  getRequestID: () => 'cold-start-probe',
  getRemainingTimeInMilliSeconds: () => Math.max(0, started + 60_000 - Date.now()),
  getRunningTimeInSeconds: () => 60,
  getUserData: (key) => userData[key],
  getFunctionName: () => 'cold-start-probe',
  getVersion: () => 'latest',
  getPackage: () => 'default',
  getAlias: () => '',
  getMemorySize: () => '256',
  getCPUNumber: () => '1',
  getProjectID: () => userData.HUAWEICLOUD_SDK_PROJECT_ID ?? '',
  getSecurityAccessKey: () => userData.HUAWEICLOUD_SDK_AK ?? '',
  getSecuritySecretKey: () => userData.HUAWEICLOUD_SDK_SK ?? '',
  getSecurityToken: () => '',
  getToken: () => '',
  getLogger: () => ({ info: () => {} }),
};

(async () => {
  const beforeLoad = performance.now();
  const mod = require(file);
  const loaded = performance.now();
  let ok = true;
  let error;
  try {
    // kvlHandler answers a summary; a message it refused or failed is a failed probe, not a cold start.
    const summary = await mod.handler(event, context);
    if (!summary || summary.processed < 1 || summary.failed > 0 || summary.rejected > 0) {
      ok = false;
      error = `unexpected summary ${JSON.stringify(summary)}`;
    }
  } catch (e) {
    ok = false;
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  const called = performance.now();
  process.stdout.write(
    `\n@@kvl-probe ${JSON.stringify({ bootMs, loadMs: loaded - beforeLoad, firstCallMs: called - loaded, ok, error })}\n`,
  );
  process.exit(0);
})();
