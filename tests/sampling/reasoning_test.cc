#include "sampling/reasoning.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nt {
namespace {

// Feeds `text` cut at the positions whose bit is set in `cuts` (bit i = cut after byte i).
ReasoningDelta feed_chunked(const std::string& text, uint64_t cuts, bool opened) {
  ReasoningSplitter s(opened);
  ReasoningDelta all;
  size_t start = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (cuts >> i & 1) {
      auto d = s.push(std::string_view(text).substr(start, i + 1 - start));
      all.reasoning += d.reasoning;
      all.content += d.content;
      start = i + 1;
    }
  }
  auto d = s.push(std::string_view(text).substr(start));
  all.reasoning += d.reasoning;
  all.content += d.content;
  d = s.finish();
  all.reasoning += d.reasoning;
  all.content += d.content;
  return all;
}

struct Case {
  std::string text;
  bool opened;
  std::string reasoning;
  std::string content;
};

// Expected values written by hand from the rules in reasoning.h.
const std::vector<Case> kCases = {
    {"Let me think.\n</think>\n\nThe answer is 4.", true, "Let me think.", "The answer is 4."},
    {"thinking forever, no end", true, "thinking forever, no end", ""},
    {"<think>\nabc</think>x", true, "abc", "x"},
    {"\n</think>\n\nanswer", true, "", "answer"},
    {"a</think>b<think>c</think>d", true, "a", "b<think>c</think>d"},
    {"two  words\n\n</think>", true, "two  words", ""},
    {"Just an answer.", false, "", "Just an answer."},
    {"pre\n<think>r1\nr2\n</think>\nans", false, "r1\nr2", "pre\nans"},
    {"<think>unclosed", false, "unclosed", ""},
    {"a <thinking> b < think", false, "", "a <thinking> b < think"},
    {"ends with partial </thi", true, "ends with partial </thi", ""},
    {"ends with partial <thi", false, "", "ends with partial <thi"},
    {"x</think", true, "x</think", ""},
};

TEST(ReasoningSplitter, OneShotCases) {
  for (const auto& c : kCases) {
    auto d = split_reasoning(c.text, c.opened);
    EXPECT_EQ(d.reasoning, c.reasoning) << c.text;
    EXPECT_EQ(d.content, c.content) << c.text;
  }
}

TEST(ReasoningSplitter, EveryChunkingOfShortStrings) {
  // All 2^(n-1) ways to cut each string into pieces.
  const std::vector<Case> short_cases = {
      {"<think>ab</think>cd", false, "ab", "cd"},
      {"r <think>x</think>\ny", true, "r x", "y"},
      {"a\n</think>\n<think>", true, "a", "<think>"},
      {"p<th<think>q</thi", false, "q</thi", "p<th"},
  };
  for (const auto& c : short_cases) {
    ASSERT_LE(c.text.size(), 20u);
    const uint64_t n = uint64_t(1) << (c.text.size() - 1);
    for (uint64_t cuts = 0; cuts < n; ++cuts) {
      auto d = feed_chunked(c.text, cuts, c.opened);
      ASSERT_EQ(d.reasoning, c.reasoning) << c.text << " cuts " << cuts;
      ASSERT_EQ(d.content, c.content) << c.text << " cuts " << cuts;
    }
  }
}

TEST(ReasoningSplitter, EveryTwoAndThreeWaySplitOfLongCases) {
  for (const auto& c : kCases) {
    const size_t n = c.text.size();
    for (size_t i = 1; i < n; ++i) {
      for (size_t j = i; j < n; ++j) {
        uint64_t cuts = (uint64_t(1) << (i - 1)) | (uint64_t(1) << (j - 1));
        auto d = feed_chunked(c.text, cuts, c.opened);
        ASSERT_EQ(d.reasoning, c.reasoning) << c.text << " " << i << "," << j;
        ASSERT_EQ(d.content, c.content) << c.text << " " << i << "," << j;
      }
    }
  }
}

TEST(ReasoningSplitter, TracksPhase) {
  ReasoningSplitter s(true);
  EXPECT_TRUE(s.in_reasoning());
  s.push("abc </thi");
  EXPECT_TRUE(s.in_reasoning());
  EXPECT_FALSE(s.reasoning_closed());
  s.push("nk> done");
  EXPECT_FALSE(s.in_reasoning());
  EXPECT_TRUE(s.reasoning_closed());
  ReasoningSplitter off(false);
  EXPECT_FALSE(off.in_reasoning());
  EXPECT_FALSE(off.reasoning_closed());
}

