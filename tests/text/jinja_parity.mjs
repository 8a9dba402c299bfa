// Parity test: renders chat templates x conversations x template variables with the reference renderer
// (npm @huggingface/jinja, `new Template(src).render(ctx)`) and with `nemotron render --template T --request R
// --out O`, and demands byte-identical output. Where the reference throws (raise_exception, an undefined
// value in `+`), `nemotron render` must fail too.
//
// usage: node jinja_parity.mjs <path to nemotron> <tools/js directory>
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const [cliPath, jsDir] = process.argv.slice(2);
if (!cliPath || !jsDir) {
  console.error("usage: node jinja_parity.mjs <nemotron> <tools/js dir>");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(jsDir), "package.json"));
const { Template } = require("@huggingface/jinja");

const here = path.dirname(fileURLToPath(import.meta.url));
const templateDir = path.resolve(here, "../data/templates");
const { conversations, miniCases } = await import("./jinja_parity_cases.mjs");

// Template variables per template: each conversation is rendered under every combination listed.
const NANO_V2 = "NVIDIA-Nemotron-Nano-v2.jinja";
const NANO_3 = "NVIDIA-Nemotron-3-Nano-30B-A3B-BF16.jinja";
const variableSets = {
  [NANO_V2]: [{ add_generation_prompt: true }, { add_generation_prompt: false },
              { add_generation_prompt: false, continue_final_message: false },
              { add_generation_prompt: false, continue_final_message: true }],
  [NANO_3]: [{ add_generation_prompt: true }, { add_generation_prompt: false },
             { add_generation_prompt: true, enable_thinking: true }, { add_generation_prompt: true, enable_thinking: false },
             { add_generation_prompt: false, enable_thinking: false, truncate_history_thinking: false },
             { add_generation_prompt: true, truncate_history_thinking: false }],
  default: [{ add_generation_prompt: true, bos_token: "<s>", eos_token: "</s>" },
            { add_generation_prompt: false, bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>", enable_thinking: false }],
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), "jinja-parity-"));
let checked = 0, failures = 0, referenceErrors = 0;

function reportFailure(label, message) {
  failures++;
  if (failures <= 20) console.error(`FAIL ${label}: ${message}`);
}

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `first difference at byte ${i}: expected ${JSON.stringify(a.slice(i, i + 60))}, got ${JSON.stringify(b.slice(i, i + 60))}`;
}

function runCli(args) {
  return new Promise((resolve) => {
    execFile(cliPath, args, { encoding: "utf8" }, (error, stdout, stderr) => {
      resolve({ status: error ? (error.code ?? 1) : 0, stderr });
    });
  });
}

async function check(label, templatePath, templateSource, context) {
  const id = checked++;
  let expected = null, referenceError = null;
  try {
    expected = new Template(templateSource).render(context);
  } catch (e) {
    referenceError = e;
    referenceErrors++;
  }
  const requestPath = path.join(work, `request${id}.json`);
  const outPath = path.join(work, `out${id}.txt`);
  fs.writeFileSync(requestPath, JSON.stringify(context));
  const r = await runCli(["render", "--template", templatePath, "--request", requestPath, "--out", outPath]);
  if (referenceError) {
    if (r.status === 0) reportFailure(label, `reference failed (${referenceError.message}) but nemotron render succeeded`);
    else if (!r.stderr.includes("nemotron render:")) reportFailure(label, `unexpected failure output: ${r.stderr}`);
    return;
  }
  if (r.status !== 0) {
    reportFailure(label, `nemotron render failed: ${r.stderr.trim()}`);
    return;
  }
  const got = fs.readFileSync(outPath);
  const want = Buffer.from(expected, "utf8");
  if (!got.equals(want)) reportFailure(label, firstDifference(want.toString("latin1"), got.toString("latin1")));
}

// Renders run a few at a time: the cost is mostly process start-up.
const jobs = [];
const enqueue = (...args) => jobs.push(args);

const templates = fs.readdirSync(templateDir).filter((f) => f.endsWith(".jinja")).sort();
if (!templates.includes(NANO_V2) || !templates.includes(NANO_3)) {
  console.error(`missing the official Nemotron templates in ${templateDir}`);
  process.exit(1);
}
for (const name of templates) {
  const templatePath = path.join(templateDir, name);
  const source = fs.readFileSync(templatePath, "utf8");
  for (const [convName, conv] of Object.entries(conversations)) {
    for (const vars of variableSets[name] ?? variableSets.default) {
      enqueue(`${name} / ${convName} / ${JSON.stringify(vars)}`, templatePath, source, { ...conv, ...vars });
    }
  }
}

// Small templates aimed at one semantic each (printing, operators, filters, whitespace control).
miniCases.forEach(([source, context], i) => {
  const templatePath = path.join(work, `mini${i}.jinja`);
  fs.writeFileSync(templatePath, source);
  enqueue(`mini case ${i}: ${JSON.stringify(source).slice(0, 80)}`, templatePath, source, context ?? {});
});

const workers = Array.from({ length: 4 }, async () => {
  while (jobs.length > 0) await check(...jobs.shift());
});
await Promise.all(workers);
fs.rmSync(work, { recursive: true, force: true });
console.log(`${checked} renders compared (${referenceErrors} where the reference fails), ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
