// The regex engine on the pre-tokenizer patterns and on tricky constructs. Expected splits are written
// out from ECMAScript semantics (what `text.match(/.../gu)` returns in Node).
#include <gtest/gtest.h>

#include "text/regex.h"
#include "text/unicode.h"

namespace nt::text {
namespace {

std::vector<std::string> matches(const std::string& pattern, const std::string& text) {
  auto re = Regex::compile(pattern);
  EXPECT_TRUE(re.is_ok()) << re.status().message();
  std::u32string t = to_u32(text);
  std::vector<Regex::Match> ms;
  EXPECT_TRUE(re->find_all(t, &ms).is_ok());
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(to_utf8(t.substr(m.begin, m.end - m.begin)));
  return out;
}

using V = std::vector<std::string>;
const char kLlama3[] =
    "(?:'([sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

TEST(Regex, Llama3Split) {
  EXPECT_EQ(matches(kLlama3, "Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(matches(kLlama3, "I'M 12345"), (V{"I", "'M", " ", "123", "45"}));
  EXPECT_EQ(matches(kLlama3, "a   b"), (V{"a", "  ", " b"}));  // \s+(?!\S) leaves one space for " b"
  EXPECT_EQ(matches(kLlama3, "x  \n\n y"), (V{"x", "  \n\n", " y"}));
  EXPECT_EQ(matches(kLlama3, "end   "), (V{"end", "   "}));
  EXPECT_EQ(matches(kLlama3, "?\?!\n\nok"), (V{"?\?!\n\n", "ok"}));
}

TEST(Regex, TekkenSplitsCaseRuns) {
  const char* tekken =
      "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|[^\\r\\n\\p{L}\\p{N}]?"
      "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|"
      "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  EXPECT_EQ(matches(tekken, "HTTPServer camelCase 42"), (V{"HTTPServer", " camel", "Case", " ", "4", "2"}));
}

TEST(Regex, QuantifiersAlternationLookahead) {
  EXPECT_EQ(matches("a+?", "aaa"), (V{"a", "a", "a"}));
  EXPECT_EQ(matches("a{2,3}", "aaaaaaa"), (V{"aaa", "aaa"}));
  EXPECT_EQ(matches("ab|a", "aab"), (V{"a", "ab"}));  // ordered alternation, not longest
  EXPECT_EQ(matches("x*", "ab"), (V{"", "", ""}));      // empty matches advance one code point
  EXPECT_EQ(matches("a(?=b)", "acab"), (V{"a"}));
  EXPECT_EQ(matches("(?:a|)*b", "aab"), (V{"aab"}));    // an empty iteration ends the loop, no hang
  EXPECT_EQ(matches("a*+a", "aaaa"), (V{}));            // possessive: never gives back
  EXPECT_EQ(matches("(?>a|ab)c", "abc ac"), (V{"ac"})); // atomic group
  EXPECT_EQ(matches("(?i:ab)", "AB aB xb"), (V{"AB", "aB"}));
  EXPECT_EQ(matches("\\bfoo\\b", "foo food foo"), (V{"foo", "foo"}));
  EXPECT_EQ(matches("^a|b$", "aab"), (V{"a", "b"}));
  EXPECT_EQ(matches(".", "\n\xF0\x9F\x98\x80"), (V{"\xF0\x9F\x98\x80"}));  // astral code point, no line break
}

TEST(Regex, ClassesUseJavaScriptDefinitions) {
  EXPECT_EQ(matches("\\s+", "a\xC2\x85\xEF\xBB\xBF b"), (V{"\xEF\xBB\xBF "}));  // U+FEFF yes, U+0085 no
  EXPECT_EQ(matches("\\d+", "12\xD9\xA3"), (V{"12"}));                          // ASCII digits only
  EXPECT_EQ(matches("\\p{N}+", "12\xD9\xA3"), (V{"12\xD9\xA3"}));
  EXPECT_EQ(matches("[^\\p{L}\\s]+", "ab, cd!"), (V{",", "!"}));
  EXPECT_EQ(matches("[\\u4e00-\\u9fa5]+", "x中文y"), (V{"中文"}));
  EXPECT_EQ(matches("[a\\-z]+", "a-zb"), (V{"a-z"}));
  EXPECT_EQ(matches("\\P{L}+", "ab12cd"), (V{"12"}));
}

TEST(Regex, LongInputsStayLinear) {
  std::string spaces(200000, ' ');
  EXPECT_EQ(matches(kLlama3, spaces + "x").size(), 2u);
  std::string upper(100000, 'A');
  EXPECT_EQ(matches("[A-Z]*[a-z]+|[A-Z]+", upper).size(), 1u);
}

TEST(Regex, UnsupportedConstructsAreClearErrors) {
  for (const char* bad : {"(a)\\1", "(?<=a)b", "\\p{Script=Han}", "a{2,1}", "(a", "a)", "[a", "*a", "\\q"}) {
    auto re = Regex::compile(bad);
    EXPECT_FALSE(re.is_ok()) << bad;
    if (!re.is_ok()) {
      EXPECT_NE(re.status().message().find("regex"), std::string::npos) << re.status().message();
    }
  }
}

}  // namespace
}  // namespace nt::text