// Simulates an engine: the "model" produces `tokens` in order; forced text replaces sampling.
struct SimRun {
  std::string text;
  int sampled = 0;
  int32_t reasoning_tokens = 0;
};
SimRun simulate(const ThinkingBudget& budget, bool opened, const std::vector<std::string>& tokens) {
  ThinkingBudgetController ctl(budget, opened);
  SimRun r;
  size_t next = 0;
  while (next < tokens.size()) {
    std::string forced = ctl.take_forced_text();
    if (!forced.empty()) {
      r.text += forced;
      continue;
    }
    r.text += tokens[next];
    ctl.on_token(tokens[next++]);
    r.sampled++;
  }
  r.reasoning_tokens = ctl.reasoning_tokens();
  return r;
}

TEST(ThinkingBudget, ForcesCloseTextAtBudget) {
  ThinkingBudget b;
  b.max_reasoning_tokens = 3;
  SimRun r = simulate(b, true, {"One", " two", " three", " four", " five"});
  EXPECT_EQ(r.text, "One two three.\n</think>\n\n four five");
  EXPECT_EQ(r.reasoning_tokens, 3);
  auto d = split_reasoning(r.text, true);
  EXPECT_EQ(d.reasoning, "One two three.");
  EXPECT_EQ(d.content, "four five");
}

TEST(ThinkingBudget, ClosesAtLineEndWithoutPeriod) {
  ThinkingBudget b;
  b.max_reasoning_tokens = 2;
  SimRun r = simulate(b, true, {"a", "b\n", "c"});
  EXPECT_EQ(r.text, "ab\n</think>\n\nc");
}

TEST(ThinkingBudget, GraceWindowWaitsForNewline) {
  ThinkingBudget b;
  b.max_reasoning_tokens = 2;
  b.grace_tokens = 3;
  SimRun r = simulate(b, true, {"a", "b", "c", "d\n", "e", "f"});
  EXPECT_EQ(r.text, "abcd\n</think>\n\nef");
  EXPECT_EQ(r.reasoning_tokens, 4);
  // No newline within the grace window: closed abruptly after budget + grace tokens.
  r = simulate(b, true, {"a", "b", "c", "d", "e", "f", "g"});
  EXPECT_EQ(r.text, "abcde.\n</think>\n\nfg");
  EXPECT_EQ(r.reasoning_tokens, 5);
}

TEST(ThinkingBudget, ZeroBudgetClosesBeforeFirstToken) {
  ThinkingBudget b;
  b.max_reasoning_tokens = 0;
  SimRun r = simulate(b, true, {"Answer"});
  EXPECT_EQ(r.text, "</think>\n\nAnswer");
  auto d = split_reasoning(r.text, true);
  EXPECT_EQ(d.reasoning, "");
  EXPECT_EQ(d.content, "Answer");
}

TEST(ThinkingBudget, ModelClosingItselfIsNotForced) {
  ThinkingBudget b;
  b.max_reasoning_tokens = 5;
  // Nano v2: </think> arrives as three BPE pieces; all count as reasoning tokens (the phase was open).
  SimRun r = simulate(b, true, {"a", "</", "think", ">", "x", "y", "z", "w", "v"});
  EXPECT_EQ(r.text, "a</think>xyzwv");
  EXPECT_EQ(r.reasoning_tokens, 4);
}

TEST(ThinkingBudget, UnlimitedOrReasoningOffNeverForces) {
  ThinkingBudget unlimited;
  EXPECT_EQ(simulate(unlimited, true, {"a", "b", "c"}).text, "abc");
  ThinkingBudget b;
  b.max_reasoning_tokens = 1;
  EXPECT_EQ(simulate(b, false, {"a", "b", "c"}).text, "abc");
  // Reasoning off, but the model opens <think> itself: the budget applies from there.
  EXPECT_EQ(simulate(b, false, {"<think>", "a", "b"}).text, "<think>a.\n</think>\n\nb");
}

TEST(ThinkingBudget, ForcesOnlyOnce) {
  ThinkingBudget b;
  b.max_reasoning_tokens = 1;
  b.close_text = "</think>";
  ThinkingBudgetController ctl(b, true);
  ctl.on_token("x");
  EXPECT_EQ(ctl.take_forced_text(), "</think>");
  EXPECT_TRUE(ctl.forced());
  EXPECT_EQ(ctl.take_forced_text(), "");
  ctl.on_token("y");
  EXPECT_EQ(ctl.take_forced_text(), "");
  EXPECT_EQ(ctl.reasoning_tokens(), 1);
}

}  // namespace
}  // namespace nt
