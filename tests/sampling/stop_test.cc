#include "sampling/stop.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nt {
namespace {

struct Fed {
  std::string text;
  bool stopped = false;
  int stop_index = -1;
};

// Feeds `pieces` and collects what the matcher emits (flushing at the end when no stop was hit).
Fed feed(StopMatcher& m, const std::vector<std::string>& pieces) {
  Fed out;
  for (const auto& p : pieces) {
    auto o = m.push(p);
    out.text += o.text;
    if (o.stopped) {
      out.stopped = true;
      out.stop_index = o.stop_index;
      break;
    }
  }
  if (!out.stopped) out.text += m.flush();
  return out;
}

// Independent check that a string is valid UTF-8 (structure only).
bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

TEST(Utf8, IncompleteSuffix) {
  EXPECT_EQ(incomplete_utf8_suffix(""), 0u);
  EXPECT_EQ(incomplete_utf8_suffix("abc"), 0u);
  EXPECT_EQ(incomplete_utf8_suffix("a\xC3"), 1u);
  EXPECT_EQ(incomplete_utf8_suffix("a\xC3\xA9"), 0u);
  EXPECT_EQ(incomplete_utf8_suffix("\xE2\x86"), 2u);
  EXPECT_EQ(incomplete_utf8_suffix("\xE2\x86\x92"), 0u);
  EXPECT_EQ(incomplete_utf8_suffix("x\xF0\x9F\x98"), 3u);
  EXPECT_EQ(incomplete_utf8_suffix("x\xF0\x9F\x98\x80"), 0u);
  EXPECT_EQ(incomplete_utf8_suffix("\x80\x80\x80\x80"), 0u);  // invalid: nothing to wait for
  EXPECT_EQ(incomplete_utf8_suffix("\x80"), 0u);
}

TEST(StopMatcher, StopSplitAcrossPiecesIsNeverEmitted) {
  StopMatcher m({"###"});
  auto a = m.push("ab#");
  EXPECT_EQ(a.text, "ab");
  EXPECT_FALSE(a.stopped);
  auto b = m.push("#");
  EXPECT_EQ(b.text, "");
  auto c = m.push("#cd");
  EXPECT_TRUE(c.stopped);
  EXPECT_EQ(c.text, "");
  EXPECT_EQ(c.stop_index, 0);
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.push("more").text, "");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, EveryTwoAndThreeWaySplit) {
  const std::string text = "Hello wor<|e|>ld<|end|> trailing";
  const std::string expected = "Hello wor<|e|>ld";
  for (size_t i = 0; i <= text.size(); ++i) {
    for (size_t j = i; j <= text.size(); ++j) {
      StopMatcher m({"<|end|>", "STOP"});
      Fed f = feed(m, {text.substr(0, i), text.substr(i, j - i), text.substr(j)});
      ASSERT_TRUE(f.stopped) << i << "," << j;
      EXPECT_EQ(f.text, expected) << i << "," << j;
      EXPECT_EQ(f.stop_index, 0);
    }
  }
  // Byte by byte.
  StopMatcher m({"<|end|>"});
  std::vector<std::string> bytes;
  for (char c : text) bytes.push_back(std::string(1, c));
  EXPECT_EQ(feed(m, bytes).text, expected);
}

TEST(StopMatcher, FalsePrefixIsReleased) {
  StopMatcher m({"abc"});
  auto a = m.push("xab");
  EXPECT_EQ(a.text, "x");
  EXPECT_EQ(m.held_bytes(), 2u);
  auto b = m.push("ab");  // "abab": "ab" can still start "abc"
  EXPECT_EQ(b.text, "ab");
  auto c = m.push("x");
  EXPECT_EQ(c.text, "abx");
  EXPECT_FALSE(c.stopped);
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, NoStopFlushesEverything) {
  StopMatcher m({"zzz"});
  Fed f = feed(m, {"ab", "cz", "z"});
  EXPECT_FALSE(f.stopped);
  EXPECT_EQ(f.text, "abczz");
}

