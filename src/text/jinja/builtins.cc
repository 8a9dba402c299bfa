// Methods of strings, lists and dicts; tests (`is ...`); global functions.
#include "text/jinja/builtins.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "core/strings.h"
#include "text/jinja/js_text.h"

namespace nt::jinja {

namespace {

// Everything in this file is plain data in, value out; the interpreter is not needed.
using Method = std::function<Result<Value>(ValueList&)>;
Value method(const std::string& name, Method fn) {
  return Value::function(name, [fn = std::move(fn)](Interpreter&, const EnvPtr&, ValueList& args) { return fn(args); });
}

std::string title_case(const std::string& s) {
  // /\b\w/g -> upper case: an ASCII word character that follows a non-word character (or the start).
  auto is_word = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  std::string out = s;
  for (size_t i = 0; i < out.size(); ++i) {
    if (is_word(out[i]) && (i == 0 || !is_word(out[i - 1])) && out[i] >= 'a' && out[i] <= 'z') out[i] -= 32;
  }
  return out;
}

std::string capitalize(const std::string& s) {
  if (s.empty()) return s;
  size_t i = 0;
  uint32_t cp = next_code_point(s, &i);
  if (cp >= 0x10000) return s;  // charAt(0) is half a surrogate pair, which has no case
  return js_to_upper(s.substr(0, i)) + s.substr(i);
}

Result<Value> prefix_test(const std::string& s, const ValueList& args, bool starts) {
  const char* name = starts ? "startswith" : "endswith";
  if (args.empty()) return Status::error(cat(name, "() requires an argument"));
  auto check = [&](const std::string& p) { return starts ? starts_with(s, p) : ends_with(s, p); };
  if (args[0].is(Kind::String)) return Value::from_bool(check(args[0].str));
  if (args[0].is(Kind::List)) {
    for (const Value& item : *args[0].list) {
      if (!item.is(Kind::String)) return Status::error(cat(name, "() tuple elements must be strings"));
      if (check(item.str)) return Value::from_bool(true);
    }
    return Value::from_bool(false);
  }
  return Status::error(cat(name, "() argument must be a string or a tuple of strings"));
}

// Python's str.split(sep=None, maxsplit=-1).
Result<Value> python_split(const std::string& s, const ValueList& args) {
  Value sep = args.size() > 0 ? args[0] : Value::none();
  Value maxsplit = args.size() > 1 ? args[1] : Value::integer(-1);
  if (!sep.is(Kind::String) && !sep.is(Kind::Null)) return Status::error("split(): sep must be a string or none");
  if (!maxsplit.is(Kind::Int)) return Status::error("split(): maxsplit must be an integer");
  double max = maxsplit.number;
  ValueList parts;
  if (sep.is(Kind::Null)) {
    std::string_view text = js_trim_start(s);
    size_t i = 0;
    while (i < text.size()) {
      size_t start = i;  // start of a run of non-space code points
      while (i < text.size()) {
        size_t next = i;
        if (is_js_space(next_code_point(text, &next))) break;
        i = next;
      }
      if (max != -1 && static_cast<double>(parts.size()) >= max) {
        parts.push_back(Value::string(std::string(text.substr(start))));
        break;
      }
      parts.push_back(Value::string(std::string(text.substr(start, i - start))));
      while (i < text.size()) {
        size_t next = i;
        if (!is_js_space(next_code_point(text, &next))) break;
        i = next;
      }
    }
    return Value::make_list(std::move(parts));
  }
  if (sep.str.empty()) return Status::error("split(): empty separator");
  std::vector<std::string> pieces;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep.str, start);
    if (pos == std::string::npos) break;
    pieces.push_back(s.substr(start, pos - start));
    start = pos + sep.str.size();
  }
  pieces.push_back(s.substr(start));
  if (max != -1 && static_cast<double>(pieces.size()) > max) {
    size_t keep = max < 0 ? 0 : static_cast<size_t>(max);
    std::string rest;
    for (size_t i = keep; i < pieces.size(); ++i) rest += (i > keep ? sep.str : "") + pieces[i];
    pieces.resize(keep);
    pieces.push_back(rest);
  }
  for (auto& p : pieces) parts.push_back(Value::string(std::move(p)));
  return Value::make_list(std::move(parts));
}

