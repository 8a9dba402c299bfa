// The tokenizer on hand-made tokenizer.json files: BPE merge order, ignore_merges, added tokens with
// lstrip/rstrip, the BOS template, byte fallback, streaming detokenization and malformed input.
#include <gtest/gtest.h>

#include "core/json.h"
#include "text/pre_tokenizer.h"
#include "text/stream_decoder.h"
#include "text/tokenizer.h"

namespace nt::text {
namespace {

// Byte-level vocabulary: all 256 byte symbols, then merged tokens.
Json byte_level_tokenizer(bool ignore_merges) {
  Json vocab = Json::object();
  int id = 0;
  for (int b = 0; b < 256; ++b) {
    std::string s;
    s = byte_level_encode(std::string(1, static_cast<char>(b)));
    vocab[s] = id++;
  }
  for (const char* t : {"he", "ll", "hell", "hello", "\xC4\xA0w", "or", "\xC4\xA0wor", "ld", "\xC4\xA0world", "lo"}) {
    vocab[t] = id++;
  }
  Json merges = Json::array({Json::array({"h", "e"}), Json::array({"l", "l"}), Json::array({"he", "ll"}),
                             Json::array({"hell", "o"}), Json::array({"\xC4\xA0", "w"}), Json::array({"o", "r"}),
                             Json::array({"\xC4\xA0w", "or"}), Json::array({"l", "d"}), Json::array({"\xC4\xA0wor", "ld"})});
  Json j = {
      {"version", "1.0"},
      {"added_tokens",
       Json::array({{{"id", 300}, {"content", "<s>"}, {"special", true}, {"lstrip", false}, {"rstrip", false}},
                    {{"id", 301}, {"content", "<|x|>"}, {"special", true}, {"lstrip", true}, {"rstrip", true}},
                    {{"id", 302}, {"content", "<|x|>y"}, {"special", false}}})},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         Json::array({{{"type", "Split"},
                       {"pattern", {{"Regex", "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"}}},
                       {"behavior", "Isolated"},
                       {"invert", false}},
                      {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}})}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", Json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}, {"ignore_merges", ignore_merges}}},
  };
  return j;
}

Tokenizer make(const Json& j, const std::string& config = "") {
  auto t = Tokenizer::from_json(j.dump(), config);
  EXPECT_TRUE(t.is_ok()) << t.status().message();
  return std::move(t).value();
}

std::vector<int32_t> enc(const Tokenizer& t, const std::string& s, bool special = true) {
  auto r = t.encode(s, special);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return r.is_ok() ? r.value() : std::vector<int32_t>{};
}

TEST(Tokenizer, MergesInRankOrder) {
  Tokenizer t = make(byte_level_tokenizer(false));
  const int32_t hello = t.token_to_id("hello"), world = t.token_to_id("\xC4\xA0world");
  EXPECT_EQ(enc(t, "hello world", false), (std::vector<int32_t>{hello, world}));
  EXPECT_EQ(enc(t, "hello world"), (std::vector<int32_t>{300, hello, world}));  // BOS from the template
  // "lo" is in the vocabulary but no merge makes it: without ignore_merges "lo" stays two bytes.
  EXPECT_EQ(enc(t, "lo", false), (std::vector<int32_t>{t.token_to_id("l"), t.token_to_id("o")}));
  EXPECT_EQ(t.bos_id(), -1);  // no tokenizer_config.json
}

TEST(Tokenizer, IgnoreMergesTakesWholeWords) {
  Tokenizer t = make(byte_level_tokenizer(true));
  EXPECT_EQ(enc(t, "lo", false), (std::vector<int32_t>{t.token_to_id("lo")}));
}

TEST(Tokenizer, AddedTokensSplitFirstWithStripping) {
  Tokenizer t = make(byte_level_tokenizer(false));
  const int32_t sp = t.token_to_id("\xC4\xA0");
  // <|x|> strips the whitespace on both sides; the longest added token wins ("<|x|>y").
  EXPECT_EQ(enc(t, "a  <|x|>  b", false), (std::vector<int32_t>{t.token_to_id("a"), 301, t.token_to_id("b")}));
  EXPECT_EQ(enc(t, "<|x|>yb", false), (std::vector<int32_t>{302, t.token_to_id("b")}));
  EXPECT_EQ(enc(t, " <s> ", false), (std::vector<int32_t>{sp, 300, sp}));
}

TEST(Tokenizer, DecodeRoundTripAndSpecialSkipping) {
  Tokenizer t = make(byte_level_tokenizer(false));
  for (std::string s : {"hello world", "héllo wörld 中文 😀", "  \n\t x", "<s>hello<|x|>y"}) {
    auto ids = enc(t, s, false);
    auto back = t.decode(ids);
    ASSERT_TRUE(back.is_ok());
    EXPECT_EQ(back.value(), s);
  }
  DecodeOptions skip;
  skip.skip_special_tokens = true;
  EXPECT_EQ(t.decode(enc(t, "hello<s>"), skip).value(), "hello");
  EXPECT_FALSE(t.decode({100000}).is_ok());  // no such id: an error, not a crash
}

TEST(Tokenizer, InvalidUtf8IsReplaced) {
  Tokenizer t = make(byte_level_tokenizer(false));
  auto ids = enc(t, "a\xFF\xE4\xB8", false);
  EXPECT_EQ(t.decode(ids).value(), "a\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(StreamDecoder, NeverEmitsPartialCodePoints) {
  Tokenizer t = make(byte_level_tokenizer(false));
  const std::string text = "h\xC3\xA9 \xE4\xB8\xAD\xF0\x9F\x98\x80 x";
  auto ids = enc(t, text, false);  // one token per byte for the multi-byte characters
  ASSERT_GT(ids.size(), 8u);
  StreamDecoder sd(t);
  std::string all;
  for (int32_t id : ids) {
    auto piece = sd.push(id);
    ASSERT_TRUE(piece.is_ok());
    std::string p = piece.value();
    EXPECT_TRUE(p.empty() || (static_cast<unsigned char>(p[0]) & 0xC0) != 0x80) << "starts mid-character";
    EXPECT_EQ(p, std::string(p.data(), p.size()));
    all += p;
    // Every emitted prefix is valid UTF-8 on its own.
    size_t pos = 0;
    while (pos < all.size()) {
      unsigned char b = all[pos];
      size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
      ASSERT_LE(pos + n, all.size()) << "partial code point emitted";
      pos += n;
    }
  }
  all += sd.flush();
  EXPECT_EQ(all, text);
}

TEST(StreamDecoder, ByteFallbackAndMetaspace) {
  // A SentencePiece-style BPE: Metaspace-like decoding with <0xXX> byte tokens.
  Json vocab = {{"<unk>", 0}, {"\xE2\x96\x81", 1}, {"a", 2}, {"\xE2\x96\x81" "a", 3}};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    vocab[name] = 4 + b;
  }
  Json j = {{"added_tokens", Json::array()},
            {"normalizer", {{"type", "Sequence"}, {"normalizers", Json::array({{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}},
                                                                              {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}}})}}},
            {"pre_tokenizer", nullptr},
            {"decoder", {{"type", "Sequence"},
                         {"decoders", Json::array({{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                                                   {{"type", "ByteFallback"}}, {{"type", "Fuse"}},
                                                   {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}})}}},
            {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", Json::array({"\xE2\x96\x81 a"})},
                       {"byte_fallback", true}, {"unk_token", "<unk>"}}}};
  Tokenizer t = make(j);
  const std::string text = "a \xE4\xB8\xAD a";
  auto ids = enc(t, text, false);
  EXPECT_EQ(ids, (std::vector<int32_t>{3, 1, 4 + 0xE4, 4 + 0xB8, 4 + 0xAD, 3}));
  EXPECT_EQ(t.decode(ids).value(), text);
  StreamDecoder sd(t);
  std::vector<std::string> pieces;
  for (int32_t id : ids) pieces.push_back(sd.push(id).value());
  EXPECT_EQ(pieces, (std::vector<std::string>{"a", " ", "", "", "\xE4\xB8\xAD", " a"}));
  EXPECT_EQ(sd.flush(), "");
  // A sequence cut short is flushed as U+FFFD.
  StreamDecoder cut(t);
  EXPECT_EQ(cut.push(4 + 0xE4).value(), "");
  EXPECT_EQ(cut.flush(), "\xEF\xBF\xBD");
}

