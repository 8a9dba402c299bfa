// GGUF interop with llama.cpp: GGUF files written by `nemotron quantize` / `nemotron synth` are loaded into
// llama.cpp (the prebuilt libllama of node-llama-cpp, CPU only, nothing downloaded or built) and both engines
// are run on the same file and the same token ids.
//
//   node llama_cpp_interop.mjs --nemotron BIN --root SRC_DIR --tmp DIR [--only NAME]
//
// Per file (prompt P of fixed ids, greedy continuation G of nemotron, N = |G|):
//   logits   nemotron `logits` over P+G (prefill) vs llama.cpp logits at every position of P+G.
//            f32 files: max |a-b| / max|b| per row <= 1e-3 (same weights; only summation order differs).
//            bf16 / quantized: llama.cpp quantizes activations to q8 for q8_0/q4_0 dot products and keeps
//            bf16 inputs in bf16 where nemotron uses fp32 activations, so rows are compared with a looser
//            relative bound (per type below) and top-1 must agree wherever nemotron's top-1/top-2 margin
//            exceeds the bound.
//   greedy   llama.cpp's own greedy generation from P must reproduce G for as long as every earlier step
//            had a clear margin (first divergence allowed only at a near-tie, margin <= the bound).
// Exit 0 pass, 1 disagreement or load failure, 77 skip (node-llama-cpp or its linux-x64 binary missing).
import {execFileSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import {loadLlamaCpp, loadedCpuVariant} from "./llama_cpp_load.mjs";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const BIN = args.nemotron, ROOT = args.root, TMP = args.tmp;
if (!BIN || !ROOT || !TMP) {
  console.error("usage: node llama_cpp_interop.mjs --nemotron BIN --root SRC_DIR --tmp DIR [--only NAME]");
  process.exit(2);
}

let nlc, llama, logs;
try {
  ({nlc, llama, logs} = await loadLlamaCpp());
} catch (e) {
  if (!e.missing) throw e;
  console.log(`SKIP: ${e.message}`);
  process.exit(77);
}
fs.mkdirSync(TMP, {recursive: true});
const nem = (argv) => execFileSync(BIN, argv, {encoding: "utf8", stdio: ["ignore", "pipe", "pipe"]});

// Minimal .npy reader for the float32 [T, V] arrays `nemotron logits` writes.
function readNpy(file) {
  const buf = fs.readFileSync(file);
  const hlen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + hlen).toString("latin1");
  if (!/'descr': '<f4'/.test(header)) throw new Error(`${file}: expected <f4 npy, header ${header}`);
  const shape = header.match(/'shape': \((\d+), (\d+)\)/);
  const rows = +shape[1], cols = +shape[2];
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + 10 + hlen, buf.byteOffset + 10 + hlen + rows * cols * 4));
  return Array.from({length: rows}, (_, r) => data.subarray(r * cols, (r + 1) * cols));
}
function top2(row) {
  let a = -1, b = -1;
  for (let i = 0; i < row.length; i++) {
    if (a < 0 || row[i] > row[a]) { b = a; a = i; } else if (b < 0 || row[i] > row[b]) b = i;
  }
  return [a, row[a] - row[b]];
}

// rel: bound on max|nemotron - llama.cpp| / max|nemotron| per row.
const RUN_TOKENS = 24;
const cases = [];
const brown = path.join(ROOT, "models/nemotron-brown-tiny");
for (const [t, rel] of [["f32", 1e-3], ["bf16", 3e-2], ["q8_0", 3e-2], ["q4_0", 8e-2]])
  cases.push({name: `brown-tiny ${t}`, make: ["quantize", "-m", brown, "--type", t], rel,
              prompt: [1, 353, 1022, 317, 2212, 273, 262, 1417, 290, 1175, 263, 1046]});
for (const f of ["dense_f32", "moe_f32"])
  cases.push({name: `fixture ${f} f32`, make: ["quantize", "-m", path.join(ROOT, "tests/fixtures", f), "--type", "f32"],
              rel: 2e-3, prompt: [3, 17, 42, 5, 99, 23, 64, 11]});
// synth files: random weights give flat logits, so q8_0 activation rounding moves them by several percent of
// max|logit|; the f32 synth files pin the layout (same weights, fp32 in both engines) to 1e-3.
for (const [cfg, scale, t, rel] of [["NVIDIA-Nemotron-3-Nano-30B-A3B", "0.015625", "f32", 2e-3],
                                    ["NVIDIA-Nemotron-3-Nano-30B-A3B", "0.015625", "q8_0", 1e-1],
                                    ["Nemotron-H-8B", "0.03125", "f32", 2e-3],
                                    ["Nemotron-H-8B", "0.03125", "q8_0", 1e-1]])
  cases.push({name: `synth ${cfg} scale ${scale} ${t}`,
              make: ["synth", "--config", path.join(ROOT, `configs/${cfg}.json`), "--scale", scale, "--type", t], rel,
              prompt: [1, 100, 250, 400, 777, 1024, 1500, 1999]});

