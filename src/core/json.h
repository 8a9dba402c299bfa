// JSON parsing for configs, indexes and requests (nlohmann::json underneath).
// Accepts the non-standard number tokens Python's json module writes (Infinity, -Infinity, NaN): they are
// turned into the strings "Infinity", "-Infinity", "NaN", which json_number() reads back as floats.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace nt {

using Json = nlohmann::json;

struct JsonLimits {
  size_t max_depth = 256;
};

// `what` names the input in error messages ("config.json").
Result<Json> parse_json(std::string_view text, std::string_view what, JsonLimits limits = {});

// A JSON value as a double: numbers, the strings "Infinity"/"-Infinity"/"NaN", and {"__float__": "Infinity"}.
bool json_number(const Json& v, double* out);

// A short description of a JSON value's type for error messages ("string", "array", ...).
std::string json_type_name(const Json& v);

}  // namespace nt