Value string_method(const std::string& s, const std::string& name) {
  if (name == "length") return Value::integer(static_cast<double>(utf16_length(s)));
  // The reference ignores arguments of these (strip("x") still strips whitespace).
  if (name == "upper") return method(name, [s](ValueList&) -> Result<Value> { return Value::string(js_to_upper(s)); });
  if (name == "lower") return method(name, [s](ValueList&) -> Result<Value> { return Value::string(js_to_lower(s)); });
  if (name == "strip") return method(name, [s](ValueList&) -> Result<Value> { return Value::string(std::string(js_trim(s))); });
  if (name == "lstrip") return method(name, [s](ValueList&) -> Result<Value> { return Value::string(std::string(js_trim_start(s))); });
  if (name == "rstrip") return method(name, [s](ValueList&) -> Result<Value> { return Value::string(std::string(js_trim_end(s))); });
  if (name == "title") return method(name, [s](ValueList&) -> Result<Value> { return Value::string(title_case(s)); });
  if (name == "capitalize") return method(name, [s](ValueList&) -> Result<Value> { return Value::string(capitalize(s)); });
  if (name == "startswith") return method(name, [s](ValueList& a) { return prefix_test(s, a, true); });
  if (name == "endswith") return method(name, [s](ValueList& a) { return prefix_test(s, a, false); });
  if (name == "split") return method(name, [s](ValueList& a) { return python_split(s, a); });
  if (name == "replace") return method(name, [s](ValueList& a) { return string_replace(s, a); });
  // Extensions (Python str methods the reference lacks).
  if (name == "join") {
    return method(name, [s](ValueList& a) -> Result<Value> {
      if (a.empty() || !a[0].is(Kind::List)) return Status::error("join() expects a list");
      std::string out;
      for (size_t i = 0; i < a[0].list->size(); ++i) {
        const Value& item = (*a[0].list)[i];
        if (!item.is(Kind::String)) return Status::error(cat("join(): item ", i, " is a ", type_name(item), ", not a string"));
        out += (i ? s : "") + item.str;
      }
      return Value::string(std::move(out));
    });
  }
  if (name == "find" || name == "count") {
    return method(name, [s, name](ValueList& a) -> Result<Value> {
      if (a.empty() || !a[0].is(Kind::String)) return Status::error(cat(name, "() expects a string"));
      if (name == "find") {
        size_t pos = s.find(a[0].str);
        return Value::integer(pos == std::string::npos ? -1 : static_cast<double>(utf16_length(s.substr(0, pos))));
      }
      if (a[0].str.empty()) return Value::integer(static_cast<double>(utf16_length(s) + 1));
      double n = 0;
      for (size_t pos = s.find(a[0].str); pos != std::string::npos; pos = s.find(a[0].str, pos + a[0].str.size())) ++n;
      return Value::integer(n);
    });
  }
  return Value::undefined();
}

Result<Value> dictsort(const Value& object, ValueList& args) {
  std::shared_ptr<Dict> kwargs = std::make_shared<Dict>();
  ValueList positional;
  for (Value& a : args) {
    if (a.is_kwargs()) kwargs = a.dict;
    else positional.push_back(a);
  }
  auto option = [&](size_t i, const char* name, Value def) {
    if (i < positional.size()) return positional[i];
    const Value* v = kwargs->find(name);
    return v ? *v : def;
  };
  Value case_sensitive = option(0, "case_sensitive", Value::from_bool(false));
  Value by = option(1, "by", Value::string("key"));
  Value reverse = option(2, "reverse", Value::from_bool(false));
  if (!case_sensitive.is(Kind::Bool)) return Status::error("dictsort: case_sensitive must be a boolean");
  if (!by.is(Kind::String) || (by.str != "key" && by.str != "value")) return Status::error("dictsort: by must be 'key' or 'value'");
  if (!reverse.is(Kind::Bool)) return Status::error("dictsort: reverse must be a boolean");
  ValueList pairs;
  for (const auto& [k, v] : object.dict->items) pairs.push_back(Value::make_list({Value::string(k), v}));
  size_t index = by.str == "key" ? 0 : 1;
  Status error;
  std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& a, const Value& b) {
    if (!error.is_ok()) return false;
    auto c = compare_values((*a.list)[index], (*b.list)[index], case_sensitive.boolean);
    if (!c.is_ok()) { error = c.status(); return false; }
    return reverse.boolean ? *c > 0 : *c < 0;
  });
  NT_RETURN_IF_ERROR(error);
  return Value::make_list(std::move(pairs));
}

