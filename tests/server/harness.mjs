// Shared pieces of the server tests: start `nemotron serve` on a free loopback port, stop it, small asserts.
// Environment (set by tests/server/server.cmake): NEMOTRON_CLI, NEMOTRON_TEST_MODEL, NEMOTRON_JS_DIR.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const jsDir = process.env.NEMOTRON_JS_DIR;
const require = createRequire(path.join(jsDir, "package.json"));
const openaiModule = require("openai");
export const OpenAI = openaiModule.OpenAI ?? openaiModule.default ?? openaiModule;

export const cli = process.env.NEMOTRON_CLI;
export const modelDir = process.env.NEMOTRON_TEST_MODEL;
export const modelName = path.basename(modelDir);

const live = new Set();
process.on("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

// Starts the server; resolves once it listens. `args` are extra flags.
export async function startServer(args = [], { timeoutMs = 60000 } = {}) {
  const proc = spawn(cli, ["serve", "-m", modelDir, "--port", "0", "--threads", "2", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  live.add(proc);
  let log = "";
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  proc.on("exit", () => live.delete(proc));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), timeoutMs);
    proc.stderr.on("data", (d) => {
      log += d.toString();
      const m = log.match(/listening on (http:\/\/[0-9.]+:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${log}`));
    });
  });
  return {
    url,
    proc,
    exited,
    log: () => log,
    client: () => new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 120000 }),
    // SIGTERM, then the exit status (SIGKILL after `ms`).
    async stop(ms = 60000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), ms);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

export function assertEq(a, b, msg) {
  const sa = JSON.stringify(a), sb = JSON.stringify(b);
  if (sa !== sb) throw new Error(`assertion failed: ${msg}: ${sa} !== ${sb}`);
}

// POST JSON (or raw text) and return {status, body (parsed when JSON), text}.
export async function post(url, body, { raw = false, headers = {} } = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: raw ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export async function getMetrics(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^([a-z_]+) (-?[0-9.e+]+)$/);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

export async function waitFor(pred, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Runs the named async test functions in order; exits 1 on the first failure (after stopping servers).
export async function run(tests, cleanup = async () => {}) {
  let failed = false;
  for (const [name, fn] of Object.entries(tests)) {
    const t0 = Date.now();
    try {
      await fn();
      console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      console.log(`FAIL ${name}: ${e.stack ?? e}`);
      failed = true;
      break;
    }
  }
  const cleanOk = await cleanup();
  process.exit(failed || cleanOk === false ? 1 : 0);
}
