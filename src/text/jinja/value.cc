#include "text/jinja/value.h"

#include <algorithm>
#include <cmath>

#include "core/strings.h"
#include "text/jinja/js_text.h"

namespace nt::jinja {

namespace {
// Deeper than any real data; also what stops a namespace that contains itself from recursing forever.
constexpr int kMaxValueDepth = 256;
}  // namespace

Value Value::make_list(ValueList items, bool tuple) {
  Value v;
  v.kind = Kind::List;
  v.is_tuple = tuple;
  v.list = std::make_shared<ValueList>(std::move(items));
  return v;
}

Value Value::make_dict(std::shared_ptr<Dict> d) {
  Value v;
  v.kind = Kind::Dict;
  v.dict = std::move(d);
  return v;
}

Value Value::make_dict() { return make_dict(std::make_shared<Dict>()); }

Value Value::make_namespace(std::shared_ptr<Dict> d) {
  Value v;
  v.kind = Kind::Namespace;
  v.dict = std::move(d);
  return v;
}

Value Value::function(std::string name, NativeFunction fn) {
  Value v;
  v.kind = Kind::Function;
  v.fn = std::make_shared<Callable>(Callable{std::move(name), std::move(fn)});
  return v;
}

Value Value::number_value(double n) {
  bool integral = std::isfinite(n) && std::trunc(n) == n;
  return integral ? integer(n) : floating(n);
}

bool Value::is_kwargs() const { return kind == Kind::Dict && dict && dict->is_kwargs; }

const Value* Dict::find(std::string_view key) const {
  auto it = index.find(std::string(key));
  return it == index.end() ? nullptr : &items[it->second].second;
}

void Dict::set(const std::string& key, Value v) {
  auto it = index.find(key);
  if (it != index.end()) {
    items[it->second].second = std::move(v);
    return;
  }
  index.emplace(key, items.size());
  items.emplace_back(key, std::move(v));
}

void Dict::erase(const std::string& key) {
  auto it = index.find(key);
  if (it == index.end()) return;
  items.erase(items.begin() + static_cast<std::ptrdiff_t>(it->second));
  index.clear();
  for (size_t i = 0; i < items.size(); ++i) index.emplace(items[i].first, i);
}

std::string type_name(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined: return "undefined";
    case Kind::Null: return "none";
    case Kind::Bool: return "boolean";
    case Kind::Int: return "integer";
    case Kind::Float: return "float";
    case Kind::String: return "string";
    case Kind::List: return v.is_tuple ? "tuple" : "list";
    case Kind::Dict: return v.is_kwargs() ? "keyword arguments" : "dict";
    case Kind::Namespace: return "namespace";
    case Kind::Function: return "function";
  }
  return "?";
}

bool truthy(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined:
    case Kind::Null: return false;
    case Kind::Bool: return v.boolean;
    case Kind::Int:
    case Kind::Float: return v.number != 0 && !std::isnan(v.number);
    case Kind::String: return !v.str.empty();
    case Kind::List: return !v.list->empty();
    case Kind::Dict: return v.dict->size() > 0;
    case Kind::Namespace:
    case Kind::Function: return true;
  }
  return false;
}

bool js_strict_equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return a.number == b.number;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::Undefined:
    case Kind::Null: return true;
    case Kind::Bool: return a.boolean == b.boolean;
    case Kind::String: return a.str == b.str;
    case Kind::List: return a.list == b.list;
    case Kind::Dict:
    case Kind::Namespace: return a.dict == b.dict;
    case Kind::Function: return a.fn == b.fn;
    default: return false;
  }
}

namespace {

// A JavaScript primitive (or object reference) for the abstract equality algorithm.
struct JsPrimitive {
  enum Type { kUndefined, kNull, kBool, kNumber, kString, kObject } type;
  double number = 0;
  std::string str;
  const Value* object = nullptr;
};

JsPrimitive to_primitive(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined: return {JsPrimitive::kUndefined, 0, {}, nullptr};
    case Kind::Null: return {JsPrimitive::kNull, 0, {}, nullptr};
    case Kind::Bool: return {JsPrimitive::kBool, v.boolean ? 1.0 : 0.0, {}, nullptr};
    case Kind::Int:
    case Kind::Float: return {JsPrimitive::kNumber, v.number, {}, nullptr};
    case Kind::String: return {JsPrimitive::kString, 0, v.str, nullptr};
    default: return {JsPrimitive::kObject, 0, "", &v};
  }
}