Value dict_method(const Value& object, const std::string& name) {
  if (name == "get") {
    return method(name, [object](ValueList& a) -> Result<Value> {
      if (a.empty() || !a[0].is(Kind::String)) {
        return Status::error(cat("dict.get(): key must be a string, found ", a.empty() ? "nothing" : type_name(a[0])));
      }
      if (const Value* v = object.dict->find(a[0].str)) return *v;
      return a.size() > 1 ? a[1] : Value::none();
    });
  }
  if (name == "items" || name == "keys" || name == "values") {
    return method(name, [object, name](ValueList&) -> Result<Value> {
      ValueList out;
      for (const auto& [k, v] : object.dict->items) {
        if (name == "items") out.push_back(Value::make_list({Value::string(k), v}));
        else out.push_back(name == "keys" ? Value::string(k) : v);
      }
      return Value::make_list(std::move(out));
    });
  }
  if (name == "dictsort") return method(name, [object](ValueList& a) { return dictsort(object, a); });
  if (name == "cycle" && object.dict->is_loop) {  // extension: loop.cycle(a, b, ...)
    const Value* index0 = object.dict->find("index0");
    double i = index0 ? index0->number : 0;
    return method(name, [i](ValueList& a) -> Result<Value> {
      if (a.empty()) return Status::error("loop.cycle() needs at least one argument");
      return a[static_cast<size_t>(std::fmod(i, static_cast<double>(a.size())))];
    });
  }
  return Value::undefined();
}

}  // namespace

Value member_builtin(const Value& object, const std::string& name) {
  switch (object.kind) {
    case Kind::String: return string_method(object.str, name);
    case Kind::List: return name == "length" ? Value::integer(static_cast<double>(object.list->size())) : Value::undefined();
    case Kind::Dict: return dict_method(object, name);
    default: return Value::undefined();
  }
}

Result<Value> string_replace(const std::string& s, const ValueList& args) {
  if (args.size() < 2) return Status::error("replace() requires at least two arguments");
  if (!args[0].is(Kind::String) || !args[1].is(Kind::String)) return Status::error("replace() arguments must be strings");
  Value count = Value::none();
  if (args.size() > 2) {
    if (args[2].is_kwargs()) {
      const Value* c = args[2].dict->find("count");
      count = c ? *c : Value::none();
    } else {
      count = args[2];
    }
  }
  if (!count.is(Kind::Int) && !count.is(Kind::Null)) return Status::error("replace() count must be an integer or none");
  double remaining = count.is(Kind::Null) || count.number < 0 ? INFINITY : count.number;
  const std::string& from = args[0].str;
  const std::string& to = args[1].str;
  std::string out;
  if (from.empty()) {  // matches at every code point boundary, ends included
    size_t i = 0;
    while (true) {
      if (remaining > 0) { out += to; --remaining; }
      if (i >= s.size()) break;
      size_t start = i;
      next_code_point(s, &i);
      out.append(s, start, i - start);
    }
    return Value::string(std::move(out));
  }
  size_t start = 0;
  while (remaining > 0) {
    size_t pos = s.find(from, start);
    if (pos == std::string::npos) break;
    out.append(s, start, pos - start);
    out += to;
    start = pos + from.size();
    --remaining;
  }
  out.append(s, start, std::string::npos);
  return Value::string(std::move(out));
}

// ---------------------------------------------------------------------------------------------- tests

namespace {

Result<bool> compare_test(const std::string& name, const Value& a, const Value& b) {
  NT_ASSIGN_OR_RETURN(int c, compare_values(a, b, /*case_sensitive=*/true));
  if (name == "lt" || name == "lessthan") return c < 0;
  if (name == "le") return c <= 0;
  if (name == "gt" || name == "greaterthan") return c > 0;
  return c >= 0;
}

}  // namespace

bool has_test(const std::string& name) {
  static const char* kNames[] = {"boolean", "callable", "odd", "even", "false", "true", "none", "string",
                                 "number", "integer", "iterable", "mapping", "sequence", "lower", "upper",
                                 "defined", "undefined", "equalto", "eq", "float", "divisibleby", "sameas",
                                 "ne", "lt", "le", "gt", "ge", "lessthan", "greaterthan", "in"};
  return std::find_if(std::begin(kNames), std::end(kNames), [&](const char* n) { return name == n; }) != std::end(kNames);
}

