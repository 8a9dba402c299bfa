// llama.cpp's prefill and decode speed on a GGUF file, through node-llama-cpp's prebuilt CPU libllama
// (tools/js; nothing is downloaded or built). Prints one JSON line with the fields `nemotron bench --json`
// uses, so that bench/side_by_side.sh can put the two engines next to each other on the same file.
//
//   node bench/llama_cpp_bench.mjs -m FILE.gguf [--threads 2] [--pp 512] [--tg 128] [--batch 512]
//
// Prefill: pp token ids (deterministic, < vocab size) evaluated in one controlledEvaluate call with batch
// size >= pp (ubatch = batch), no logits but the last. Decode: tg greedy steps after the prompt, one token
// per llama_decode. Both timed with the wall clock around the calls, after one warm-up run of each.
import path from "node:path";
import {fileURLToPath, pathToFileURL} from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const {loadLlamaCpp, loadedCpuVariant} = await import(pathToFileURL(path.join(here, "../tools/js/llama_cpp_load.mjs")).href);

const argv = process.argv.slice(2);
const opt = (names, def) => {
  for (const n of names) { const i = argv.indexOf(n); if (i >= 0 && i + 1 < argv.length) return argv[i + 1]; }
  return def;
};
const file = opt(["-m", "--model"]);
const threads = +opt(["--threads", "-t"], 2), pp = +opt(["--pp"], 512), tg = +opt(["--tg"], 128);
const batch = Math.max(+opt(["--batch"], 512), pp);
if (!file || !(threads > 0) || !(pp > 0) || !(tg > 0)) {
  console.error("usage: node bench/llama_cpp_bench.mjs -m FILE.gguf [--threads N] [--pp N] [--tg N] [--batch N]");
  process.exit(2);
}

let llama;
try {
  ({llama} = await loadLlamaCpp({logLevel: "warn"}));
} catch (e) {
  console.error(`llama_cpp_bench: ${e.message}`);
  process.exit(e.missing ? 77 : 1);
}
const model = await llama.loadModel({modelPath: file, gpuLayers: 0, useMmap: true});
const nVocab = model.tokens.bos === undefined ? 1000 : (model.fileInfo.metadata?.[model.fileInfo.metadata?.general?.architecture]?.vocab_size ?? 1000);
const ctx = await model.createContext({contextSize: pp + tg + 8, batchSize: batch, threads, sequences: 1,
                                        flashAttention: false});
const seq = ctx.getSequence();
const prompt = Array.from({length: pp}, (_, i) => 1 + ((i * 7919 + 13) % (Math.min(nVocab, 4096) - 1)));

async function prefill() {
  await seq.clearHistory();
  const items = prompt.map((t, i) => (i === pp - 1 ? [t, {generateNext: {token: true, options: {temperature: 0}}}] : t));
  const t0 = process.hrtime.bigint();
  const out = await seq.controlledEvaluate(items);
  return [Number(process.hrtime.bigint() - t0) / 1e9, out[pp - 1].next.token];
}
async function decode(first) {
  // seq.evaluate() feeds each sampled token back as the next single-token batch.
  let n = 0;
  const t0 = process.hrtime.bigint();
  for await (const t of seq.evaluate([first], {temperature: 0})) {
    void t;
    if (++n >= tg) break;
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
// Warm-up (page in the weights, allocate the compute buffers), then the timed run.
let [, first] = await prefill();
await decode(first);
const [tPrefill, tok] = await prefill();
const tDecode = await decode(tok);

console.log(JSON.stringify({
  engine: "llama.cpp", llama_cpp_release: llama.llamaCppRelease.release, build: llama.buildType,
  cpu_backend: loadedCpuVariant(), model: file, threads, batch_size: batch, prompt_tokens: pp, gen_tokens: tg,
  prefill_tokens_per_s: pp / tPrefill, decode_tokens_per_s: tg / tDecode,
}));
await ctx.dispose();
await model.dispose();
await llama.dispose();
