// UTF-8 decoding with replacement, categories and normalization, against values from the Unicode
// standard (Table 3-8 "U+FFFD substitution of maximal subparts", UAX #15 examples).
#include <gtest/gtest.h>

#include "text/unicode.h"

namespace nt::text {
namespace {

TEST(Utf8, ValidPassesThrough) {
  std::string s = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80";  // a é 中 😀
  EXPECT_TRUE(is_valid_utf8(s));
  EXPECT_EQ(sanitize_utf8(s), s);
  EXPECT_EQ(to_u32(s), (std::u32string{U'a', 0xE9, 0x4E2D, 0x1F600}));
}

TEST(Utf8, MaximalSubpartsBecomeOneReplacementEach) {
  const std::string R = "\xEF\xBF\xBD";
  // Unicode Table 3-8: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 -> a R R R b R c R R d
  EXPECT_EQ(sanitize_utf8("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"), "a" + R + R + R + "b" + R + "c" + R + R + "d");
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), R + R);              // overlong lead bytes are never valid
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), R + R + R);      // an encoded surrogate
  EXPECT_EQ(sanitize_utf8("\xF4\x90\x80\x80"), R + R + R + R);  // above U+10FFFF
  EXPECT_EQ(sanitize_utf8("\xE4\xB8"), R);                  // truncated at the end
  EXPECT_EQ(sanitize_utf8("\xFF"), R);
  EXPECT_FALSE(is_valid_utf8("\xE4\xB8"));
  EXPECT_TRUE(is_valid_utf8(R));
}

TEST(Utf8, IncompleteSuffix) {
  EXPECT_EQ(incomplete_utf8_suffix("ab"), 0u);
  EXPECT_EQ(incomplete_utf8_suffix("a\xE4"), 1u);
  EXPECT_EQ(incomplete_utf8_suffix("a\xE4\xB8"), 2u);
  EXPECT_EQ(incomplete_utf8_suffix("a\xE4\xB8\xAD"), 0u);
  EXPECT_EQ(incomplete_utf8_suffix("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(incomplete_utf8_suffix("\xE0\x80"), 0u);  // E0 80 can never complete
  EXPECT_EQ(incomplete_utf8_suffix("\x80"), 0u);
}

TEST(Utf8, LoneSurrogatesAsWtf8) {
  std::string s;
  append_utf8(&s, 0xD800);
  EXPECT_EQ(s, "\xED\xA0\x80");
  size_t pos = 0;
  EXPECT_EQ(decode_utf8(s, &pos), 0xD800u);
  EXPECT_EQ(sanitize_utf8(s), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // strict: three maximal subparts
  EXPECT_EQ(sanitize_wtf8(s + "\xFF"), s + "\xEF\xBF\xBD");
  EXPECT_EQ(to_well_formed("a" + s + "b"), "a\xEF\xBF\xBD" "b");
  std::string big;
  append_utf8(&big, 0x110000);
  EXPECT_EQ(big, "\xEF\xBF\xBD");
}

TEST(Categories, GeneralCategoryAndMasks) {
  EXPECT_EQ(general_category('A'), kLu);
  EXPECT_EQ(general_category(0x4E2D), kLo);
  EXPECT_EQ(general_category(0x0301), kMn);
  EXPECT_EQ(general_category(0x0663), kNd);
  EXPECT_EQ(general_category(0x1F600), kSo);
  EXPECT_EQ(general_category(0x01C5), kLt);
  EXPECT_EQ(general_category(0xE000), kCo);
  EXPECT_EQ(category_mask("L"), category_mask("Letter"));
  EXPECT_EQ(category_mask("Lu") | category_mask("Ll") | category_mask("Lt"), category_mask("LC"));
  EXPECT_EQ(category_mask("NoSuchCategory"), 0u);
  EXPECT_TRUE(is_js_space(0xFEFF));
  EXPECT_TRUE(is_js_space(0x3000));
  EXPECT_FALSE(is_js_space(0x85));  // NEL is not ECMAScript whitespace
  EXPECT_FALSE(is_js_space(0x200B));
}

TEST(Normalization, ComposesAndDecomposes) {
  EXPECT_EQ(normalize("e\xCC\x81", NormalForm::kNFC), "\xC3\xA9");            // e + acute -> é
  EXPECT_EQ(normalize("\xC3\xA9", NormalForm::kNFD), "e\xCC\x81");
  EXPECT_EQ(normalize("\xE2\x84\xAB", NormalForm::kNFC), "\xC3\x85");         // Angstrom sign -> Å
  EXPECT_EQ(normalize("\xEF\xAC\x81", NormalForm::kNFKC), "fi");              // ligature
  EXPECT_EQ(normalize("\xEF\xAC\x81", NormalForm::kNFC), "\xEF\xAC\x81");
  EXPECT_EQ(normalize("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8", NormalForm::kNFC), "\xEA\xB0\x81");  // Hangul LVT
  // Canonical reordering: dot below (ccc 220) sorts before dot above (ccc 230); q has no composites.
  EXPECT_EQ(normalize("q\xCC\x87\xCC\xA3", NormalForm::kNFC), "q\xCC\xA3\xCC\x87");
  // A composition exclusion stays decomposed (U+0958 DEVANAGARI LETTER QA).
  EXPECT_EQ(normalize("\xE0\xA5\x98", NormalForm::kNFC), "\xE0\xA4\x95\xE0\xA4\xBC");
}

TEST(Lowercase, FinalSigmaAndDottedI) {
  EXPECT_EQ(to_lower("HELLO World"), "hello world");
  EXPECT_EQ(to_lower("\xCE\xA3\xCE\x9F\xCE\xA6\xCE\x99\xCE\x91\xCE\xA3"), "\xCF\x83\xCE\xBF\xCF\x86\xCE\xB9\xCE\xB1\xCF\x82");
  EXPECT_EQ(to_lower("\xC4\xB0"), "i\xCC\x87");
}

}  // namespace
}  // namespace nt::text
