// Filters. The reference renderer (@huggingface/jinja) decides by the operand's type and by whether the filter
// was written with parentheses (`|int` floors a float, `|int()` returns it unchanged); both tables below follow
// it. Filters it lacks (round, sum, select, ...) are extensions with Python Jinja's behaviour.
#include <algorithm>
#include <cmath>
#include <optional>

#include "core/strings.h"
#include "text/jinja/builtins.h"
#include "text/jinja/js_text.h"

namespace nt::jinja {

namespace {

using MaybeValue = std::optional<Result<Value>>;

Result<Value> json_string(const Value& v, const JsonOptions& options, bool undefined_to_null) {
  NT_ASSIGN_OR_RETURN(std::string s, to_json(v, options, undefined_to_null));
  return Value::string(std::move(s));
}

// Array#join: null and undefined become empty strings, everything else its JavaScript string.
std::string raw_join(const ValueList& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    if (!items[i].is(Kind::Null) && !items[i].is(Kind::Undefined)) out += js_raw_string(items[i]);
  }
  return out;
}

std::string indent_lines(const std::string& s, const std::string& pad, bool first, bool blank) {
  std::string out;
  size_t start = 0, line = 0;
  while (true) {
    size_t end = s.find('\n', start);
    std::string_view piece = std::string_view(s).substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!((!first && line == 0) || (!blank && piece.empty()))) out += pad;
    out += piece;
    if (end == std::string::npos) break;
    out += '\n';
    start = end + 1;
    ++line;
  }
  return out;
}

Result<Value> sort_list(const ValueList& items, bool reverse, bool case_sensitive, const Value& attribute) {
  ValueList out = items;
  Status error;
  auto key = [&](const Value& v) {
    if (attribute.is(Kind::Null)) return v;
    return attribute_path(v, attribute.is(Kind::Int) ? js_number_to_string(attribute.number) : attribute.str);
  };
  std::stable_sort(out.begin(), out.end(), [&](const Value& a, const Value& b) {
    if (!error.is_ok()) return false;
    auto c = compare_values(key(a), key(b), case_sensitive);
    if (!c.is_ok()) { error = c.status(); return false; }
    return reverse ? *c > 0 : *c < 0;
  });
  NT_RETURN_IF_ERROR(error);
  return Value::make_list(std::move(out));
}

Value unique(const ValueList& items) {
  ValueList out;
  for (const Value& item : items) {
    bool seen = std::any_of(out.begin(), out.end(), [&](const Value& x) {
      return js_strict_equals(x, item) || (x.is_number() && item.is_number() && std::isnan(x.number) && std::isnan(item.number));
    });
    if (!seen) out.push_back(item);
  }
  return Value::make_list(std::move(out));
}

Value code_points(const std::string& s) {
  ValueList out;
  for (size_t i = 0; i < s.size();) {
    std::string ch;
    append_utf8(&ch, next_code_point(s, &i));
    out.push_back(Value::string(std::move(ch)));
  }
  return Value::make_list(std::move(out));
}

