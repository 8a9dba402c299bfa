// The tokenizer built from GGUF metadata (tokenizer.ggml.*): token types, special-token parsing, BOS/EOS,
// end-of-generation ids, the pre-tokenizer table, and clear errors for malformed metadata. The bundled model
// exported to GGUF must give the same text as its safetensors directory through every text command.
#include <functional>

#include <gtest/gtest.h>

#include "core/json.h"
#include "core/mapped_file.h"
#include "formats/gguf.h"
#include "formats/gguf_tokenizer.h"
#include "gguf_test_util.h"
#include "test_util.h"
#include "text/gguf_vocab.h"

namespace nt {
namespace {

using KVs = std::vector<std::pair<std::string, GgufValue>>;

// A byte-level vocabulary: "Ġ" is the space.
KVs base_kvs() {
  return {
      {"general.architecture", GgufValue::string("llama")},
      {"tokenizer.ggml.model", GgufValue::string("gpt2")},
      {"tokenizer.ggml.pre", GgufValue::string("llama-bpe")},
      {"tokenizer.ggml.tokens", GgufValue::string_array({"a", "b", "ab", "\xC4\xA0", "\xC4\xA0" "ab", "<s>", "</s>",
                                                         "<tool>", "[PAD8]", "<|im_end|>", "s", "<", ">"})},
      {"tokenizer.ggml.token_type", GgufValue::i32_array({1, 1, 1, 1, 1, 3, 3, 4, 5, 3, 1, 1, 1})},
      {"tokenizer.ggml.merges", GgufValue::string_array({"a b", "\xC4\xA0 ab"})},
      {"tokenizer.ggml.bos_token_id", GgufValue::u32(5)},
      {"tokenizer.ggml.eos_token_id", GgufValue::u32(6)},
      {"tokenizer.ggml.add_bos_token", GgufValue::boolean(true)},
      {"tokenizer.chat_template", GgufValue::string("{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}")},
  };
}

std::string write(const KVs& kvs, const std::string& name) {
  const std::string path = gguf_test::temp_path(name);
  auto w = GgufWriter::create(path);
  EXPECT_TRUE(w.is_ok());
  for (const auto& [k, v] : kvs) EXPECT_TRUE((*w)->add(k, v).is_ok()) << k;
  EXPECT_TRUE((*w)->finish().is_ok());
  return path;
}

KVs with(KVs kvs, const std::string& key, std::optional<GgufValue> value) {
  std::erase_if(kvs, [&](const auto& e) { return e.first == key; });
  if (value) kvs.emplace_back(key, *value);
  return kvs;
}

Result<text::Tokenizer> load(const KVs& kvs, const std::string& name = "t.gguf") {
  return load_model_tokenizer(write(kvs, name));
}

TEST(GgufTokenizer, TokenTypesSpecialsAndBos) {
  auto t = load(base_kvs());
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  EXPECT_EQ(*t->encode("ab ab"), (std::vector<int32_t>{5, 2, 4}));
  EXPECT_EQ(*t->encode("ab ab", /*add_special_tokens=*/false), (std::vector<int32_t>{2, 4}));
  // Control tokens are matched in text only with parse_special; user-defined ones always.
  EXPECT_EQ(*t->encode("<s>ab", false, true), (std::vector<int32_t>{5, 2}));
  EXPECT_EQ(*t->encode("<s>ab", false, false), (std::vector<int32_t>{11, 10, 12, 2}));
  EXPECT_EQ(*t->encode("<tool>ab", false, false), (std::vector<int32_t>{7, 2}));
  // Unused slots have no token; the others decode, control tokens skippable.
  EXPECT_FALSE(t->id_to_token(8).is_ok());
  EXPECT_EQ(*t->decode({5, 2, 4, 7, 6}), "<s>ab ab<tool></s>");
  text::DecodeOptions skip;
  skip.skip_special_tokens = true;
  EXPECT_EQ(*t->decode({5, 2, 4, 7, 6}, skip), "ab ab<tool>");
  EXPECT_EQ(t->bos_id(), 5);
  EXPECT_EQ(t->eos_id(), 6);
  // End of generation: eos plus llama.cpp's end-of-turn texts.
  EXPECT_EQ(t->eos_ids(), (std::vector<int32_t>{6, 9}));
  auto no_bos = load(with(base_kvs(), "tokenizer.ggml.add_bos_token", GgufValue::boolean(false)), "nobos.gguf");
  ASSERT_TRUE(no_bos.is_ok());
  EXPECT_EQ(*no_bos->encode("ab"), (std::vector<int32_t>{2}));
  // Without the key, llama.cpp's default for the name: llama-bpe adds BOS, qwen2 does not.
  auto def = load(with(base_kvs(), "tokenizer.ggml.add_bos_token", std::nullopt), "def.gguf");
  EXPECT_EQ(*def->encode("ab"), (std::vector<int32_t>{5, 2}));
  auto qwen = load(with(with(base_kvs(), "tokenizer.ggml.add_bos_token", std::nullopt), "tokenizer.ggml.pre",
                        GgufValue::string("qwen2")), "qwen.gguf");
  EXPECT_EQ(*qwen->encode("ab"), (std::vector<int32_t>{2}));
  auto eos = load(with(base_kvs(), "tokenizer.ggml.add_eos_token", GgufValue::boolean(true)), "eos.gguf");
  EXPECT_EQ(*eos->encode("ab"), (std::vector<int32_t>{5, 2, 6}));
}

TEST(GgufTokenizer, ChatTemplateFromMetadata) {
  const std::string path = write(base_kvs(), "chat.gguf");
  auto src = load_model_chat_template(path);
  ASSERT_TRUE(src.is_ok()) << src.status().message();
  EXPECT_EQ(src->special_tokens["bos_token"], "<s>");
  EXPECT_EQ(src->special_tokens["eos_token"], "</s>");
  auto none = load_model_chat_template(write(with(base_kvs(), "tokenizer.chat_template", std::nullopt), "nochat.gguf"));
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.status().message().find("no chat template"), std::string::npos);
}

TEST(GgufTokenizer, EveryPreTokenizerNameBuilds) {
  for (const auto& spec : text::pre_tokenizer_specs()) {
    for (const auto& name : spec.names) {
      auto t = load(with(base_kvs(), "tokenizer.ggml.pre", GgufValue::string(name)), "pre.gguf");
      ASSERT_TRUE(t.is_ok()) << name << ": " << t.status().message();
      auto ids = t->encode("ab ab 123 x\n\n  y", false);
      EXPECT_TRUE(ids.is_ok()) << name;
    }
    EXPECT_EQ(text::find_pre_tokenizer(spec.names[0]), &spec);
    EXPECT_EQ(text::pre_tokenizer_for_regexes(spec.regexes)->names[0], spec.names[0] == "pixtral" ? "tekken" : spec.names[0]);
  }
  // A missing name is llama.cpp's "default".
  EXPECT_TRUE(load(with(base_kvs(), "tokenizer.ggml.pre", std::nullopt), "nopre.gguf").is_ok());
}

void expect_error(const KVs& kvs, const std::string& needle) {
  auto t = load(kvs, "bad.gguf");
  ASSERT_FALSE(t.is_ok()) << "expected an error containing: " << needle;
  EXPECT_NE(t.status().message().find(needle), std::string::npos) << t.status().message();
  EXPECT_NE(t.status().message().find("bad.gguf"), std::string::npos) << t.status().message();
}

TEST(GgufTokenizer, MalformedMetadataGivesClearErrors) {
  expect_error(with(base_kvs(), "tokenizer.ggml.tokens", GgufValue::i32_array({1, 2})),
               "gguf key 'tokenizer.ggml.tokens': expected array of string, found array of i32");
  expect_error(with(base_kvs(), "tokenizer.ggml.tokens", GgufValue::u32(3)), "tokenizer.ggml.tokens");
  expect_error(with(base_kvs(), "tokenizer.ggml.token_type", GgufValue::i32_array({1, 1, 1})),
               "tokenizer.ggml.token_type has 3 entries but tokenizer.ggml.tokens has 13");
  expect_error(with(base_kvs(), "tokenizer.ggml.token_type", GgufValue::string_array({"a"})), "tokenizer.ggml.token_type");
  expect_error(with(base_kvs(), "tokenizer.ggml.token_type", GgufValue::i32_array({1, 1, 1, 1, 1, 3, 3, 4, 5, 3, 1, 1, 9})),
               "tokenizer.ggml.token_type[12] = 9: expected 0..6");
  expect_error(with(base_kvs(), "tokenizer.ggml.merges", GgufValue::string_array({"a b", "a zz"})),
               "tokenizer.ggml.merges[1] = 'a zz' names 'zz', which is not in tokenizer.ggml.tokens");
  expect_error(with(base_kvs(), "tokenizer.ggml.merges", GgufValue::string_array({"ab"})),
               "expected two tokens separated by a space");
  expect_error(with(base_kvs(), "tokenizer.ggml.merges", GgufValue::i32_array({1})), "tokenizer.ggml.merges");
  expect_error(with(base_kvs(), "tokenizer.ggml.merges", std::nullopt), "needs tokenizer.ggml.merges");
  expect_error(with(base_kvs(), "tokenizer.ggml.bos_token_id", GgufValue::u32(4000000000u)),
               "tokenizer.ggml.bos_token_id = 4000000000 is outside the vocabulary (13 tokens)");
  expect_error(with(base_kvs(), "tokenizer.ggml.eos_token_id", GgufValue::i64(-7)), "eos_token_id = -7");
  expect_error(with(base_kvs(), "tokenizer.ggml.eos_token_id", GgufValue::string("2")), "tokenizer.ggml.eos_token_id");
  expect_error(with(base_kvs(), "tokenizer.ggml.add_bos_token", GgufValue::u32(1)), "tokenizer.ggml.add_bos_token");
  expect_error(with(base_kvs(), "tokenizer.ggml.pre", GgufValue::string("no-such-pre")),
               "tokenizer.ggml.pre 'no-such-pre' is not a supported pre-tokenizer");
  expect_error(with(base_kvs(), "tokenizer.ggml.model", GgufValue::string("llama")), "'llama' is not supported");
  expect_error(with(base_kvs(), "tokenizer.ggml.model", GgufValue::string("bogus")), "expected 'gpt2'");
  expect_error(with(base_kvs(), "tokenizer.ggml.model", std::nullopt), "no tokenizer");
  expect_error(with(base_kvs(), "tokenizer.ggml.tokens", GgufValue::string_array({})), "tokenizer.ggml.tokens is empty");
}

// ---- the bundled model through GGUF ---------------------------------------------------------------

std::string model_dir() { return test::source_dir() + "/models/nemotron-brown-tiny"; }

class BundledGguf : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new test::TempDir();
    gguf_ = tmp_->file("brown.gguf");
    auto r = test::run_cli({"quantize", "-m", model_dir(), "--type", "f32", "--out", gguf_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete tmp_; }
  static test::TempDir* tmp_;
  static std::string gguf_;
};
test::TempDir* BundledGguf::tmp_ = nullptr;
std::string BundledGguf::gguf_;

void expect_same_output(const std::vector<std::string>& args, const std::string& gguf) {
  std::vector<std::string> a = args, b = args;
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    if (a[i] == "-m" || a[i] == "--model") b[i + 1] = gguf;
  }
  auto ra = test::run_cli(a), rb = test::run_cli(b);
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  EXPECT_FALSE(ra.out.empty());
  EXPECT_EQ(ra.out, rb.out) << args[0];
}

