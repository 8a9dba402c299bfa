// Malformed and hostile requests: each gets an OpenAI-style error with the right status, and the server stays
// healthy. Also: a client that disconnects mid-stream frees its slot, and a full queue answers 429.
import { assert, assertEq, getMetrics, modelName, post, run, startServer, waitFor } from "./harness.mjs";

const server = await startServer(["--parallel", "2", "--queue", "4", "--ctx", "256"]);
const chat = `${server.url}/v1/chat/completions`;
const user = [{ role: "user", content: "hi" }];
let small = null;
let long = null;

async function expectError(body, status, code, opts = {}) {
  const r = await post(opts.url ?? chat, body, opts);
  assertEq(r.status, status, `status for ${opts.what ?? JSON.stringify(body).slice(0, 80)} (${r.text.slice(0, 200)})`);
  assert(r.body && r.body.error && typeof r.body.error.message === "string" && typeof r.body.error.type === "string",
         `OpenAI error shape: ${r.text.slice(0, 200)}`);
  if (code !== undefined) assertEq(r.body.error.code, code, "error code");
  return r;
}

async function healthy() {
  const h = await fetch(`${server.url}/health`);
  assertEq(h.status, 200, "still healthy");
  const ok = await post(chat, { messages: user, max_tokens: 2 });
  assertEq(ok.status, 200, "still serving");
}

