// A bounded load test on loopback: 200 requests from 16 concurrent clients (a mix of streaming and non-streaming
// chat and completions) must all succeed within the time limit, and the server must end idle and healthy.
import { assert, assertEq, getMetrics, modelName, run, startServer } from "./harness.mjs";

const N = 200, CONCURRENCY = 16, LIMIT_MS = 240000;
const server = await startServer(["--parallel", "8", "--queue", "32", "--ctx", "1024", "--quiet"]);
const client = server.client();

async function one(i) {
  const max_tokens = 4 + (i % 7);
  if (i % 4 === 3) {
    const r = await client.completions.create({ model: modelName, prompt: `load test ${i}`, max_tokens });
    return r.usage.completion_tokens;
  }
  const req = { model: modelName, messages: [{ role: "user", content: `request number ${i}` }], max_tokens,
                temperature: 0.8, seed: i };
  if (i % 2 === 0) {
    const r = await client.chat.completions.create(req);
    return r.usage.completion_tokens;
  }
  const stream = await client.chat.completions.create({ ...req, stream: true, stream_options: { include_usage: true } });
  let usage = null;
  for await (const c of stream) if (c.usage) usage = c.usage;
  return usage.completion_tokens;
}

await run(
  {
    async loadTest() {
      const t0 = Date.now();
      let next = 0, done = 0, tokens = 0;
      const errors = [];
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < N && Date.now() - t0 < LIMIT_MS) {
          const i = next++;
          try {
            const t = await one(i);
            tokens += t;
            done++;
          } catch (e) {
            errors.push(`${i}: ${e.message}`);
          }
        }
      }));
      const secs = (Date.now() - t0) / 1000;
      console.log(JSON.stringify({ requests: done, seconds: secs, requests_per_s: done / secs, tokens }));
      assertEq(errors, [], "no request failed");
      assertEq(done, N, `all ${N} requests finished within ${LIMIT_MS / 1000} s`);
      const m = await getMetrics(server.url);
      assertEq(m.nemotron_requests_finished_total, N, "finished counter");
      assertEq(m.nemotron_running_sequences, 0, "idle");
      assertEq(m.nemotron_queue_depth, 0, "queue empty");
      assert(m.nemotron_batch_sequences_total > m.nemotron_batch_steps_total, "requests were batched");
    },
  },
  async () => (await server.stop()).code === 0,
);