Result<bool> apply_test(const std::string& name, const Value& v, const ValueList& args) {
  if (name == "boolean") return v.is(Kind::Bool);
  if (name == "callable") return v.is(Kind::Function);
  if (name == "odd" || name == "even") {
    if (!v.is(Kind::Int)) return Status::error(cat("test '", name, "' needs an integer, found ", type_name(v)));
    bool odd = std::fmod(v.number, 2) != 0;
    return name == "odd" ? odd : !odd;
  }
  if (name == "false") return v.is(Kind::Bool) && !v.boolean;
  if (name == "true") return v.is(Kind::Bool) && v.boolean;
  if (name == "none") return v.is(Kind::Null);
  if (name == "string") return v.is(Kind::String);
  if (name == "number") return v.is_number();
  if (name == "integer") return v.is(Kind::Int);
  if (name == "float") return v.is(Kind::Float);
  if (name == "iterable") return (v.is(Kind::List) && !v.is_tuple) || v.is(Kind::String);
  if (name == "mapping") return v.is(Kind::Dict);
  if (name == "sequence") return v.is(Kind::List) || v.is(Kind::Dict) || v.is(Kind::String);
  if (name == "lower") return v.is(Kind::String) && v.str == js_to_lower(v.str);
  if (name == "upper") return v.is(Kind::String) && v.str == js_to_upper(v.str);
  if (name == "defined") return !v.is(Kind::Undefined);
  if (name == "undefined") return v.is(Kind::Undefined);
  if (!has_test(name)) return Status::error(cat("unknown test '", name, "'"));
  if (args.empty()) return Status::error(cat("test '", name, "' needs an argument"));
  const Value& arg = args[0];
  if (name == "equalto" || name == "eq" || name == "sameas") return js_strict_equals(v, arg);
  if (name == "ne") return !js_strict_equals(v, arg);
  if (name == "divisibleby") {
    if (!v.is_number() || !arg.is_number()) return Status::error("test 'divisibleby' needs numbers");
    return arg.number != 0 && std::fmod(v.number, arg.number) == 0;
  }
  if (name == "in") {
    if (arg.is(Kind::List)) {
      return std::any_of(arg.list->begin(), arg.list->end(), [&](const Value& x) { return js_strict_equals(x, v); });
    }
    if (arg.is(Kind::String) && v.is(Kind::String)) return arg.str.find(v.str) != std::string::npos;
    if (arg.is(Kind::Dict) && v.is(Kind::String)) return arg.dict->contains(v.str);
    return Status::error(cat("test 'in' cannot look into a ", type_name(arg)));
  }
  return compare_test(name, v, arg);
}

// -------------------------------------------------------------------------------------------- globals

