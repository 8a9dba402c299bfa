// The OpenAI API through the official `openai` npm client (and raw fetch where the wire format matters):
// models, health, chat, streaming chat, completions, tools, reasoning controls, seeds, usage, state reuse,
// several concurrent clients.
import { assert, assertEq, getMetrics, modelName, post, run, startServer } from "./harness.mjs";

const server = await startServer(["--parallel", "4", "--ctx", "2048", "--prefill-chunk", "64"]);
const client = server.client();
const base = server.url;
const user = (text) => [{ role: "user", content: text }];

async function collect(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

await run(
  {
    async modelsAndHealth() {
      const models = await client.models.list();
      assertEq(models.data.map((m) => m.id), [modelName], "model list");
      const h = await fetch(`${base}/health`);
      assertEq(h.status, 200, "health status");
      assertEq(await h.json(), { status: "ok" }, "health body");
    },

    async chat() {
      const r = await client.chat.completions.create({
        model: modelName, messages: user("Hello there"), max_tokens: 12, temperature: 0,
      });
      assertEq(r.object, "chat.completion", "object");
      assert(r.id.startsWith("chatcmpl-"), "id prefix");
      assertEq(r.model, modelName, "model");
      const c = r.choices[0];
      assertEq(c.message.role, "assistant", "role");
      assert(["stop", "length"].includes(c.finish_reason), `finish_reason ${c.finish_reason}`);
      assert(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 12, "completion tokens within max_tokens");
      assertEq(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens, "total tokens");
      if (c.finish_reason === "length") assertEq(r.usage.completion_tokens, 12, "length means max_tokens");
      // Greedy decoding is deterministic.
      const again = await client.chat.completions.create({
        model: modelName, messages: user("Hello there"), max_tokens: 12, temperature: 0,
      });
      assertEq(again.choices[0].message, c.message, "greedy is reproducible");
    },

    async seededSamplingIsReproducible() {
      const req = { model: modelName, messages: user("Pick words"), max_tokens: 16, temperature: 1.0, top_p: 0.9, seed: 42 };
      const a = await client.chat.completions.create(req);
      const b = await client.chat.completions.create(req);
      assertEq(a.choices[0].message, b.choices[0].message, "same seed, same text");
    },

    async streamingChatMatchesNonStreaming() {
      const req = { model: modelName, messages: user("Stream this"), max_tokens: 20, temperature: 0 };
      const whole = await client.chat.completions.create(req);
      const chunks = await collect(await client.chat.completions.create({ ...req, stream: true,
                                                                        stream_options: { include_usage: true } }));
      assert(chunks.length >= 3, "several chunks");
      assertEq(chunks[0].choices[0].delta.role, "assistant", "first chunk carries the role");
      let content = "", reasoning = "", finish = null;
      for (const c of chunks) {
        assertEq(c.object, "chat.completion.chunk", "chunk object");
        if (!c.choices.length) continue;
        content += c.choices[0].delta.content ?? "";
        reasoning += c.choices[0].delta.reasoning_content ?? "";
        if (c.choices[0].finish_reason) finish = c.choices[0].finish_reason;
      }
      assertEq(content, whole.choices[0].message.content ?? "", "streamed content");
      assertEq(reasoning, whole.choices[0].message.reasoning_content ?? "", "streamed reasoning");
      assertEq(finish, whole.choices[0].finish_reason, "finish reason");
      const usage = chunks[chunks.length - 1].usage;
      assertEq(usage.completion_tokens, whole.usage.completion_tokens, "usage chunk");
    },

    async rawSseEndsWithDone() {
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: user("raw"), max_tokens: 5, stream: true }),
      });
      assertEq(res.status, 200, "status");
      assert(res.headers.get("content-type").startsWith("text/event-stream"), "event-stream content type");
      const text = await res.text();
      const events = text.split("\n\n").filter((e) => e.length);
      assert(events.every((e) => e.startsWith("data: ")), "every event is a data line");
      assertEq(events[events.length - 1], "data: [DONE]", "last event");
      for (const e of events.slice(0, -1)) JSON.parse(e.slice(6));
    },

    async completions() {
      const r = await client.completions.create({ model: modelName, prompt: "Once upon a time", max_tokens: 10,
                                                  temperature: 0 });
      assertEq(r.object, "text_completion", "object");
      assert(typeof r.choices[0].text === "string", "text");
      assert(r.usage.completion_tokens <= 10, "max_tokens");
      const chunks = await collect(await client.completions.create({ model: modelName, prompt: "Once upon a time",
                                                                     max_tokens: 10, temperature: 0, stream: true }));
      assertEq(chunks.map((c) => c.choices[0]?.text ?? "").join(""), r.choices[0].text, "streamed text");
      // Token-id prompts are accepted too.
      const ids = await client.completions.create({ model: modelName, prompt: [40, 50, 60], max_tokens: 3 });
      assertEq(ids.usage.prompt_tokens, 3, "token prompt length");
    },

    async toolsReachThePrompt() {
      const tools = [{ type: "function", function: { name: "get_weather", description: "Weather for a city",
        parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }];
      const plain = await client.chat.completions.create({ model: modelName, messages: user("Weather in Paris?"),
                                                           max_tokens: 4 });
      const withTools = await client.chat.completions.create({ model: modelName, messages: user("Weather in Paris?"),
                                                               max_tokens: 4, tools });
      assert(withTools.usage.prompt_tokens > plain.usage.prompt_tokens + 50,
             `tools rendered into the prompt (${withTools.usage.prompt_tokens} vs ${plain.usage.prompt_tokens})`);
      assert(["stop", "length", "tool_calls"].includes(withTools.choices[0].finish_reason), "finish reason");
      // A previous assistant tool call and the tool's answer render too.
      const follow = await client.chat.completions.create({ model: modelName, max_tokens: 4, tools, messages: [
        ...user("Weather in Paris?"),
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function",
          function: { name: "get_weather", arguments: "{\"city\": \"Paris\"}" } }] },
        { role: "tool", tool_call_id: "call_1", content: "sunny, 21 C" },
      ] });
      assert(follow.usage.prompt_tokens > withTools.usage.prompt_tokens, "tool call history rendered");
    },

    async thinkingControls() {
      // Reasoning on: the prompt opens <think>, so the text goes to reasoning_content; off: it is all content.
      const on = await client.chat.completions.create({ model: modelName, messages: user("Think"), max_tokens: 6,
                                                        temperature: 0, chat_template_kwargs: { enable_thinking: true } });
      const off = await client.chat.completions.create({ model: modelName, messages: user("Think"), max_tokens: 6,
                                                         temperature: 0, enable_thinking: false });
      assert((on.choices[0].message.reasoning_content ?? "").length > 0, `reasoning: ${JSON.stringify(on.choices[0])}`);
      assert(!off.choices[0].message.reasoning_content, "no reasoning when thinking is off");
      assert((off.choices[0].message.content ?? "").length > 0, "content when thinking is off");
      // Reasoning on, budget 2: the reasoning is cut after two tokens and the answer starts.
      const budget = await client.chat.completions.create({ model: modelName, messages: user("Think"), max_tokens: 24,
                                                            temperature: 0, max_thinking_tokens: 2,
                                                            chat_template_kwargs: { enable_thinking: true } });
      const m = budget.choices[0].message;
      assert((m.reasoning_content ?? "").length <= 8, `reasoning cut by the budget: ${JSON.stringify(m)}`);
      assert(budget.usage.completion_tokens > 2, "the answer continues after the budget");
    },

    async nextTurnReusesState() {
      const messages = [{ role: "system", content: "You are a terse assistant. ".repeat(20) }, ...user("First question")];
      const first = await client.chat.completions.create({ model: modelName, messages, max_tokens: 8, temperature: 0,
                                                           chat_template_kwargs: { enable_thinking: false } });
      const second = await client.chat.completions.create({
        model: modelName, max_tokens: 8, temperature: 0, chat_template_kwargs: { enable_thinking: false },
        messages: [...messages, { role: "assistant", content: first.choices[0].message.content ?? "" },
                   ...user("Second question")],
      });
      const cached = second.usage.prompt_tokens_details.cached_tokens;
      assert(cached >= first.usage.prompt_tokens,
             `second turn reuses the first (${cached} cached of ${second.usage.prompt_tokens}; first prompt ${first.usage.prompt_tokens})`);
      const m = await getMetrics(base);
      assert(m.nemotron_state_cache_hits_total >= 1, "cache hit counted");
    },

    async concurrentClients() {
      const reqs = [];
      for (let i = 0; i < 8; i++) {
        const req = { model: modelName, messages: user(`client ${i}`), max_tokens: 10 + i, temperature: 0 };
        reqs.push((async () => {
          const chunks = await collect(await client.chat.completions.create({ ...req, stream: true }));
          const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
          return { req, text };
        })());
      }
      const results = await Promise.all(reqs);
      // Each answer equals the same request made alone afterwards (batching is exact).
      for (const { req, text } of results.slice(0, 3)) {
        const alone = await client.chat.completions.create(req);
        assertEq(text, alone.choices[0].message.content ?? "", `concurrent answer for ${req.messages[0].content}`);
      }
      const m = await getMetrics(base);
      assert(m.nemotron_batch_sequences_total > m.nemotron_batch_steps_total, "steps were batched");
      assertEq(m.nemotron_running_sequences, 0, "nothing left running");
    },
  },
  async () => {
    const { code } = await server.stop();
    if (code !== 0) console.log(`server exit code ${code}`);
    return code === 0;
  },
);
