#include "sampling/tool_calls.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace nt {

namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr size_t kMaxJsonDepth = 64;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view rtrim(std::string_view s) {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Parses JSON keeping key order (arguments are re-serialized in the order the model wrote them). No exceptions;
// nesting deeper than kMaxJsonDepth is rejected.
std::optional<OrderedJson> parse_ordered(std::string_view text) {
  bool too_deep = false;
  auto cb = [&](int depth, OrderedJson::parse_event_t event, OrderedJson&) {
    if ((event == OrderedJson::parse_event_t::object_start || event == OrderedJson::parse_event_t::array_start) &&
        static_cast<size_t>(depth) >= kMaxJsonDepth) {
      too_deep = true;
    }
    return !too_deep;
  };
  OrderedJson j = OrderedJson::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
  if (too_deep || j.is_discarded()) return std::nullopt;
  return j;
}

std::string dump_scalar(const OrderedJson& v) {
  return v.dump(-1, ' ', /*ensure_ascii=*/false, OrderedJson::error_handler_t::replace);
}

// Serializes like Python's json.dumps(v, ensure_ascii=False): separators ", " and ": ", key order kept.
void dump_python_style(const OrderedJson& v, std::string* out) {
  if (v.is_object()) {
    out->push_back('{');
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) out->append(", ");
      first = false;
      out->append(dump_scalar(OrderedJson(it.key())));
      out->append(": ");
      dump_python_style(it.value(), out);
    }
    out->push_back('}');
  } else if (v.is_array()) {
    out->push_back('[');
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out->append(", ");
      dump_python_style(v[i], out);
    }
    out->push_back(']');
  } else {
    out->append(dump_scalar(v));
  }
}

std::string dump_python_style(const OrderedJson& v) {
  std::string out;
  dump_python_style(v, &out);
  return out;
}

std::string make_call_id(uint64_t seed, size_t index) {
  // splitmix64 of (seed, index): 24 hex digits, like OpenAI's "call_" ids but reproducible.
  auto mix = [](uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  uint64_t a = mix(seed ^ mix(index));
  uint64_t b = mix(a);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "call_%016llx%08llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b >> 32));
  return buf;
}

ToolCallParse as_content(std::string_view text) { return ToolCallParse{std::string(text), {}}; }

}  // namespace

ToolCallParse parse_tool_calls_json(std::string_view text, const ToolCallOptions& options) {
  static constexpr std::string_view kOpen = "<TOOLCALL>", kClose = "</TOOLCALL>";
  ToolCallParse out;
  std::string content;
  size_t pos = 0;
  bool any_block = false;
  while (pos <= text.size()) {
    size_t open = text.find(kOpen, pos);
    if (open == std::string_view::npos) {
      content.append(text.substr(pos));
      break;
    }
    any_block = true;
    content.append(text.substr(pos, open - pos));
    size_t body_start = open + kOpen.size();
    size_t close = text.find(kClose, body_start);
    std::string_view body = trim(text.substr(body_start, close == std::string_view::npos ? text.npos : close - body_start));
    pos = close == std::string_view::npos ? text.size() + 1 : close + kClose.size();
    auto parsed = parse_ordered(body);
    if (!parsed) return as_content(text);
    OrderedJson calls = parsed->is_array() ? std::move(*parsed) : OrderedJson::array({std::move(*parsed)});
    for (const auto& c : calls) {
      if (!c.is_object() || !c.contains("name") || !c["name"].is_string() || c["name"].get<std::string>().empty()) {
        return as_content(text);
      }
      ToolCall call;
      call.name = c["name"].get<std::string>();
      auto args = c.find("arguments");
      if (args == c.end() || args->is_null()) call.arguments = "{}";
      else if (args->is_string()) call.arguments = args->get<std::string>();
      else call.arguments = dump_python_style(*args);
      call.id = make_call_id(options.id_seed, out.tool_calls.size());
      out.tool_calls.push_back(std::move(call));
    }
  }
  if (!any_block) return as_content(text);
  out.content = std::string(trim(content));
  return out;
}