bool loose_equals(JsPrimitive x, JsPrimitive y) {
  using P = JsPrimitive;
  if (x.type == y.type) {
    switch (x.type) {
      case P::kUndefined:
      case P::kNull: return true;
      case P::kBool:
      case P::kNumber: return x.number == y.number;
      case P::kString: return x.str == y.str;
      case P::kObject: return js_strict_equals(*x.object, *y.object);
    }
  }
  bool x_nullish = x.type == P::kNull || x.type == P::kUndefined;
  bool y_nullish = y.type == P::kNull || y.type == P::kUndefined;
  if (x_nullish || y_nullish) return x_nullish && y_nullish;
  if (x.type == P::kBool) { x.type = P::kNumber; return loose_equals(x, y); }
  if (y.type == P::kBool) { y.type = P::kNumber; return loose_equals(x, y); }
  if (x.type == P::kNumber && y.type == P::kString) return x.number == js_string_to_number(y.str);
  if (x.type == P::kString && y.type == P::kNumber) return js_string_to_number(x.str) == y.number;
  if (x.type == P::kObject) return loose_equals({P::kString, 0, js_raw_string(*x.object), nullptr}, y);
  if (y.type == P::kObject) return loose_equals(x, {P::kString, 0, js_raw_string(*y.object), nullptr});
  return false;
}

}  // namespace

bool js_loose_equals(const Value& a, const Value& b) { return loose_equals(to_primitive(a), to_primitive(b)); }

std::string js_raw_string(const Value& v, int depth) {
  switch (v.kind) {
    case Kind::Undefined: return "undefined";
    case Kind::Null: return "null";
    case Kind::Bool: return v.boolean ? "true" : "false";
    case Kind::Int:
    case Kind::Float: return js_number_to_string(v.number);
    case Kind::String: return v.str;
    case Kind::List: {
      // Array#toString joins with "," and shows null/undefined as empty; cycles print as empty too.
      if (depth > kMaxValueDepth) return "";
      std::string out;
      for (size_t i = 0; i < v.list->size(); ++i) {
        if (i) out += ",";
        const Value& item = (*v.list)[i];
        if (!item.is(Kind::Null) && !item.is(Kind::Undefined)) out += js_raw_string(item, depth + 1);
      }
      return out;
    }
    case Kind::Dict:
    case Kind::Namespace: return "[object Map]";
    case Kind::Function: return "function";
  }
  return "";
}

namespace {

// An approximation of String#localeCompare (ICU root collation) for the sort_keys option of tojson:
// punctuation, then digits, then letters case-insensitively; lower case first on ties.
int collation_rank(uint32_t cp) {
  static const std::string_view kOrder =
      " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz";
  if (cp < 0x80) {
    char c = static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    size_t pos = kOrder.find(c);
    return pos == std::string_view::npos ? static_cast<int>(cp) : 1000 + static_cast<int>(pos);
  }
  return 2000 + static_cast<int>(cp);
}

int locale_compare(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  int tertiary = 0;
  while (i < a.size() && j < b.size()) {
    uint32_t ca = next_code_point(a, &i), cb = next_code_point(b, &j);
    int ra = collation_rank(ca), rb = collation_rank(cb);
    if (ra != rb) return ra < rb ? -1 : 1;
    if (tertiary == 0 && ca != cb) tertiary = ca > cb ? -1 : 1;  // lower case (larger code) first
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return tertiary;
}

struct JsonWriter {
  const JsonOptions& options;
  bool undefined_to_null;
  std::string item_sep, key_sep;

  Status write(const Value& v, int depth, std::string* out) const {
    if (depth > kMaxValueDepth) return Status::error("tojson: value nested too deeply (or contains itself)");
    switch (v.kind) {
      case Kind::Null: *out += "null"; return Status::ok();
      case Kind::Undefined: *out += undefined_to_null ? "null" : "undefined"; return Status::ok();
      case Kind::Bool: *out += v.boolean ? "true" : "false"; return Status::ok();
      case Kind::Int:
      case Kind::Float: *out += js_number_to_json(v.number); return Status::ok();
      case Kind::String: *out += js_json_quote(v.str, options.ensure_ascii); return Status::ok();
      case Kind::List:
        if (v.is_tuple) return Status::error("cannot convert a tuple to JSON");
        return write_list(*v.list, depth, out);
      case Kind::Dict:
        if (v.is_kwargs()) return Status::error("cannot convert keyword arguments to JSON");
        return write_dict(*v.dict, depth, out);
      case Kind::Namespace: return write_dict(*v.dict, depth, out);
      case Kind::Function: return Status::error("cannot convert a function to JSON");
    }
    return Status::ok();
  }

  std::string padding(int depth) const {
    return "\n" + std::string(static_cast<size_t>(options.indent) * static_cast<size_t>(depth), ' ');
  }

  Status write_list(const ValueList& items, int depth, std::string* out) const {
    bool pretty = options.indent > 0 && !items.empty();
    *out += "[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) *out += item_sep;
      if (pretty) *out += padding(depth + 1);
      NT_RETURN_IF_ERROR(write(items[i], depth + 1, out));
    }
    if (pretty) *out += padding(depth);
    *out += "]";
    return Status::ok();
  }

  Status write_dict(const Dict& dict, int depth, std::string* out) const {
    std::vector<const std::pair<std::string, Value>*> entries;
    for (const auto& e : dict.items) entries.push_back(&e);
    if (options.sort_keys) {
      std::stable_sort(entries.begin(), entries.end(),
                       [](const auto* a, const auto* b) { return locale_compare(a->first, b->first) < 0; });
    }
    bool pretty = options.indent > 0 && !entries.empty();
    *out += "{";
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i) *out += item_sep;
      if (pretty) *out += padding(depth + 1);
      *out += js_json_quote(entries[i]->first, options.ensure_ascii);
      *out += key_sep;
      NT_RETURN_IF_ERROR(write(entries[i]->second, depth + 1, out));
    }
    if (pretty) *out += padding(depth);
    *out += "}";
    return Status::ok();
  }
};

}  // namespace