namespace {

constexpr double kMaxRangeLength = 100000;

Result<Value> range_function(ValueList& args) {
  if (args.empty() || args.size() > 3) return Status::error("range() takes 1 to 3 arguments");
  for (const Value& a : args) {
    if (!a.is_number()) return Status::error(cat("range() arguments must be numbers, found ", type_name(a)));
  }
  double start = args.size() == 1 ? 0 : args[0].number;
  double stop = args.size() == 1 ? args[0].number : args[1].number;
  double step = args.size() == 3 ? args[2].number : 1;
  if (step == 0) return Status::error("range() step must not be zero");
  double count = std::ceil((stop - start) / step);
  if (count > kMaxRangeLength) return Status::error(cat("range() of ", count, " items exceeds the limit of ", kMaxRangeLength));
  ValueList out;
  if (step > 0) {
    for (double i = start; i < stop; i += step) out.push_back(Value::number_value(i));
  } else {
    for (double i = start; i > stop; i += step) out.push_back(Value::number_value(i));
  }
  return Value::make_list(std::move(out));
}

Result<Value> namespace_function(ValueList& args) {
  ValueList positional = args;
  std::shared_ptr<Dict> kwargs;
  if (!positional.empty() && positional.back().is_kwargs()) {
    kwargs = positional.back().dict;
    positional.pop_back();
  }
  if (positional.size() > 1) return Status::error(cat("namespace() takes at most 1 positional argument, got ", positional.size()));
  auto entries = std::make_shared<Dict>();
  if (positional.size() == 1) {
    const Value& source = positional[0];
    if (source.is(Kind::Dict)) {
      for (const auto& [k, v] : source.dict->items) entries->set(k, v);
    } else if (source.is(Kind::List)) {
      for (const Value& pair : *source.list) {
        if (!pair.is(Kind::List) || pair.list->size() != 2 || !(*pair.list)[0].is(Kind::String)) {
          return Status::error("namespace() expects a dict or a list of [key, value] pairs with string keys");
        }
        entries->set((*pair.list)[0].str, (*pair.list)[1]);
      }
    } else {
      return Status::error(cat("namespace() cannot be built from a ", type_name(source)));
    }
  }
  if (kwargs) {
    for (const auto& [k, v] : kwargs->items) entries->set(k, v);
  }
  return Value::make_namespace(std::move(entries));
}

// strftime with the reference's subset: %Y %m %d %b %B %H %M %% (anything else stays as written).
std::string strftime_subset(const std::string& format, const std::tm& t) {
  static const char* kMonths[] = {"January", "February", "March", "April", "May", "June", "July",
                                  "August", "September", "October", "November", "December"};
  auto pad2 = [](int n) { return n < 10 ? "0" + std::to_string(n) : std::to_string(n); };
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    char c = i + 1 < format.size() && format[i] == '%' ? format[i + 1] : '\0';
    std::string piece;
    switch (c) {
      case 'Y': piece = std::to_string(t.tm_year + 1900); break;
      case 'm': piece = pad2(t.tm_mon + 1); break;
      case 'd': piece = pad2(t.tm_mday); break;
      case 'b': piece = std::string(kMonths[t.tm_mon]).substr(0, 3); break;
      case 'B': piece = kMonths[t.tm_mon]; break;
      case 'H': piece = pad2(t.tm_hour); break;
      case 'M': piece = pad2(t.tm_min); break;
      case '%': piece = "%"; break;
      default: out += format[i]; continue;
    }
    out += piece;
    ++i;
  }
  return out;
}

}  // namespace

void install_reference_globals(Env* root) {
  root->set("true", Value::from_bool(true));
  root->set("false", Value::from_bool(false));
  root->set("none", Value::none());
  root->set("True", Value::from_bool(true));
  root->set("False", Value::from_bool(false));
  root->set("None", Value::none());
  root->set("namespace", method("namespace", namespace_function));
  root->set("range", method("range", range_function));
  root->set("raise_exception", method("raise_exception", [](ValueList& a) -> Result<Value> {
    return Status::error(cat("raise_exception: ", a.empty() ? std::string() : js_raw_string(a[0])));
  }));
  root->set("strftime_now", Value::function("strftime_now", [](Interpreter& in, const EnvPtr&, ValueList& a) -> Result<Value> {
    if (a.empty() || !a[0].is(Kind::String)) return Status::error("strftime_now() expects a format string");
    std::time_t now = in.options().now_unix_seconds ? static_cast<std::time_t>(*in.options().now_unix_seconds)
                                                    : std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    return Value::string(strftime_subset(a[0].str, local));
  }));
}

void install_extension_globals(Env* base) {
  base->set("dict", method("dict", [](ValueList& a) -> Result<Value> {
    auto d = std::make_shared<Dict>();
    for (const Value& arg : a) {
      if (!arg.is(Kind::Dict)) return Status::error(cat("dict() cannot be built from a ", type_name(arg)));
      for (const auto& [k, v] : arg.dict->items) d->set(k, v);
    }
    return Value::make_dict(std::move(d));
  }));
}

Value attribute_path(const Value& item, const std::string& path) {
  Value v = item;
  for (std::string_view part : nt::split(path, '.')) {
    if (v.is(Kind::Dict) || v.is(Kind::Namespace)) {
      const Value* found = v.dict->find(part);
      if (!found) return Value::undefined();
      v = *found;
    } else if (v.is(Kind::List)) {
      double idx = js_parse_int(part);
      if (std::isnan(idx) || idx < 0 || idx >= static_cast<double>(v.list->size())) return Value::undefined();
      v = (*v.list)[static_cast<size_t>(idx)];
    } else {
      return Value::undefined();
    }
  }
  return v;
}

}  // namespace nt::jinja
