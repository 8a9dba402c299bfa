// SIGTERM drains: requests in flight finish (their streams end with [DONE]), new ones are refused, and the
// process exits 0.
import { assert, assertEq, run, startServer } from "./harness.mjs";

let server = null;

await run(
  {
    async sigtermDrainsAndExitsCleanly() {
      server = await startServer(["--parallel", "2", "--ctx", "1024"]);
      const chat = `${server.url}/v1/chat/completions`;
      const streams = [0, 1].map(async () => {
        const res = await fetch(chat, { method: "POST", headers: { "content-type": "application/json" },
          body: JSON.stringify({ messages: [{ role: "user", content: "drain me" }], max_tokens: 300, stream: true,
                                 ignore_eos: true }) });
        assertEq(res.status, 200, "stream accepted");
        const reader = res.body.getReader();
        const first = await reader.read();
        let text = new TextDecoder().decode(first.value);
        return { reader, text };
      });
      const started = await Promise.all(streams);
      server.proc.kill("SIGTERM");
      // The in-flight streams run to their end.
      for (const s of started) {
        for (;;) {
          const { value, done } = await s.reader.read();
          if (done) break;
          s.text += new TextDecoder().decode(value);
        }
        assert(s.text.trimEnd().endsWith("data: [DONE]"), "stream finished with [DONE]");
        assert(s.text.includes('"finish_reason":"length"'), "ran to max_tokens");
      }
      const { code, signal } = await server.exited;
      assertEq(signal, null, "not killed by a signal");
      assertEq(code, 0, "exit code");
      assert(server.log().includes("draining"), "logged the drain");
      // Nothing listens any more.
      let refused = false;
      try {
        await fetch(`${server.url}/health`);
      } catch {
        refused = true;
      }
      assert(refused, "listener closed");
    },

    async sigtermWhenIdle() {
      server = await startServer([]);
      const { code } = await server.stop(30000);
      assertEq(code, 0, "idle exit code");
    },
  },
  async () => {
    if (server) await server.stop(5000);
  },
);