TEST(StopMatcher, EarliestMatchWinsThenListOrder) {
  {
    StopMatcher m({"bc", "abcd"});
    Fed f = feed(m, {"xabcde"});
    EXPECT_TRUE(f.stopped);
    EXPECT_EQ(f.text, "x");
    EXPECT_EQ(f.stop_index, 1);
  }
  {
    StopMatcher m({"ab", "abc"});
    Fed f = feed(m, {"xa", "bc"});
    EXPECT_EQ(f.text, "x");
    EXPECT_EQ(f.stop_index, 0);
  }
  {
    // Empty stop strings are ignored but indices still refer to the caller's list.
    StopMatcher m({"", "end"});
    Fed f = feed(m, {"the en", "d"});
    EXPECT_EQ(f.text, "the ");
    EXPECT_EQ(f.stop_index, 1);
  }
}

TEST(StopMatcher, NoStopStringsPassesTextThrough) {
  StopMatcher m({});
  EXPECT_EQ(m.push("abc").text, "abc");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, Utf8IsNeverBrokenByHoldingBack) {
  const std::string text = "h\xC3\xA9llo \xE2\x86\x92 w\xC3\xB6rld \xF0\x9F\x98\x80 \xE2\x86\x92\xC3\xA9nd";
  for (const std::vector<std::string>& stops :
       {std::vector<std::string>{}, std::vector<std::string>{"\xE2\x86\x92\xC3\xA9n"}, std::vector<std::string>{"\xC3\xB6X"}}) {
    // Byte-by-byte pieces split every multi-byte character.
    StopMatcher m(stops);
    std::string all;
    for (char c : text) {
      auto o = m.push(std::string(1, c));
      EXPECT_TRUE(valid_utf8(o.text)) << "emitted a broken character";
      all += o.text;
      if (o.stopped) break;
    }
    if (!m.stopped()) all += m.flush();
    std::string expected = text;
    for (const auto& s : stops) {
      size_t p = text.find(s);
      if (p != std::string::npos) expected = text.substr(0, p);
    }
    EXPECT_EQ(all, expected);
    EXPECT_LE(m.held_bytes(), 8u);
  }
}

TEST(EosIds, CollectsAndDedupes) {
  Json gen = Json::parse(R"({"eos_token_id": [2, 11], "bos_token_id": 1})");
  Json cfg = Json::parse(R"({"eos_token_id": 2})");
  auto ids = collect_eos_ids(&gen, &cfg, 11);
  ASSERT_TRUE(ids.is_ok()) << ids.status().message();
  EXPECT_EQ(*ids, (std::vector<int32_t>{2, 11}));

  Json cfg12 = Json::parse(R"({"eos_token_id": 2})");
  ids = collect_eos_ids(nullptr, &cfg12, 12);
  ASSERT_TRUE(ids.is_ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{2, 12}));

  Json null_eos = Json::parse(R"({"eos_token_id": null})");
  Json no_eos = Json::parse(R"({"vocab_size": 5})");
  ids = collect_eos_ids(&null_eos, &no_eos, std::nullopt);
  ASSERT_TRUE(ids.is_ok());
  EXPECT_TRUE(ids->empty());

  ids = collect_eos_ids(nullptr, nullptr, 0);
  ASSERT_TRUE(ids.is_ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{0}));
}

TEST(EosIds, RejectsBadValues) {
  for (const char* text : {R"({"eos_token_id": "2"})", R"({"eos_token_id": [2, "x"]})", R"({"eos_token_id": -1})",
                           R"({"eos_token_id": 2.5})", R"({"eos_token_id": 99999999999})", R"({"eos_token_id": {}})",
                           R"([2])"}) {
    Json j = Json::parse(text);
    auto ids = collect_eos_ids(&j, nullptr, std::nullopt);
    EXPECT_FALSE(ids.is_ok()) << text;
    if (!ids.is_ok()) {
      EXPECT_NE(ids.status().message().find("generation_config.json"), std::string::npos);
    }
  }
  EXPECT_FALSE(collect_eos_ids(nullptr, nullptr, -3).is_ok());
}

}  // namespace
}  // namespace nt
