// Encodes texts with @lenml/tokenizers (an independent implementation of the Hugging Face tokenizer
// pipeline) from a model directory's tokenizer.json + tokenizer_config.json.
// usage: node check_tokenizer.js JS_DIR MODEL_DIR < texts.json  ->  stdout: JSON list of id lists
"use strict";
const fs = require("fs");
const path = require("path");

const [jsDir, modelDir] = process.argv.slice(2);
const { TokenizerLoader } = require(path.resolve(jsDir, "node_modules", "@lenml", "tokenizers"));
const tokenizer = TokenizerLoader.fromPreTrained({
  tokenizerJSON: JSON.parse(fs.readFileSync(path.join(modelDir, "tokenizer.json"), "utf8")),
  tokenizerConfig: JSON.parse(fs.readFileSync(path.join(modelDir, "tokenizer_config.json"), "utf8")),
});
const texts = JSON.parse(fs.readFileSync(0, "utf8"));
const out = texts.map((t) => Array.from(tokenizer.encode(t)));
process.stdout.write(JSON.stringify(out));