TEST(Tokenizer, MalformedTokenizerJsonIsAClearError) {
  auto expect_error = [](const std::string& json, const std::string& needle) {
    auto t = Tokenizer::from_json(json);
    ASSERT_FALSE(t.is_ok()) << json;
    EXPECT_NE(t.status().message().find(needle), std::string::npos) << t.status().message();
  };
  expect_error("{", "invalid JSON");
  expect_error("[]", "object");
  expect_error("{\"model\": {\"type\": \"BPE\", \"merges\": []}}", "vocab");
  expect_error("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}", "unsupported model type");
  expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"x\"}, \"merges\": []}}", "model.vocab");
  expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -3}, \"merges\": []}}", "negative");
  expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [[\"a\"]]}}", "merge");
  expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"pre_tokenizer\": "
               "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"(a\"}}}", "regex");
  expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"normalizer\": {\"type\": \"Magic\"}}",
               "unsupported type 'Magic'");
  expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"added_tokens\": [{\"id\": 1}]}",
               "added token");
  expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, }, \"merges\": []}}", "model.vocab");
  auto missing = Tokenizer::load("/nonexistent/dir");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("tokenizer.json"), std::string::npos);
}

TEST(Tokenizer, TruncatedAndMutatedJsonNeverCrashes) {
  const std::string good = byte_level_tokenizer(false).dump();
  for (size_t n = 0; n < good.size(); n += 7) {
    auto t = Tokenizer::from_json(good.substr(0, n));
    EXPECT_FALSE(t.is_ok()) << "a truncated document loaded (" << n << " bytes)";
  }
  uint32_t seed = 1;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = good;
    for (int k = 0; k < 3; ++k) {
      seed = seed * 1103515245 + 12345;
      bad[(seed >> 8) % bad.size()] = "{}[]\",:0a- \\"[(seed >> 4) % 12];
    }
    auto t = Tokenizer::from_json(bad);  // either a clear error or a usable tokenizer
    if (t.is_ok()) (void)t->encode("hello world <s>");
  }
}

}  // namespace
}  // namespace nt::text
