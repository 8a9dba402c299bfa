#include "text/jinja/parser.h"

#include <gtest/gtest.h>

#include "text/jinja/template.h"

namespace nt::jinja {
namespace {

Result<NodeList> parse_text(std::string_view src) {
  NT_ASSIGN_OR_RETURN(auto tokens, tokenize(src));
  return parse(tokens);
}

std::string error_of(std::string_view src) {
  auto r = Template::parse(src);
  return r.is_ok() ? std::string("<parsed>") : r.status().message();
}

TEST(JinjaParser, PrecedenceFollowsJinja) {
  auto r = parse_text("{{ a or b and not c == d + e * f ** g | h is i }}");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const Node& top = *(*r)[0];
  ASSERT_EQ(top.kind, NodeKind::kBinary);
  EXPECT_EQ(top.name, "or");
  const Node& conj = *top.b;
  EXPECT_EQ(conj.name, "and");
  EXPECT_EQ(conj.b->kind, NodeKind::kUnary);
  const Node& eq = *conj.b->a;
  EXPECT_EQ(eq.name, "==");
  EXPECT_EQ(eq.b->name, "+");
  EXPECT_EQ(eq.b->b->name, "*");
  const Node& pow = *eq.b->b->b;
  EXPECT_EQ(pow.name, "**");
  EXPECT_EQ(pow.b->kind, NodeKind::kTest);          // tests bind tighter than **
  EXPECT_EQ(pow.b->a->kind, NodeKind::kFilter);     // and filters tighter than tests
}

TEST(JinjaParser, StatementsNest) {
  auto r = parse_text("{% for m in ms if m.x %}{% if a %}1{% elif b %}2{% else %}3{% endif %}{% else %}e{% endfor %}");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const Node& loop = *(*r)[0];
  EXPECT_EQ(loop.kind, NodeKind::kFor);
  EXPECT_EQ(loop.b->kind, NodeKind::kSelect);
  ASSERT_EQ(loop.body.size(), 1u);
  EXPECT_EQ(loop.body[0]->alt[0]->kind, NodeKind::kIf);  // elif is a nested if
  EXPECT_EQ(loop.alt.size(), 1u);
}

TEST(JinjaParser, SlicesAndCalls) {
  auto r = parse_text("{{ x[1:-1:2] }}{{ f(1, *xs, k=2, **kw) }}{{ x.0 }}");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ((*r)[0]->b->kind, NodeKind::kSlice);
  const Node& call = *(*r)[1];
  ASSERT_EQ(call.args.size(), 4u);
  EXPECT_EQ(call.args[1]->kind, NodeKind::kSpread);
  EXPECT_EQ(call.args[2]->kind, NodeKind::kKeywordArg);
  EXPECT_EQ(call.args[3]->kind, NodeKind::kKeywordSpread);
  EXPECT_EQ((*r)[2]->b->kind, NodeKind::kInt);
}

TEST(JinjaParser, ErrorsNameTheConstructAndLine) {
  EXPECT_NE(error_of("ok\n{% include 'x.j2' %}").find("line 2: unsupported statement '{% include %}'"), std::string::npos)
      << error_of("ok\n{% include 'x.j2' %}");
  EXPECT_NE(error_of("{% extends 'base' %}").find("'{% extends %}'"), std::string::npos);
  EXPECT_NE(error_of("{% with a = 1 %}{% endwith %}").find("'{% with %}'"), std::string::npos);
  EXPECT_NE(error_of("a\n{% if x %}\nno end").find("'{% if %}' from line 2 is never closed"), std::string::npos)
      << error_of("a\n{% if x %}\nno end");
  EXPECT_NE(error_of("{% endfor %}").find("without a matching opening tag"), std::string::npos);
  EXPECT_NE(error_of("{{ a + }}").find("line 1"), std::string::npos);
  EXPECT_NE(error_of("{{ f(a=1, 2) }}").find("positional arguments must come before keyword arguments"), std::string::npos);
  EXPECT_NE(error_of("{% macro m(a, a) %}{% endmacro %}").find("duplicate parameter"), std::string::npos);
  EXPECT_NE(error_of("{{ x[] }}").find("inside '[]'"), std::string::npos);
  EXPECT_NE(error_of("{% for 1 in x %}{% endfor %}").find("loop variable"), std::string::npos);
  EXPECT_NE(error_of("{% set x %}unterminated").find("never closed"), std::string::npos);
}

TEST(JinjaParser, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  EXPECT_NE(error_of(deep).find("nesting deeper than the limit"), std::string::npos);
  std::string deep_ifs;
  for (int i = 0; i < 3000; ++i) deep_ifs += "{% if x %}";
  EXPECT_NE(error_of(deep_ifs).find("nesting deeper than the limit"), std::string::npos);
  EXPECT_FALSE(Template::parse("{{ " + std::string(3000, '[') + " }}").is_ok());
}

TEST(JinjaParser, MalformedInputNeverCrashes) {
  const char* inputs[] = {"{{", "{%", "{{ }}", "{% %}", "{% if %}", "{{ a.}}", "{{ a[ }}", "{{ (1, }}", "{{ {1: }}",
                          "{% for %}", "{% macro %}", "{% call %}", "{% filter %}", "{% set %}", "{{ 'a' | }}",
                          "{{ a is }}", "{% endif %}", "{{ [1, 2 }}", "}}", "%}", "{#", "{{ -}}", "{% raw %}"};
  for (const char* in : inputs) {
    auto r = Template::parse(in);
    if (!r.is_ok()) {
      EXPECT_NE(r.status().message().find("template line"), std::string::npos) << in;
    }
  }
}

}  // namespace
}  // namespace nt::jinja
