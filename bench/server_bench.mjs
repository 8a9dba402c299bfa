#!/usr/bin/env node
// Server benchmark: aggregate decode throughput at 1, 2, 4 and 8 concurrent streams, and the time to first token
// of the second turn of a ~2,000-token conversation against the first turn (exact state reuse).
//
//   node bench/server_bench.mjs --model DIR [--cli build/bin/nemotron] [--threads N] [--tokens 64]
//                               [--conversation 2000] [--streams 1,2,4,8]
//
// Starts `nemotron serve --parallel 8` on a free loopback port, runs the measurements with greedy requests that
// ignore EOS (every stream generates exactly --tokens tokens), prints one JSON object and stops the server.
// Aggregate decode tok/s = Σ(tokens after each stream's first) / (last stream end − first stream's first token),
// which includes the other streams' prompt prefill and the staggered finish; steady_tok_per_s counts only the time
// when all streams are decoding (last first token .. first end).
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
if (!args.model) {
  console.error("usage: server_bench.mjs --model DIR [--cli PATH] [--threads N] [--tokens N] [--conversation N]");
  process.exit(2);
}
const cli = args.cli ?? path.join(here, "..", "build", "bin", "nemotron");
const tokens = Number(args.tokens ?? 64);
const convTokens = Number(args.conversation ?? 2000);
const streamCounts = (args.streams ?? "1,2,4,8").split(",").map(Number);
const serveArgs = ["serve", "-m", args.model, "--port", "0", "--parallel", String(Math.max(...streamCounts)),
                   "--ctx", String(Math.max(4096, convTokens * 2)), "--quiet"];
if (args.threads) serveArgs.push("--threads", args.threads);

const proc = spawn(cli, serveArgs, { stdio: ["ignore", "ignore", "pipe"] });
process.on("exit", () => proc.kill("SIGKILL"));
const base = await new Promise((resolve, reject) => {
  let log = "";
  proc.stderr.on("data", (d) => {
    log += d;
    const m = log.match(/listening on (http:\/\/[0-9.]+:\d+)/);
    if (m) resolve(m[1]);
  });
  proc.on("exit", (code) => reject(new Error(`server exited ${code}: ${log}`)));
});

// One streaming chat request; returns {first, end, completion_tokens, prompt_tokens, cached} (times in ms).
async function stream(messages, maxTokens) {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages, max_tokens: maxTokens, temperature: 0, ignore_eos: true, stream: true,
                           stream_options: { include_usage: true }, chat_template_kwargs: { enable_thinking: false } }),
  });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = "", first = null, usage = null, content = "";
  const times = [];  // arrival time of every content delta
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const ev = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!ev.startsWith("data: ") || ev === "data: [DONE]") continue;
      const j = JSON.parse(ev.slice(6));
      const d = j.choices?.[0]?.delta;
      if (d && (d.content || d.reasoning_content)) {
        const now = performance.now();
        if (first === null) first = now;
        times.push(now);
        content += d.content ?? "";
      }
      if (j.usage) usage = j.usage;
    }
  }
  const end = performance.now();
  return { t0, first: first ?? end, end, times, content, completion_tokens: usage.completion_tokens,
           prompt_tokens: usage.prompt_tokens, cached: usage.prompt_tokens_details?.cached_tokens ?? 0 };
}

const out = { model: args.model, tokens_per_stream: tokens, decode: [], ttft: null };
await stream([{ role: "user", content: "warm up" }], 8);
for (const n of streamCounts) {
  const rs = await Promise.all(Array.from({ length: n }, (_, i) =>
    stream([{ role: "user", content: `stream ${i} of ${n}: tell me a story` }], tokens)));
  const start = Math.min(...rs.map((r) => r.first)), end = Math.max(...rs.map((r) => r.end));
  const decoded = rs.reduce((s, r) => s + r.completion_tokens - 1, 0);
  // Steady state: while all n streams are decoding, from the last stream's first token to the first stream's end
  // (prompt prefill and the staggered start and finish are outside it). Tokens in the window are the deltas that
  // arrived in it, each delta weighted by its stream's tokens per delta.
  const s0 = Math.max(...rs.map((r) => r.first)), s1 = Math.min(...rs.map((r) => r.end));
  let steady = 0;
  for (const r of rs) {
    const per = (r.completion_tokens - 1) / Math.max(1, r.times.length - 1);
    steady += r.times.filter((t) => t > s0 && t <= s1).length * per;
  }
  out.decode.push({ streams: n, tokens: decoded, seconds: (end - start) / 1000, tok_per_s: decoded / ((end - start) / 1000),
                    steady_seconds: (s1 - s0) / 1000, steady_tok_per_s: s1 > s0 ? steady / ((s1 - s0) / 1000) : null });
}
const base1 = out.decode.find((d) => d.streams === 1);
for (const d of out.decode) {
  d.speedup_vs_1 = base1 ? d.tok_per_s / base1.tok_per_s : null;
  d.steady_speedup_vs_1 = base1 && d.steady_tok_per_s ? d.steady_tok_per_s / base1.steady_tok_per_s : null;
}

// A conversation of about convTokens prompt tokens: the tokens per question/answer pair are measured first with
// two short conversations under other salts (so they share no prefix with the measured one beyond a few tokens).
function conversation(salt, pairs) {
  const m = [{ role: "system", content: `Session ${salt}. You are a helpful assistant.` }];
  for (let i = 0; i < pairs; i++) {
    m.push({ role: "user", content: `Question ${i}: what happened in chapter ${i} of the story we are writing?` });
    m.push({ role: "assistant", content: `In chapter ${i} the travellers crossed river ${i} and met a stranger.` });
  }
  m.push({ role: "user", content: "Summarize the story so far." });
  return m;
}
const salt = () => Math.random().toString(36).slice(2);
const probePairs = 8;
const p0 = (await stream(conversation(salt(), 0), 1)).prompt_tokens;
const p1 = (await stream(conversation(salt(), probePairs), 1)).prompt_tokens;
const pairs = Math.max(1, Math.ceil((convTokens - p0) / Math.max(1, (p1 - p0) / probePairs)));
const messages = conversation(salt(), pairs);
const turn1 = await stream(messages, 16);
messages.push({ role: "assistant", content: turn1.content });
messages.push({ role: "user", content: "And what happens next?" });
const turn2 = await stream(messages, 16);
out.ttft = {
  first_turn: { prompt_tokens: turn1.prompt_tokens, cached_tokens: turn1.cached, ttft_ms: turn1.first - turn1.t0 },
  second_turn: { prompt_tokens: turn2.prompt_tokens, cached_tokens: turn2.cached, ttft_ms: turn2.first - turn2.t0 },
};
out.ttft.speedup = out.ttft.first_turn.ttft_ms / out.ttft.second_turn.ttft_ms;
console.log(JSON.stringify(out, null, 2));
proc.kill("SIGTERM");
await new Promise((r) => proc.on("exit", r));
process.exit(0);