// `operand | name` without parentheses, as the reference implements it.
MaybeValue plain_filter(Interpreter& interp, const Value& v, const std::string& name, const EnvPtr& env) {
  if (name == "safe") return v;
  if (name == "tojson") return json_string(v, {}, true);
  switch (v.kind) {
    case Kind::List: {
      const ValueList& items = *v.list;
      if (name == "list") return v;
      if (name == "first") return items.empty() ? Value::undefined() : items.front();
      if (name == "last") return items.empty() ? Value::undefined() : items.back();
      if (name == "length") return Value::integer(static_cast<double>(items.size()));
      if (name == "reverse") return Value::make_list(ValueList(items.rbegin(), items.rend()));
      if (name == "sort") return sort_list(items, false, false, Value::none());
      if (name == "join") return Value::string(raw_join(items, ""));
      if (name == "string") return json_string(v, {}, false);
      if (name == "unique") return unique(items);
      return std::nullopt;
    }
    case Kind::String: {
      const std::string& s = v.str;
      if (name == "length") return Value::integer(static_cast<double>(utf16_length(s)));
      if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
        ValueList no_args;
        return member_builtin(v, name).fn->call(interp, env, no_args);
      }
      if (name == "trim") return Value::string(std::string(js_trim(s)));
      if (name == "indent") return Value::string(indent_lines(s, "    ", false, false));
      if (name == "join" || name == "string") return v;
      if (name == "int") {
        double n = js_parse_int(s);
        return Value::integer(std::isnan(n) ? 0 : n);
      }
      if (name == "float") {
        double n = js_parse_float(s);
        return Value::floating(std::isnan(n) ? 0 : n);
      }
      return std::nullopt;
    }
    case Kind::Int:
    case Kind::Float:
      if (name == "abs") return v.is(Kind::Int) ? Value::integer(std::fabs(v.number)) : Value::floating(std::fabs(v.number));
      if (name == "int") return Value::integer(std::floor(v.number));
      if (name == "float") return Value::floating(v.number);
      if (name == "string") return Value::string(to_output_string(v).value());
      return std::nullopt;
    case Kind::Dict: {
      if (name == "length") return Value::integer(static_cast<double>(v.dict->size()));
      Value builtin = member_builtin(v, name);
      if (builtin.is(Kind::Function)) {
        ValueList no_args;
        if (name == "get") return Status::error("filter 'get' needs a key");
        return builtin.fn->call(interp, env, no_args);
      }
      return std::nullopt;
    }
    case Kind::Bool:
      if (name == "bool") return v;
      if (name == "int") return Value::integer(v.boolean ? 1 : 0);
      if (name == "float") return Value::floating(v.boolean ? 1 : 0);
      if (name == "string") return Value::string(v.boolean ? "true" : "false");
      return std::nullopt;
    default: return std::nullopt;
  }
}

Result<Value> tojson_filter(const Value& v, const CallArgs& args) {
  JsonOptions options;
  const Value* indent = args.keyword("indent");
  if (indent && !indent->is(Kind::Null)) {
    if (!indent->is(Kind::Int) || indent->number < 0 || indent->number > 64) {
      return Status::error("tojson: indent must be a small non-negative integer");
    }
    options.indent = static_cast<int>(indent->number);
  }
  const Value* ensure_ascii = args.keyword("ensure_ascii");
  if (ensure_ascii) {
    if (!ensure_ascii->is(Kind::Bool)) return Status::error("tojson: ensure_ascii must be a boolean");
    options.ensure_ascii = ensure_ascii->boolean;
  }
  const Value* sort_keys = args.keyword("sort_keys");
  if (sort_keys) {
    if (!sort_keys->is(Kind::Bool)) return Status::error("tojson: sort_keys must be a boolean");
    options.sort_keys = sort_keys->boolean;
  }
  const Value* separators = args.keyword("separators");
  if (separators && !separators->is(Kind::Null)) {
    if (!separators->is(Kind::List) || separators->list->size() != 2 || !(*separators->list)[0].is(Kind::String) ||
        !(*separators->list)[1].is(Kind::String)) {
      return Status::error("tojson: separators must be a tuple of two strings");
    }
    options.has_separators = true;
    options.item_separator = (*separators->list)[0].str;
    options.key_separator = (*separators->list)[1].str;
  }
  return json_string(v, options, true);
}

const Value* arg_or_keyword(const CallArgs& args, size_t i, const char* name) {
  if (i < args.positional.size()) return &args.positional[i];
  return args.keyword(name);
}

Result<Value> default_filter(const Value& v, const CallArgs& args) {
  Value fallback = args.positional.size() > 0 ? args.positional[0] : Value::string("");
  if (args.positional.empty() && args.keyword("default_value")) fallback = *args.keyword("default_value");
  const Value* boolean = arg_or_keyword(args, 1, "boolean");
  if (boolean && !boolean->is(Kind::Bool)) return Status::error("default: the boolean flag must be a boolean");
  bool use_truthiness = boolean && boolean->boolean;
  if (v.is(Kind::Undefined) || (use_truthiness && !truthy(v))) return fallback;
  return v;
}