let failures = 0;
for (const c of cases) {
  if (args.only && !c.name.includes(args.only)) continue;
  const file = path.join(TMP, c.name.replace(/[^A-Za-z0-9]+/g, "_") + ".gguf");
  const problems = [];
  let model, ctx;
  try {
    nem([...c.make, "--out", file]);
    const greedy = nem(["run", "-m", file, "--tokens", c.prompt.join(","), "-n", String(RUN_TOKENS), "--temp", "0",
                        "--ids", "--ignore-eos"]).trim().split(/[\s,]+/).filter(Boolean).map(Number);
    const all = [...c.prompt, ...greedy];
    const npy = file + ".npy";
    nem(["logits", "-m", file, "--tokens", all.join(","), "--out", npy]);
    const ours = readNpy(npy);

    logs.length = 0;
    try {
      model = await llama.loadModel({modelPath: file, gpuLayers: 0});
    } catch (e) {
      const why = logs.filter((l) => /^(error|warn)/.test(l)).slice(-6).join(" | ");
      throw new Error(`llama.cpp refused the file: ${e.message}; ${why}`);
    }
    if (!cases.cpuShown) console.log(`llama.cpp ${llama.llamaCppRelease.release} (${llama.buildType}), CPU backend ${loadedCpuVariant()}`);
    cases.cpuShown = true;
    ctx = await model.createContext({contextSize: 256, batchSize: 256, threads: 2, sequences: 1});
    const seq = ctx.getSequence();
    const out = await seq.controlledEvaluate(all.map((t) => [t, {generateNext: {logits: true}}]));
    let worst = 0, worstPos = -1, top1Checked = 0, top1Agree = 0;
    for (let p = 0; p < all.length; p++) {
      const lm = out[p]?.next?.logits;
      if (!lm) { problems.push(`no llama.cpp logits at position ${p}`); break; }
      const theirs = new Float32Array(ours[p].length);
      for (const [tok, v] of lm) theirs[tok] = v;
      let maxAbs = 0, maxDiff = 0;
      for (let i = 0; i < theirs.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(ours[p][i]));
        maxDiff = Math.max(maxDiff, Math.abs(ours[p][i] - theirs[i]));
      }
      const rel = maxDiff / Math.max(maxAbs, 1e-6);
      if (rel > worst) { worst = rel; worstPos = p; }
      const [a, margin] = top2(ours[p]);
      if (margin > c.rel * maxAbs) {
        top1Checked++;
        if (top2(theirs)[0] === a) top1Agree++;
        else problems.push(`position ${p}: top-1 nemotron ${a} (margin ${margin.toFixed(4)}) vs llama.cpp ${top2(theirs)[0]}`);
      }
    }
    if (worst > c.rel) problems.push(`logits differ: max rel ${worst.toExponential(2)} at position ${worstPos} > ${c.rel}`);

    // llama.cpp's own greedy continuation from the prompt.
    await seq.clearHistory();
    const theirsGreedy = [];
    for await (const t of seq.evaluate(c.prompt, {temperature: 0})) {
      theirsGreedy.push(t);
      if (theirsGreedy.length >= greedy.length) break;
    }
    let same = 0;
    while (same < greedy.length && theirsGreedy[same] === greedy[same]) same++;
    if (same < greedy.length) {
      const p = c.prompt.length - 1 + same;
      const [, margin] = top2(ours[p]);
      const maxAbs = ours[p].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      if (margin > c.rel * maxAbs)
        problems.push(`greedy diverges at step ${same} (nemotron ${greedy[same]}, llama.cpp ${theirsGreedy[same]}) ` +
                      `where nemotron's margin ${margin.toFixed(4)} is not a near-tie`);
    }
    console.log(`${problems.length ? "FAIL" : "ok  "} ${c.name}: logits max rel diff ${worst.toExponential(2)} (bound ${c.rel}), ` +
                `top-1 ${top1Agree}/${top1Checked} clear positions, greedy ${same}/${greedy.length} identical`);
  } catch (e) {
    problems.push(e.stderr ? `${e.message} ${e.stderr}` : e.message);
    console.log(`FAIL ${c.name}`);
  } finally {
    await ctx?.dispose();
    await model?.dispose();
    fs.rmSync(file, {force: true});
    fs.rmSync(file + ".npy", {force: true});
  }
  for (const p of problems.slice(0, 8)) console.log(`     ${p}`);
  failures += problems.length ? 1 : 0;
}
await llama.dispose();
console.log(failures ? `${failures} file(s) disagree` : "all files load in llama.cpp and agree");
process.exit(failures ? 1 : 0);