await run(
  {
    async malformedJson() {
      await expectError("{not json", 400, "invalid_json", { raw: true, what: "bad JSON" });
      await expectError("", 400, "invalid_json", { raw: true, what: "empty body" });
      await expectError("[1, 2", 400, "invalid_json", { raw: true, what: "truncated JSON" });
      await expectError('"a string"', 400, undefined, { raw: true, what: "not an object" });
    },

    async wrongTypesAndMissingFields() {
      await expectError({ model: modelName }, 400, "missing_required_parameter");
      await expectError({ messages: "hello" }, 400, "invalid_type");
      await expectError({ messages: [] }, 400);
      await expectError({ messages: [{ content: "no role" }] }, 400);
      await expectError({ messages: [{ role: "wizard", content: "x" }] }, 400);
      await expectError({ messages: [{ role: "user", content: 5 }] }, 400, "invalid_type");
      await expectError({ messages: user, temperature: "hot" }, 400, "invalid_type");
      await expectError({ messages: user, temperature: 5 }, 400);
      await expectError({ messages: user, top_p: 0 }, 400);
      await expectError({ messages: user, max_tokens: -1 }, 400);
      await expectError({ messages: user, max_tokens: 2.5 }, 400, "invalid_type");
      await expectError({ messages: user, stream: "yes" }, 400, "invalid_type");
      await expectError({ messages: user, stop: [1, 2] }, 400, "invalid_type");
      await expectError({ messages: user, stop: ["a", "b", "c", "d", "e"] }, 400);
      await expectError({ messages: user, n: 3 }, 400);
      await expectError({ messages: user, tools: [{ type: "function" }] }, 400);
      await expectError({ messages: user, seed: "x" }, 400, "invalid_type");
      await expectError({ prompt: 7 }, 400, undefined, { url: `${server.url}/v1/completions` });
      await expectError({ model: modelName }, 400, "missing_required_parameter", { url: `${server.url}/v1/completions` });
      await expectError({ prompt: [1, 99999] }, 400, undefined, { url: `${server.url}/v1/completions` });
      await healthy();
    },

    async limits() {
      await expectError({ messages: user, max_tokens: 1e12 }, 400, undefined, { what: "absurd max_tokens" });
      await expectError({ messages: user, max_tokens: 100000 }, 400, undefined, { what: "max_tokens over context" });
      await expectError({ model: "gpt-4o", messages: user }, 404, "model_not_found");
      await expectError({ messages: [{ role: "user", content: "long ".repeat(400) }] }, 400, "context_length_exceeded");
      // 10 MB body: refused before parsing.
      const big = JSON.stringify({ messages: [{ role: "user", content: "x".repeat(10 << 20) }] });
      await expectError(big, 413, undefined, { raw: true, what: "10 MB body" });
      // Deeply nested JSON.
      await expectError("[".repeat(100000) + "]".repeat(100000), 400, "invalid_json", { raw: true, what: "deep nesting" });
      await expectError(`{"messages": ${"[".repeat(5000)}${"]".repeat(5000)}}`, 400, "invalid_json",
                        { raw: true, what: "deep nesting in a field" });
      await healthy();
    },

    async invalidUtf8() {
      const bytes = Buffer.concat([Buffer.from('{"messages": [{"role": "user", "content": "'),
                                   Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}]}')]);
      const r = await fetch(chat, { method: "POST", headers: { "content-type": "application/json" }, body: bytes });
      assertEq(r.status, 400, "invalid UTF-8 is a 400");
      assert((await r.json()).error, "error body");
      await healthy();
    },

    async unknownRouteAndMethod() {
      const r = await fetch(`${server.url}/v1/nothing`);
      assertEq(r.status, 404, "unknown route");
      assert((await r.json()).error, "404 error body");
      const g = await fetch(chat);
      assert(g.status === 404 || g.status === 405, `GET on a POST route: ${g.status}`);
    },

    async disconnectMidStreamFreesTheSlot() {
      // The tiny test model writes ~3 tokens per ms, so a short generation can end (finish "length") before the
      // disconnect reaches the server and the test would pass or fail by timing. A server of its own with a long
      // context and a generation of 30000 tokens (seconds even unloaded) leaves no doubt that the stop came from the
      // disconnect.
      long = await startServer(["--parallel", "1", "--ctx", "32768"]);
      const url = `${long.url}/v1/chat/completions`;
      const maxTokens = 30000;
      const ac = new AbortController();
      const res = await fetch(url, { method: "POST", signal: ac.signal, headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: user, max_tokens: maxTokens, stream: true, ignore_eos: true }) });
      const reader = res.body.getReader();
      await reader.read();  // the first chunk arrived: the sequence is running
      ac.abort();
      await waitFor(async () => {
        const m = await getMetrics(long.url);
        return m.nemotron_running_sequences === 0 && m.nemotron_requests_cancelled_total === 1;
      }, 60000, "the disconnected sequence to be cancelled");
      const m = await getMetrics(long.url);
      assert(m.nemotron_generation_tokens_total < maxTokens,
             `generation stopped early (${m.nemotron_generation_tokens_total} of ${maxTokens} tokens)`);
      console.log(`generated ${m.nemotron_generation_tokens_total} tokens before the cancel`);
      const ok = await post(url, { messages: user, max_tokens: 2 });
      assertEq(ok.status, 200, "the freed slot serves the next request");
      const { code } = await long.stop();
      long = null;
      assertEq(code, 0, "long-context server exit code");
    },

    async fullQueueAnswers429() {
      // Long generations (see above), so the first request still runs when the last of the five arrives.
      small = await startServer(["--parallel", "1", "--queue", "1", "--ctx", "32768"]);
      const url = `${small.url}/v1/chat/completions`;
      const controllers = [];
      const results = await Promise.all(Array.from({ length: 5 }, async () => {
        const ac = new AbortController();
        controllers.push(ac);
        try {
          const res = await fetch(url, { method: "POST", signal: ac.signal, headers: { "content-type": "application/json" },
            body: JSON.stringify({ messages: user, max_tokens: 30000, stream: true, ignore_eos: true }) });
          if (res.status !== 200) return { status: res.status, body: await res.json() };
          return { status: 200 };
        } catch (e) {
          return { status: -1 };
        }
      }));
      const refused = results.filter((r) => r.status === 429);
      assertEq(results.filter((r) => r.status === 200).length, 2, "one running + one queued accepted");
      assertEq(refused.length, 3, "the rest refused");
      assertEq(refused[0].body.error.code, "queue_full", "429 error code");
      for (const ac of controllers) ac.abort();
      await waitFor(async () => (await getMetrics(small.url)).nemotron_running_sequences === 0, 30000, "slots freed");
      const m = await getMetrics(small.url);
      assertEq(m.nemotron_requests_rejected_total, 3, "rejections counted");
      const { code } = await small.stop();
      assertEq(code, 0, "small server exit code");
    },
  },
  async () => {
    if (small) await small.stop();
    if (long) await long.stop();
    const { code } = await server.stop();
    if (code !== 0) console.log(`server exit code ${code}\n${server.log()}`);
    return code === 0;
  },
);