Result<Value> select_attr(const Value& v, const CallArgs& args, bool select) {
  for (const Value& item : *v.list) {
    if (!item.is(Kind::Dict) && !item.is(Kind::Namespace)) {
      return Status::error(cat(select ? "selectattr" : "rejectattr", " can only be applied to a list of dicts"));
    }
  }
  const ValueList& a = args.positional;
  if (a.empty() || !a[0].is(Kind::String)) return Status::error("selectattr/rejectattr: the attribute must be a string");
  if (a.size() > 1 && !a[1].is(Kind::String)) return Status::error("selectattr/rejectattr: the test name must be a string");
  ValueList test_args(a.size() > 2 ? a.begin() + 2 : a.end(), a.end());
  ValueList out;
  for (const Value& item : *v.list) {
    const Value* attr = item.dict->find(a[0].str);
    bool result = false;
    if (attr) {
      if (a.size() > 1) {
        NT_ASSIGN_OR_RETURN(result, apply_test(a[1].str, *attr, test_args));
      } else {
        result = truthy(*attr);
      }
    }
    if (result == select) out.push_back(item);
  }
  return Value::make_list(std::move(out));
}

// `operand | name(args)`, as the reference implements it.
MaybeValue call_filter(Interpreter& interp, const Value& v, const std::string& name, const CallArgs& args,
                       const EnvPtr& env) {
  if (name == "tojson") return tojson_filter(v, args);
  if (name == "join" && (v.is(Kind::String) || v.is(Kind::List))) {
    const Value* sep = arg_or_keyword(args, 0, "separator");
    if (sep && !sep->is(Kind::String)) return Status::error("join: the separator must be a string");
    std::string s = sep ? sep->str : "";
    if (v.is(Kind::String)) return Value::string(raw_join(*code_points(v.str).list, s));
    return Value::string(raw_join(*v.list, s));
  }
  if (name == "int" || name == "float") {
    bool is_int = name == "int";
    const Value* d = arg_or_keyword(args, 0, "default");
    Value fallback = d ? *d : (is_int ? Value::integer(0) : Value::floating(0));
    if (v.is(Kind::String)) {
      double n = is_int ? js_parse_int(v.str) : js_parse_float(v.str);
      if (std::isnan(n)) return fallback;
      return is_int ? Value::integer(n) : Value::floating(n);
    }
    if (v.is_number()) return v;
    if (v.is(Kind::Bool)) return is_int ? Value::integer(v.boolean) : Value::floating(v.boolean);
    return std::nullopt;
  }
  if (name == "default") return default_filter(v, args);
  if (v.is(Kind::List)) {
    if (name == "sort") {
      Value reverse = arg_or_keyword(args, 0, "reverse") ? *arg_or_keyword(args, 0, "reverse") : Value::from_bool(false);
      Value cs = arg_or_keyword(args, 1, "case_sensitive") ? *arg_or_keyword(args, 1, "case_sensitive") : Value::from_bool(false);
      Value attribute = arg_or_keyword(args, 2, "attribute") ? *arg_or_keyword(args, 2, "attribute") : Value::none();
      if (!reverse.is(Kind::Bool)) return Status::error("sort: reverse must be a boolean");
      if (!cs.is(Kind::Bool)) return Status::error("sort: case_sensitive must be a boolean");
      if (!attribute.is(Kind::String) && !attribute.is(Kind::Int) && !attribute.is(Kind::Null)) {
        return Status::error("sort: attribute must be a string, an integer or none");
      }
      return sort_list(*v.list, reverse.boolean, cs.boolean, attribute);
    }
    if (name == "selectattr" || name == "rejectattr") return select_attr(v, args, name == "selectattr");
    if (name == "map" && args.keyword("attribute")) {
      const Value& attr = *args.keyword("attribute");
      if (!attr.is(Kind::String)) return Status::error("map: attribute must be a string");
      const Value* fallback = args.keyword("default");
      ValueList out;
      for (const Value& item : *v.list) {
        if (!item.is(Kind::Dict) && !item.is(Kind::Namespace)) return Status::error("map(attribute=...) needs a list of dicts");
        Value found = attribute_path(item, attr.str);
        out.push_back(found.is(Kind::Undefined) && fallback ? *fallback : found);
      }
      return Value::make_list(std::move(out));
    }
    return std::nullopt;
  }
  if (v.is(Kind::String)) {
    if (name == "indent") {
      const Value* width = arg_or_keyword(args, 0, "width");
      if (width && !width->is(Kind::Int)) return Status::error("indent: width must be an integer");
      double w = width ? width->number : 4;
      if (w < 0 || w > 1024) return Status::error("indent: width out of range");
      const Value* first = arg_or_keyword(args, 1, "first");
      const Value* blank = arg_or_keyword(args, 2, "blank");
      return Value::string(indent_lines(v.str, std::string(static_cast<size_t>(w), ' '), first && truthy(*first),
                                        blank && truthy(*blank)));
    }
    if (name == "replace") {
      ValueList a = args.positional;
      auto kw = std::make_shared<Dict>(*args.keywords);
      kw->is_kwargs = true;
      a.push_back(Value::make_dict(std::move(kw)));
      return string_replace(v.str, a);
    }
    return std::nullopt;
  }
  if (v.is(Kind::Dict)) {
    Value builtin = member_builtin(v, name);
    if (!builtin.is(Kind::Function)) return std::nullopt;
    ValueList a = args.flattened();
    return builtin.fn->call(interp, env, a);
  }
  return std::nullopt;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Result<Value> min_max(const Value& v, const CallArgs& args, bool is_max) {
  if (!v.is(Kind::List)) return Status::error(cat(is_max ? "max" : "min", " needs a list"));
  const Value* cs = args.keyword("case_sensitive");
  const Value* attribute = args.keyword("attribute");
  std::optional<Value> best, best_key;
  for (const Value& item : *v.list) {
    Value key = attribute && attribute->is(Kind::String) ? attribute_path(item, attribute->str) : item;
    if (best) {
      NT_ASSIGN_OR_RETURN(int c, compare_values(key, *best_key, cs && truthy(*cs)));
      if (is_max ? c <= 0 : c >= 0) continue;
    }
    best = item;
    best_key = key;
  }
  return best ? *best : Value::undefined();
}

// Python Jinja filters the reference lacks; reached only where the reference would fail.
MaybeValue extension_filter(Interpreter& interp, const Value& v, const std::string& name, const CallArgs& args,
                            bool call_form, const EnvPtr& env) {
  if (call_form && args.positional.empty() && args.keywords->size() == 0) {
    if (auto r = plain_filter(interp, v, name, env)) return r;
  }
  if (name == "d" || name == "default") return default_filter(v, args);
  if (name == "count" && (v.is(Kind::List) || v.is(Kind::String) || v.is(Kind::Dict))) return plain_filter(interp, v, "length", env);
  if (name == "e" || name == "escape" || name == "forceescape") {
    NT_ASSIGN_OR_RETURN(std::string s, to_output_string(v));
    return Value::string(html_escape(s));
  }
  if (name == "round" && v.is_number()) {
    const Value* precision = arg_or_keyword(args, 0, "precision");
    const Value* how = arg_or_keyword(args, 1, "method");
    double scale = std::pow(10.0, precision && precision->is_number() ? precision->number : 0);
    std::string mode = how && how->is(Kind::String) ? how->str : "common";
    double x = v.number * scale;
    double r = mode == "ceil" ? std::ceil(x) : mode == "floor" ? std::floor(x) : std::nearbyint(x);
    return Value::floating(r / scale);
  }
  if (name == "sum" && v.is(Kind::List)) {
    const Value* attribute = arg_or_keyword(args, 0, "attribute");
    const Value* start = arg_or_keyword(args, 1, "start");
    Value total = start ? *start : Value::integer(0);
    for (const Value& item : *v.list) {
      Value x = attribute && attribute->is(Kind::String) ? attribute_path(item, attribute->str) : item;
      if (!x.is_number() || !total.is_number()) return Status::error(cat("sum: cannot add a ", type_name(x)));
      total = (x.is(Kind::Float) || total.is(Kind::Float)) ? Value::floating(total.number + x.number)
                                                             : Value::integer(total.number + x.number);
    }
    return total;
  }
  if (name == "min" || name == "max") return min_max(v, args, name == "max");
  if ((name == "select" || name == "reject") && v.is(Kind::List)) {
    ValueList out;
    ValueList test_args(args.positional.size() > 1 ? args.positional.begin() + 1 : args.positional.end(), args.positional.end());
    for (const Value& item : *v.list) {
      bool result = truthy(item);
      if (!args.positional.empty()) {
        if (!args.positional[0].is(Kind::String)) return Status::error(cat(name, ": the test name must be a string"));
        NT_ASSIGN_OR_RETURN(result, apply_test(args.positional[0].str, item, test_args));
      }
      if (result == (name == "select")) out.push_back(item);
    }
    return Value::make_list(std::move(out));
  }
  if (name == "map" && v.is(Kind::List) && !args.positional.empty() && args.positional[0].is(Kind::String)) {
    CallArgs rest;
    rest.positional.assign(args.positional.begin() + 1, args.positional.end());
    rest.keywords = args.keywords;
    bool has_args = !rest.positional.empty() || rest.keywords->size() > 0;
    ValueList out;
    for (const Value& item : *v.list) {
      NT_ASSIGN_OR_RETURN(Value mapped, apply_filter(interp, item, args.positional[0].str, rest, has_args, env));
      out.push_back(std::move(mapped));
    }
    return Value::make_list(std::move(out));
  }
  if (name == "list" && v.is(Kind::String)) return code_points(v.str);
  if (name == "list" && v.is(Kind::Dict)) {
    ValueList keys;
    for (const auto& [k, x] : v.dict->items) keys.push_back(Value::string(k));
    return Value::make_list(std::move(keys));
  }
  if ((name == "first" || name == "last" || name == "reverse") && v.is(Kind::String)) {
    const ValueList& chars = *code_points(v.str).list;
    if (name == "reverse") return Value::string(raw_join(ValueList(chars.rbegin(), chars.rend()), ""));
    if (chars.empty()) return Value::undefined();
    return name == "first" ? chars.front() : chars.back();
  }
  if (name == "unique" && v.is(Kind::List)) return unique(*v.list);
  if (name == "trim" && v.is(Kind::String) && !args.positional.empty() && args.positional[0].is(Kind::String)) {
    const std::string& chars = args.positional[0].str;
    size_t b = v.str.find_first_not_of(chars), e = v.str.find_last_not_of(chars);
    return Value::string(b == std::string::npos ? "" : v.str.substr(b, e - b + 1));
  }
  if (name == "attr" && !args.positional.empty() && args.positional[0].is(Kind::String) &&
      (v.is(Kind::Dict) || v.is(Kind::Namespace))) {
    const Value* found = v.dict->find(args.positional[0].str);
    return found ? *found : Value::undefined();
  }
  return std::nullopt;
}

}  // namespace

Result<Value> apply_filter(Interpreter& interp, const Value& operand, const std::string& name, const CallArgs& args,
                           bool call_form, const EnvPtr& env) {
  MaybeValue r = call_form ? call_filter(interp, operand, name, args, env) : plain_filter(interp, operand, name, env);
  if (!r) r = extension_filter(interp, operand, name, args, call_form, env);
  if (r) return std::move(*r);
  return Status::error(cat("unknown filter '", name, "' for a ", type_name(operand), " value"));
}

}  // namespace nt::jinja
