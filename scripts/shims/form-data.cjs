// axios imports the `form-data` package (and with it mime-db, ~130 KB) only to build multipart
// bodies. The functions never send multipart; Node 20's built-in FormData serves axios' checks.
module.exports = globalThis.FormData;
