// Runtime values of the template interpreter.
// The kinds mirror the reference renderer (@huggingface/jinja): numbers are doubles tagged integer or float,
// lists and dicts have reference semantics (== on them compares identity, as JavaScript does), dicts keep
// insertion order, and a namespace is a dict that `{% set ns.x = ... %}` may mutate.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace nt::jinja {

struct Env;
class Interpreter;
struct Value;
struct Dict;
struct Callable;
using ValueList = std::vector<Value>;

enum class Kind : uint8_t { Undefined, Null, Bool, Int, Float, String, List, Dict, Namespace, Function };

struct Value {
  Kind kind = Kind::Undefined;
  bool boolean = false;
  bool is_tuple = false;  // List built by a tuple literal: the reference gives tuples a type of their own
  double number = 0;      // Int and Float (integers are doubles, as in JavaScript)
  std::string str;
  std::shared_ptr<ValueList> list;
  std::shared_ptr<Dict> dict;  // Dict and Namespace
  std::shared_ptr<Callable> fn;

  static Value undefined() { return Value(); }
  static Value none() { Value v; v.kind = Kind::Null; return v; }
  static Value from_bool(bool b) { Value v; v.kind = Kind::Bool; v.boolean = b; return v; }
  static Value integer(double n) { Value v; v.kind = Kind::Int; v.number = n; return v; }
  static Value floating(double n) { Value v; v.kind = Kind::Float; v.number = n; return v; }
  static Value string(std::string s) { Value v; v.kind = Kind::String; v.str = std::move(s); return v; }
  static Value make_list(ValueList items, bool tuple = false);
  static Value make_dict(std::shared_ptr<Dict> d);
  static Value make_dict();
  static Value make_namespace(std::shared_ptr<Dict> d);
  static Value function(std::string name, std::function<Result<Value>(Interpreter&, const std::shared_ptr<Env>&, ValueList&)> fn);
  // A JavaScript number: integral values are integers (Number.isInteger), others floats.
  static Value number_value(double n);

  bool is(Kind k) const { return kind == k; }
  bool is_number() const { return kind == Kind::Int || kind == Kind::Float; }
  bool is_kwargs() const;  // keyword arguments appended to a call's positional arguments
};

// An insertion-ordered string-keyed map.
struct Dict {
  std::vector<std::pair<std::string, Value>> items;
  std::unordered_map<std::string, size_t> index;
  bool is_kwargs = false;  // holds a call's keyword arguments (the reference's KeywordArgumentsValue)
  bool is_loop = false;    // the `loop` variable of a for loop (adds loop.cycle)

  const Value* find(std::string_view key) const;
  void set(const std::string& key, Value v);
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  void erase(const std::string& key);
  size_t size() const { return items.size(); }
};

using NativeFunction = std::function<Result<Value>(Interpreter&, const std::shared_ptr<Env>&, ValueList&)>;
struct Callable {
  std::string name;
  NativeFunction call;
};

// Python-flavoured type names for error messages ("string", "list", ...).
std::string type_name(const Value& v);
bool truthy(const Value& v);

// JavaScript's == and === on the values' underlying JavaScript representation.
bool js_loose_equals(const Value& a, const Value& b);
bool js_strict_equals(const Value& a, const Value& b);
// `value.toString()` of the underlying JavaScript value (what `~` and `+` concatenate).
std::string js_raw_string(const Value& v, int depth = 0);

struct JsonOptions {
  int indent = 0;  // 0: single line
  bool ensure_ascii = false;
  bool sort_keys = false;
  bool has_separators = false;
  std::string item_separator, key_separator;
};
// The reference's toJSON; undefined becomes null when undefined_to_null, else "undefined".
Result<std::string> to_json(const Value& v, const JsonOptions& options, bool undefined_to_null, int depth = 0);
// How a value prints in template output (the reference's RuntimeValue#toString).
Result<std::string> to_output_string(const Value& v);

// Three-way comparison used by sort and dictsort: numbers (and booleans) compare numerically, strings by UTF-16
// units (lower-cased unless case_sensitive); other mixes are errors.
Result<int> compare_values(const Value& a, const Value& b, bool case_sensitive);

// A template variable from request JSON. Object keys follow JavaScript's property order: integer-like keys
// ascending first, then the others in insertion order.
Value value_from_json(const nlohmann::ordered_json& j);

}  // namespace nt::jinja