TEST_F(BundledGguf, GeneratesTheSameTextAsSafetensors) {
  const std::string prompt = "The jury said that the city";
  expect_same_output({"run", "-m", model_dir(), "-p", prompt, "-n", "40", "--temp", "0", "--threads", "2"}, gguf_);
  expect_same_output({"run", "-m", model_dir(), "-p", prompt, "-n", "40", "--temp", "0.8", "--top-k", "40", "--seed", "7",
                      "--threads", "2"}, gguf_);
  // Chat: the template, its special tokens and the end-of-turn ids come from the GGUF metadata.
  expect_same_output({"run", "-m", model_dir(), "--chat", "--no-think", "-p", "Tell me about the jury.", "-n", "40",
                      "--temp", "0", "--threads", "2"}, gguf_);
}

TEST_F(BundledGguf, TextCommandsAcceptTheGgufFile) {
  expect_same_output({"tokenize", "-m", model_dir(), "--text", "The jury <|im_start|>user\nit's 1962.<|im_end|>"}, gguf_);
  expect_same_output({"detokenize", "-m", model_dir(), "--ids", "1,439,318,125,913,46,11,352"}, gguf_);
  test::TempDir tmp;
  test::write_file(tmp.file("req.json"), R"({"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": true})");
  expect_same_output({"render", "--model", model_dir(), "--request", tmp.file("req.json")}, gguf_);
  auto info = test::run_cli({"info", "-m", gguf_});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("M-M*-M-M-"), std::string::npos) << info.out;
}

}  // namespace
}  // namespace nt