namespace {

// The type vLLM's qwen3_coder parser reads for a parameter: lower-cased `type` of the declared property, "string"
// when declared without a type, nullopt when the tool or the parameter is not declared.
std::optional<std::string> declared_type(const Json* tools, const std::string& func, const std::string& param) {
  if (tools == nullptr || !tools->is_array()) return std::nullopt;
  for (const auto& t : *tools) {
    if (!t.is_object() || !t.contains("type") || t["type"] != "function" || !t.contains("function")) continue;
    const Json& f = t["function"];
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() || f["name"].get<std::string>() != func) continue;
    if (!f.contains("parameters") || !f["parameters"].is_object()) return std::nullopt;
    const Json& params = f["parameters"];
    const Json& props = params.contains("properties") ? params["properties"] : params;
    if (!props.is_object() || !props.contains(param)) return std::nullopt;
    const Json& p = props[param];
    if (!p.is_object() || !p.contains("type")) return std::string("string");
    std::string type = p["type"].is_string() ? std::string(trim(p["type"].get<std::string>())) : p["type"].dump(-1, ' ', false, Json::error_handler_t::replace);
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return type;
  }
  return std::nullopt;
}

bool starts_with_any(const std::string& s, std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes) {
    if (s.compare(0, p.size(), p) == 0) return true;
  }
  return false;
}

// Python float(): optional whitespace and sign, decimal digits/point/exponent; no hex. Finite only (inf/nan make
// vLLM's int(...) check raise, so they stay text).
std::optional<double> parse_float(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 400) return std::nullopt;
  for (char c : s) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
      return std::nullopt;
    }
  }
  std::string tmp(s);
  char* end = nullptr;
  double v = std::strtod(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// Python int() on a decimal string: optional whitespace and sign, digits only.
std::optional<int64_t> parse_int(std::string_view s) {
  s = trim(s);
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i == s.size() || s.size() - i > 18) return std::nullopt;
  for (size_t k = i; k < s.size(); ++k) {
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return std::nullopt;
  }
  return std::strtoll(std::string(s).c_str(), nullptr, 10);
}

OrderedJson convert_value(const std::string& value, const std::optional<std::string>& type, bool untyped_as_json) {
  std::string lower = value;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "null") return nullptr;
  if (!type) {
    if (untyped_as_json) {
      if (auto j = parse_ordered(value)) return *j;
    }
    return value;
  }
  const std::string& t = *type;
  if (t == "string" || t == "str" || t == "text" || t == "varchar" || t == "char" || t == "enum") return value;
  if (starts_with_any(t, {"int", "uint", "long", "short", "unsigned"})) {
    if (auto v = parse_int(value)) return *v;
    return value;
  }
  if (starts_with_any(t, {"num", "float"})) {
    auto v = parse_float(value);
    if (!v) return value;
    if (*v == std::floor(*v) && std::fabs(*v) < 9.2e18) return static_cast<int64_t>(*v);
    return *v;
  }
  if (t == "boolean" || t == "bool" || t == "binary") return lower == "true";
  if (auto j = parse_ordered(value)) return *j;
  return value;
}

// Finds the end of a region that stops at the first of `terminators` (or the end of `s`).
size_t region_end(std::string_view s, size_t from, std::initializer_list<std::string_view> terminators) {
  size_t end = s.size();
  for (auto t : terminators) end = std::min(end, s.find(t, from));
  return end;
}

