#include <gtest/gtest.h>

#include "text/jinja/template.h"

namespace nt::jinja {
namespace {

Result<std::string> try_render(std::string_view src, std::string_view context_json = "{}", RenderOptions options = {}) {
  NT_ASSIGN_OR_RETURN(auto ctx, parse_ordered_json(context_json, "context"));
  NT_ASSIGN_OR_RETURN(auto tmpl, Template::parse(src));
  return tmpl.render(ctx, options);
}

std::string render(std::string_view src, std::string_view context_json = "{}") {
  auto r = try_render(src, context_json);
  EXPECT_TRUE(r.is_ok()) << src << " -> " << r.status().message();
  return r.is_ok() ? *r : "<error>";
}

std::string error_of(std::string_view src, std::string_view context_json = "{}", RenderOptions options = {}) {
  auto r = try_render(src, context_json, options);
  return r.is_ok() ? "<rendered: " + *r + ">" : r.status().message();
}

TEST(JinjaInterpreter, PrintsValuesLikeTheReference) {
  EXPECT_EQ(render("{{ 1.0 }} {{ 3 }} {{ 7 / 2 }} {{ 4 / 2 }} {{ true }} {{ none }}|{{ missing }}|"), "1.0 3 3.5 2.0 true ||");
  EXPECT_EQ(render("{{ [1, 'a', none, 1.5] }} {{ {'k': [true]} }}"), R"([1, "a", null, 1.5] {"k": [true]})");
  EXPECT_EQ(render("{{ x }} {{ y }} {{ x | tojson }} {{ y | tojson }}", R"({"x": 1.0, "y": 2.5})"), "1 2.5 1 2.5");
  EXPECT_EQ(render("{{ 'a' ~ 1.0 ~ true }} {{ 2.0 | string }} {{ 'n' + 2.0 }}"), "a1true 2.0 n2");
}

TEST(JinjaInterpreter, OperatorsFollowJavaScriptNumbers) {
  EXPECT_EQ(render("{{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 3 ** 2 }} {{ 2 ** -1 }} {{ 1 / 0 }} {{ 0.1 + 0.2 }}"),
            "-4 -1 64 0.5 Infinity 0.30000000000000004");
  EXPECT_EQ(render("{{ 1 == '1' }} {{ 0 == '' }} {{ none == missing }} {{ [1] == [1] }} {{ 1 in [1.0] }}"),
            "true true true false true");
  EXPECT_EQ(render("{{ 'ab' in 'cabd' }} {{ 'k' in {'k': 1} }} {{ 'x' not in missing }} {{ [1] + [2] }}"),
            "true true true [1, 2]");
  EXPECT_EQ(render("{{ [] or 'e' }} {{ 0 and 1 }} {{ 'a' if none else 'b' }}|{{ 'c' if false }}|"), "e 0 b||");
}

TEST(JinjaInterpreter, StringMethodsAndFilters) {
  EXPECT_EQ(render("{{ ' x '.strip() }}|{{ 'a,b,c'.split(',', 1) }}|{{ ' a  b '.split() }}|{{ 'aaa'.replace('a', 'b', 2) }}"),
            R"(x|["a", "b,c"]|["a", "b"]|bba)");
  EXPECT_EQ(render("{{ 'hello wORLD'.title() }} {{ 'hELLO' | capitalize }} {{ 'abcdef'[1:4] }} {{ 'abc'[::-1] }}"),
            "Hello WORLD HELLO bcd cba");
  EXPECT_EQ(render("{{ 'a\nb\n\nc' | indent(2) }}"), "a\n  b\n\n  c");
  EXPECT_EQ(render("{{ '12x' | int }} {{ 'x' | int }} {{ 3.7 | int }} {{ 3.7 | int() }} {{ '2.5' | float }}"), "12 0 3 3.7 2.5");
  EXPECT_EQ(render("{{ 'h\xC3\xA9\xF0\x9F\x98\x80' | length }}"), "4");  // UTF-16 units, as String#length
}

TEST(JinjaInterpreter, ListAndDictFilters) {
  EXPECT_EQ(render("{{ ['b', 'A', 'c'] | sort }} {{ [3, 1, 2] | sort(reverse=true) | join('-') }} {{ [1, 1, 2] | unique }}"),
            R"(["A", "b", "c"] 3-2-1 [1, 2])");
  EXPECT_EQ(render("{{ d | dictsort }} {{ d.items() | list }} {{ d | length }} {{ d.get('z', 0) }}", R"({"d": {"b": 1, "a": 2}})"),
            R"([["a", 2], ["b", 1]] [["b", 1], ["a", 2]] 2 0)");
  EXPECT_EQ(render("{{ ms | selectattr('role', 'equalto', 'user') | map(attribute='c') | join }}",
                   R"({"ms": [{"role": "user", "c": "x"}, {"role": "bot", "c": "y"}, {"role": "user", "c": "z"}]})"),
            "xz");
  EXPECT_EQ(render("{{ d | tojson(indent=2) }}", R"({"d": {"a": [1, {}], "b": "\u00e9"}})"),
            "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": \"\xC3\xA9\"\n}");
  EXPECT_EQ(render("{{ d | tojson(ensure_ascii=true, separators=(',', ':')) }}", R"({"d": {"k": "\u00e9"}})"),
            R"({"k":"\u00e9"})");
}

TEST(JinjaInterpreter, ObjectKeysFollowJavaScriptOrder) {
  EXPECT_EQ(render("{{ d | tojson }}", R"({"d": {"b": 1, "10": 2, "a": 3, "2": 4}})"), R"({"2": 4, "10": 2, "b": 1, "a": 3})");
}

TEST(JinjaInterpreter, Tests) {
  EXPECT_EQ(render("{{ 1 is number }} {{ 1.5 is integer }} {{ 's' is string }} {{ none is none }} {{ x is defined }} "
                   "{{ {} is mapping }} {{ 's' is iterable }} {{ {} is iterable }} {{ 3 is odd }} {{ 'ab' is lower }}"),
            "true false true true false true true false true true");
  EXPECT_EQ(render("{{ x is not defined }} {{ d.missing is defined }} {{ d.k is defined }}", R"({"d": {"k": null}})"),
            "true false true");
}

TEST(JinjaInterpreter, LoopsAndScopes) {
  EXPECT_EQ(render("{% for x in 'ab' | list if false %}{% else %}none{% endfor %}"), "none");
  EXPECT_EQ(render("{% for x in ['a', 'b'] %}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.previtem }}{% endfor %}"),
            "1truefalse2falsetruea");
  EXPECT_EQ(render("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}"), "1");
  EXPECT_EQ(render("{% if true %}{% set y = 5 %}{% endif %}{{ y }}"), "5");
  EXPECT_EQ(render("{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"), "6");
  // An iteration left by break/continue contributes nothing, as in the reference.
  EXPECT_EQ(render("{% for i in [1, 2, 3] %}a{{ i }}{% if i == 2 %}{% break %}{% endif %}b{% endfor %}"), "a1b");
  EXPECT_EQ(render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}{{ v }}{% endfor %}"), "a1b2");
}

TEST(JinjaInterpreter, MacrosCallBlocksAndFilterBlocks) {
  EXPECT_EQ(render("{% macro f(a, b=a + 1) %}{{ a }}{{ b }}{{ kwargs }}{% endmacro %}{{ f(1) }} {{ f(1, z=3) }}"),
            R"(12{} 12{"z": 3})");
  EXPECT_EQ(render("{% macro m(t) %}<{{ caller(t) }}>{% endmacro %}{% call(x) m('T') %}[{{ x }}]{% endcall %}"), "<[T]>");
  EXPECT_EQ(render("{% macro f() %}{{ v }}{% endmacro %}{% for v in [1, 2] %}{{ f() }}{% endfor %}"), "12");
  EXPECT_EQ(render("{% filter upper %}a{{ 'b' }}{% endfilter %}{% set t %} x {% endset %}[{{ t }}]"), "AB[ x ]");
  EXPECT_NE(error_of("{% macro f(a) %}{% endmacro %}{{ f(1, 2) }}").find("takes not more than 1 argument"), std::string::npos);
}

TEST(JinjaInterpreter, ExtensionsBeyondTheReference) {
  EXPECT_EQ(render("{{ [1, 2, 3, 4] | select('even') | list }} {{ [1, 2] | sum }} {{ 2.567 | round(2) }} {{ 6 is divisibleby(3) }}"),
            "[2, 4] 3 2.57 true");
  EXPECT_EQ(render("{{ dict(a=1) }} {{ missing | d('x') }} {{ '<a>' | e }} {% raw %}{{ raw }}{% endraw %}"),
            R"({"a": 1} x &lt;a&gt; {{ raw }})");
  EXPECT_EQ(render("{% for i in range(3) %}{{ loop.cycle('a', 'b') }}{% endfor %} {{ [3, 1] | max }} {{ ', '.join(['a', 'b']) }}"),
            "aba 3 a, b");
}

TEST(JinjaInterpreter, StrftimeNowUsesTheInjectedClock) {
  RenderOptions options;
  options.now_unix_seconds = 1721995200;  // 2024-07-26 12:00 UTC: the same date in any time zone within +-11h
  auto r = try_render("{{ strftime_now('%d %b %Y|%B|%%|%A') }}", "{}", options);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(*r, "26 Jul 2024|July|%|%A");
}

TEST(JinjaInterpreter, RuntimeErrorsAreClear) {
  EXPECT_NE(error_of("a\n{{ raise_exception('roles must alternate') }}").find("line 2: raise_exception: roles must alternate"),
            std::string::npos);
  EXPECT_NE(error_of("{{ 'a' + missing }}").find("undefined"), std::string::npos);
  EXPECT_NE(error_of("{{ 'a' ~ none }}").find("none"), std::string::npos);
  EXPECT_NE(error_of("{{ x | nosuchfilter }}", R"({"x": 1})").find("unknown filter 'nosuchfilter'"), std::string::npos);
  EXPECT_NE(error_of("{{ x is nosuchtest }}").find("unknown test 'nosuchtest'"), std::string::npos);
  EXPECT_NE(error_of("{{ nope() }}").find("cannot call 'nope'"), std::string::npos);
  EXPECT_NE(error_of("{{ missing[0] }}").find("cannot index"), std::string::npos);
  EXPECT_NE(error_of("{% for x in 5 %}{% endfor %}").find("cannot loop over"), std::string::npos);
  EXPECT_NE(error_of("{% break %}").find("outside of a for loop"), std::string::npos);
  EXPECT_NE(error_of("{{ x }}", R"({"range": 1})").find("clashes with a built-in"), std::string::npos);
  EXPECT_NE(error_of("{{ (1, 2) }}").find("tuple"), std::string::npos);
}

TEST(JinjaInterpreter, HostileTemplatesHitLimitsNotCrashes) {
  EXPECT_NE(error_of("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").find("nested deeper than the limit"), std::string::npos);
  RenderOptions one_mib;
  one_mib.max_output_bytes = 1 << 20;
  EXPECT_NE(error_of("{% set ns = namespace(s='xx') %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
                     "{}", one_mib)
                .find("output limit"),
            std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace(s='xx') %}{% for i in range(100) %}{% set ns.s = ns.s.replace('x', 'xx') %}{% endfor %}",
                     "{}", one_mib)
                .find("output limit"),
            std::string::npos);
  RenderOptions few_loops;
  few_loops.max_loop_iterations = 1000;
  EXPECT_NE(error_of("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}", "{}", few_loops)
                .find("loop iterations exceed the limit of 1000"),
            std::string::npos);
  EXPECT_NE(error_of("{{ range(1000000000) }}").find("exceeds the limit"), std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns | tojson }}").find("nested too deeply"), std::string::npos);
  RenderOptions small;
  small.max_output_bytes = 10;
  EXPECT_NE(error_of("{% for i in range(20) %}{{ i }}{% endfor %}", "{}", small).find("output limit"), std::string::npos);
}

TEST(JinjaInterpreter, ContextMustBeAnObject) {
  auto tmpl = Template::parse("x");
  ASSERT_TRUE(tmpl.is_ok());
  EXPECT_FALSE(tmpl->render(nlohmann::ordered_json::array()).is_ok());
  EXPECT_EQ(tmpl->render(Json::object()).value(), "x");
}

}  // namespace
}  // namespace nt::jinja