Result<std::string> to_json(const Value& v, const JsonOptions& options, bool undefined_to_null, int depth) {
  JsonWriter writer{options, undefined_to_null, ", ", ": "};
  if (options.has_separators) {
    writer.item_sep = options.item_separator;
    writer.key_sep = options.key_separator;
  } else if (options.indent > 0) {
    writer.item_sep = ",";  // Python's json.dumps drops the space after "," when indenting
  }
  std::string out;
  NT_RETURN_IF_ERROR(writer.write(v, depth, &out));
  return out;
}

Result<std::string> to_output_string(const Value& v) {
  switch (v.kind) {
    case Kind::Undefined:
    case Kind::Null: return std::string();
    case Kind::Bool: return std::string(v.boolean ? "true" : "false");
    case Kind::Int: return js_number_to_string(v.number);
    case Kind::Float: return js_float_to_string(v.number);
    case Kind::String: return v.str;
    case Kind::List:
    case Kind::Dict:
    case Kind::Namespace: return to_json(v, JsonOptions{}, /*undefined_to_null=*/false);
    case Kind::Function: return Status::error(cat("cannot print function '", v.fn->name, "'"));
  }
  return std::string();
}

Result<int> compare_values(const Value& a, const Value& b, bool case_sensitive) {
  auto numeric = [](const Value& v) { return v.is_number() || v.is(Kind::Bool); };
  auto as_number = [](const Value& v) { return v.is(Kind::Bool) ? (v.boolean ? 1.0 : 0.0) : v.number; };
  if (a.is(Kind::Null) && b.is(Kind::Null)) return 0;
  if (a.is(Kind::Undefined) && b.is(Kind::Undefined)) return 0;
  if (a.is(Kind::Null) || b.is(Kind::Null) || a.is(Kind::Undefined) || b.is(Kind::Undefined)) {
    return Status::error(cat("cannot compare ", type_name(a), " with ", type_name(b)));
  }
  if (numeric(a) && numeric(b)) {
    double x = as_number(a), y = as_number(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (type_name(a) != type_name(b)) {
    return Status::error(cat("cannot compare different types: ", type_name(a), " and ", type_name(b)));
  }
  if (!a.is(Kind::String)) return Status::error(cat("cannot compare values of type ", type_name(a)));
  if (case_sensitive) return js_compare_strings(a.str, b.str);
  return js_compare_strings(js_to_lower(a.str), js_to_lower(b.str));
}

namespace {

// An array index as JavaScript orders object keys: "0" or [1-9][0-9]* below 2^32 - 1.
bool is_array_index(const std::string& key, double* value) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return false;
  double v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *value = v;
  return v < 4294967295.0;
}

}  // namespace

Value value_from_json(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null: return Value::none();
    case nlohmann::ordered_json::value_t::boolean: return Value::from_bool(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value::number_value(static_cast<double>(j.get<int64_t>()));
    case nlohmann::ordered_json::value_t::number_unsigned:
      return Value::number_value(static_cast<double>(j.get<uint64_t>()));
    case nlohmann::ordered_json::value_t::number_float: return Value::number_value(j.get<double>());
    case nlohmann::ordered_json::value_t::string: return Value::string(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      ValueList items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(value_from_json(e));
      return Value::make_list(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      auto dict = std::make_shared<Dict>();
      std::vector<std::pair<double, const std::string*>> indices;
      for (auto it = j.begin(); it != j.end(); ++it) {
        double idx = 0;
        if (is_array_index(it.key(), &idx)) indices.emplace_back(idx, &it.key());
      }
      std::sort(indices.begin(), indices.end());
      for (const auto& [idx, key] : indices) dict->set(*key, value_from_json(j.at(*key)));
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!dict->contains(it.key())) dict->set(it.key(), value_from_json(it.value()));
      }
      return Value::make_dict(std::move(dict));
    }
    default: return Value::undefined();
  }
}

}  // namespace nt::jinja