// Parses one `<function=NAME>...` body (the text after "<function="). False if malformed.
bool parse_function(std::string_view body, const ToolCallOptions& options, ToolCall* call) {
  static constexpr std::string_view kParam = "<parameter=", kParamEnd = "</parameter>", kFuncEnd = "</function>";
  size_t gt = body.find('>');
  if (gt == std::string_view::npos || gt == 0) return false;
  call->name = std::string(body.substr(0, gt));
  OrderedJson args = OrderedJson::object();
  size_t pos = gt + 1;
  while (true) {
    size_t p = body.find(kParam, pos);
    if (p == std::string_view::npos) break;
    size_t start = p + kParam.size();
    size_t end = region_end(body, start, {kParamEnd, kParam, kFuncEnd});
    std::string_view match = body.substr(start, end - start);
    size_t name_end = match.find('>');
    if (name_end == std::string_view::npos) return false;
    std::string name(match.substr(0, name_end));
    std::string_view value = match.substr(name_end + 1);
    if (!value.empty() && value.front() == '\n') value.remove_prefix(1);
    if (!value.empty() && value.back() == '\n') value.remove_suffix(1);
    args[name] = convert_value(std::string(value), declared_type(options.tools, call->name, name), options.untyped_as_json);
    pos = body.compare(end, kParamEnd.size(), kParamEnd) == 0 ? end + kParamEnd.size() : end;
  }
  call->arguments = dump_python_style(args);
  return true;
}

}  // namespace

ToolCallParse parse_tool_calls_xml(std::string_view text, const ToolCallOptions& options) {
  static constexpr std::string_view kCall = "<tool_call>", kCallEnd = "</tool_call>";
  static constexpr std::string_view kFunc = "<function=", kFuncEnd = "</function>";
  if (text.find(kFunc) == std::string_view::npos) return as_content(text);
  // Blocks to search for functions: each <tool_call> region, or the whole text when there is no such tag.
  struct Region { size_t begin, end, after; };
  std::vector<Region> regions;
  size_t first = text.find(kCall);
  if (first == std::string_view::npos) {
    regions.push_back({0, text.size(), text.size()});
    first = text.find(kFunc);
  } else {
    for (size_t p = first; p != std::string_view::npos; p = text.find(kCall, p)) {
      size_t begin = p + kCall.size();
      size_t end = region_end(text, begin, {kCallEnd, kCall});
      size_t after = text.compare(end, kCallEnd.size(), kCallEnd) == 0 ? end + kCallEnd.size() : end;
      regions.push_back({begin, end, after});
      p = after;
    }
  }
  ToolCallParse out;
  size_t last_end = first;
  for (const Region& r : regions) {
    std::string_view block = text.substr(r.begin, r.end - r.begin);
    for (size_t f = block.find(kFunc); f != std::string_view::npos; f = block.find(kFunc, f)) {
      size_t start = f + kFunc.size();
      size_t end = region_end(block, start, {kFuncEnd, kFunc});
      ToolCall call;
      if (!parse_function(block.substr(start, end - start), options, &call)) return as_content(text);
      call.id = make_call_id(options.id_seed, out.tool_calls.size());
      out.tool_calls.push_back(std::move(call));
      f = end;
      size_t func_after = block.compare(end, kFuncEnd.size(), kFuncEnd) == 0 ? end + kFuncEnd.size() : end;
      last_end = std::max(last_end, r.begin + func_after);
    }
    last_end = std::max(last_end, r.after);
  }
  if (out.tool_calls.empty()) return as_content(text);
  std::string_view before = rtrim(text.substr(0, first));
  std::string_view after = trim(text.substr(std::min(last_end, text.size())));
  out.content = std::string(before);
  if (!after.empty()) {
    if (!out.content.empty()) out.content += "\n";
    out.content.append(after);
  }
  return out;
}

Json tool_calls_to_openai(const std::vector<ToolCall>& calls) {
  Json arr = Json::array();
  for (const auto& c : calls) {
    arr.push_back(Json{{"id", c.id}, {"type", "function"}, {"function", Json{{"name", c.name}, {"arguments", c.arguments}}}});
  }
  return arr;
}

}  // namespace nt
