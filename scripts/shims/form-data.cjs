// axios imports the `form-data` package (and with it mime-db, ~130 KB) only to build multipart
// bodies. The functions never send multipart; Node 20's built-in FormData serves instead, looked up
// when one is built: reading `globalThis.FormData` loads Node's fetch implementation (undici, ~10 ms),
// which a bundle must not pay at load (see AXIOS_PATCHES in scripts/build.mjs).
module.exports = class FormData {
  constructor() {
    // biome-ignore lint/correctness/noConstructorReturn: stands in for the built-in class itself
    return new globalThis.FormData();
  }
};
