#include "text/jinja/lexer.h"

#include <cmath>

#include <gtest/gtest.h>

#include "text/jinja/js_text.h"

namespace nt::jinja {
namespace {

std::vector<Token> lex(std::string_view src) {
  auto r = tokenize(src);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return r.is_ok() ? *r : std::vector<Token>{};
}

TEST(JinjaLexer, SplitsTextAndTags) {
  auto t = lex("Hi {{ name }}!{% if x %}y{% endif %}");
  ASSERT_EQ(t.size(), 13u);
  EXPECT_EQ(t[0].type, TokenType::kText);
  EXPECT_EQ(t[0].value, "Hi ");
  EXPECT_EQ(t[1].type, TokenType::kOpenExpression);
  EXPECT_EQ(t[2].type, TokenType::kIdentifier);
  EXPECT_EQ(t[3].type, TokenType::kCloseExpression);
  EXPECT_EQ(t[4].value, "!");
}

TEST(JinjaLexer, TrimBlocksAndLstripBlocks) {
  // lstrip_blocks removes the indentation before {% and trim_blocks the newline after %}, but not after }}.
  auto t = lex("a\n  {% if x %}\nb\n  {{ y }}\nc");
  ASSERT_GE(t.size(), 6u);
  EXPECT_EQ(t[0].value, "a\n");
  EXPECT_EQ(t[5].value, "b\n  ");
}

TEST(JinjaLexer, WhitespaceControlStripsNeighbouringText) {
  auto t = lex("a  \n {{- x -}} \n b");
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].value, "a");
  EXPECT_EQ(t[4].value, "b");
}

TEST(JinjaLexer, DropsOneTrailingNewline) {
  auto t = lex("x\n\n");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].value, "x\n");
}

TEST(JinjaLexer, NegativeNumbersAfterOperatorsAreLiterals) {
  auto t = lex("{{ a - 1 }}{{ [-1, -2.5] }}");
  EXPECT_EQ(t[2].type, TokenType::kAdditive);
  EXPECT_EQ(t[3].value, "1");
  EXPECT_EQ(t[7].type, TokenType::kNumber);
  EXPECT_EQ(t[7].value, "-1");
  EXPECT_EQ(t[9].value, "-2.5");
}

TEST(JinjaLexer, StringEscapes) {
  auto t = lex(R"({{ 'a\n\t\'\u00e9\x41\ud83d\ude00' }})");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[1].value, "a\n\t'\xC3\xA9" "A\xF0\x9F\x98\x80");
}

TEST(JinjaLexer, DictLiteralClosingBracesAreNotEndOfExpression) {
  auto t = lex("{{ {'a': {'b': 1}} }}");
  EXPECT_EQ(t.back().type, TokenType::kCloseExpression);
  EXPECT_EQ(t[t.size() - 2].type, TokenType::kCloseCurly);
}

TEST(JinjaLexer, GenerationTagsAreRemoved) {
  auto t = lex("x {% generation %}y{%- endgeneration %} z");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].value, "x y z");
}

TEST(JinjaLexer, RawBlockIsVerbatim) {
  auto t = lex("a{% raw %}{{ not parsed }}{% endraw %}b");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[1].type, TokenType::kRawText);
  EXPECT_EQ(t[1].value, "{{ not parsed }}");
  EXPECT_EQ(t[2].value, "b");
}

TEST(JinjaLexer, ErrorsNameTheProblemAndLine) {
  auto r = tokenize("line1\n{{ 'unterminated }}");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("never closed"), std::string::npos);

  r = tokenize("a\nb\n{{ x @ y }}");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("line 3"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("'@'"), std::string::npos);

  EXPECT_FALSE(tokenize("{# open comment").is_ok());
  EXPECT_FALSE(tokenize("{{ '\\q' }}").is_ok());
  EXPECT_FALSE(tokenize("{% raw %} no end").is_ok());
}

TEST(JsText, NumbersPrintLikeJavaScript) {
  EXPECT_EQ(js_number_to_string(1), "1");
  EXPECT_EQ(js_number_to_string(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(js_number_to_string(1e21), "1e+21");
  EXPECT_EQ(js_number_to_string(1e-7), "1e-7");
  EXPECT_EQ(js_number_to_string(123e-20), "1.23e-18");
  EXPECT_EQ(js_number_to_string(0.000001), "0.000001");
  EXPECT_EQ(js_number_to_string(-1.5), "-1.5");
  EXPECT_EQ(js_number_to_string(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(js_float_to_string(3), "3.0");
  EXPECT_EQ(js_float_to_string(-0.0), "-0.0");
  EXPECT_EQ(js_float_to_string(2.5), "2.5");
  EXPECT_EQ(js_float_to_string(1e21), "1e+21");
}

TEST(JsText, JsonQuoting) {
  EXPECT_EQ(js_json_quote("a\"b\\c\n\x01", false), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(js_json_quote("\xC3\xA9\xF0\x9F\x98\x80", false), "\"\xC3\xA9\xF0\x9F\x98\x80\"");
  EXPECT_EQ(js_json_quote("\xC3\xA9\xF0\x9F\x98\x80\x7f", true), "\"\\u00e9\\ud83d\\ude00\\u007f\"");
}

TEST(JsText, ParsingAndTrimming) {
  EXPECT_EQ(js_parse_int(" 12abc"), 12);
  EXPECT_EQ(js_parse_int("-7.9"), -7);
  EXPECT_TRUE(std::isnan(js_parse_int("x1")));
  EXPECT_EQ(js_parse_float("4.5x"), 4.5);
  EXPECT_EQ(js_parse_float(".5e1"), 5);
  EXPECT_EQ(js_string_to_number(" 0x10 "), 16);
  EXPECT_EQ(js_string_to_number(""), 0);
  EXPECT_TRUE(std::isnan(js_string_to_number("1a")));
  EXPECT_EQ(js_trim("\xC2\xA0 x\xE3\x80\x80\n"), "x");  // NBSP and ideographic space are JavaScript whitespace
  EXPECT_EQ(utf16_length("h\xC3\xA9\xF0\x9F\x98\x80"), 4u);
  EXPECT_EQ(js_to_upper("stra\xC3\x9F" "e"), "STRASSE");
  EXPECT_EQ(js_to_lower("\xD0\x9F\xCE\xA9"), "\xD0\xBF\xCF\x89");
}

}  // namespace
}  // namespace nt::jinja
