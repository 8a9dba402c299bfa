#include "core/json.h"

#include <cmath>
#include <limits>

#include "core/strings.h"

namespace nt {

namespace {

// Rewrites bare Infinity / -Infinity / NaN tokens (outside strings) as quoted strings.
std::string quote_special_numbers(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) out.push_back(text[++i]);
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') { in_string = true; out.push_back(c); continue; }
    std::string_view rest = text.substr(i);
    if (starts_with(rest, "-Infinity")) { out += "\"-Infinity\""; i += 8; continue; }
    if (starts_with(rest, "Infinity")) { out += "\"Infinity\""; i += 7; continue; }
    if (starts_with(rest, "NaN")) { out += "\"NaN\""; i += 2; continue; }
    out.push_back(c);
  }
  return out;
}

}  // namespace

Result<Json> parse_json(std::string_view text, std::string_view what, JsonLimits limits) {
  bool has_special = text.find("Infinity") != std::string_view::npos || text.find("NaN") != std::string_view::npos;
  std::string rewritten;
  if (has_special) {
    rewritten = quote_special_numbers(text);
    text = rewritten;
  }
  size_t depth_exceeded = 0;
  auto cb = [&](int depth, Json::parse_event_t event, Json&) {
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
        static_cast<size_t>(depth) >= limits.max_depth) {
      depth_exceeded = static_cast<size_t>(depth) + 1;
    }
    return true;
  };
  Json j = Json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
  if (depth_exceeded) {
    return Status::error(cat(what, ": JSON nesting deeper than the limit of ", limits.max_depth));
  }
  if (j.is_discarded()) {
    // Re-parse with exceptions to get the byte position of the error.
    try {
      Json probe = Json::parse(text.begin(), text.end());
      (void)probe;
    } catch (const Json::parse_error& e) {
      return Status::error(cat(what, ": invalid JSON: ", e.what()));
    } catch (...) {
    }
    return Status::error(cat(what, ": invalid JSON"));
  }
  return j;
}

bool json_number(const Json& v, double* out) {
  if (v.is_number()) { *out = v.get<double>(); return true; }
  const Json* s = &v;
  if (v.is_object() && v.size() == 1 && v.contains("__float__")) s = &v["__float__"];
  if (s->is_string()) {
    const auto& str = s->get_ref<const std::string&>();
    if (str == "Infinity" || str == "inf") { *out = std::numeric_limits<double>::infinity(); return true; }
    if (str == "-Infinity" || str == "-inf") { *out = -std::numeric_limits<double>::infinity(); return true; }
    if (str == "NaN" || str == "nan") { *out = std::numeric_limits<double>::quiet_NaN(); return true; }
  }
  return false;
}

std::string json_type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "object";
    case Json::value_t::array: return "array";
    case Json::value_t::string: return "string";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer";
    case Json::value_t::number_float: return "number";
    default: return "value";
  }
}

}  // namespace nt
