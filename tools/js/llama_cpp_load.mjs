// Loads node-llama-cpp's prebuilt CPU llama.cpp (@node-llama-cpp/linux-x64) without ever downloading or
// building anything, and records which CPU backend variant libggml picked. Shared by the GGUF interop test
// and bench/llama_cpp_bench.mjs.
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath, pathToFileURL} from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

// Returns {nlc, llama, backend, logs} or throws with {missing: true} when the package is absent.
export async function loadLlamaCpp({logLevel = "info"} = {}) {
  let nlc;
  try {
    nlc = await import(pathToFileURL(path.join(here, "node_modules/node-llama-cpp/dist/index.js")).href);
  } catch (e) {
    throw Object.assign(new Error(`node-llama-cpp is not installed in tools/js (run 'npm ci' there): ${e.message}`), {missing: true});
  }
  // A file without a tokenizer (tokenizer.ggml.model "none": llama.cpp adds vocab_size dummy tokens) loads in
  // libllama, but node-llama-cpp tokenizes a few strings while loading and llama.cpp asserts on tokenize()
  // without a tokenizer: there is no text to tokenize in such a model, so return no tokens instead.
  const tokenize = nlc.LlamaModel.prototype.tokenize;
  nlc.LlamaModel.prototype.tokenize = function (text, specialTokens, options) {
    if (this.vocabularyType === nlc.LlamaVocabularyType.none) return [];
    return tokenize.call(this, text, specialTokens, options);
  };
  const logs = [];
  let llama;
  try {
    llama = await nlc.getLlama({gpu: false, build: "never", usePrebuiltBinaries: true, skipDownload: true,
      progressLogs: false, logLevel, logger: (lvl, msg) => logs.push(`${lvl}: ${msg}`)});
  } catch (e) {
    throw Object.assign(new Error(`the prebuilt llama.cpp binding (@node-llama-cpp/linux-x64) did not load: ${e.message}`), {missing: true});
  }
  const line = logs.find((l) => /CPU backend|libggml-cpu/.test(l));
  return {nlc, llama, logs, backend: line ? line.trim() : null};
}

// The libggml-cpu-<variant>.so this process mapped (llama.cpp picks the best one for the CPU at load).
export function loadedCpuVariant() {
  try {
    const maps = fs.readFileSync("/proc/self/maps", "utf8");
    const m = maps.match(/libggml-cpu-([A-Za-z0-9_]+)\.so/);
    return m ? m[1] : "unknown";
  } catch {
    return "unknown";
  }
}
