// Typed, exception-free reads of optional fields in tokenizer.json / tokenizer_config.json objects:
// a missing field or one of another type yields the default (as the reference's `?? default` does).
#pragma once

#include <string>

#include "core/json.h"

namespace nt::text {

inline bool bool_field(const Json& o, const char* key, bool def) {
  if (!o.is_object()) return def;
  auto it = o.find(key);
  return it != o.end() && it->is_boolean() ? it->get<bool>() : def;
}

inline std::string string_field(const Json& o, const char* key, const std::string& def = "") {
  if (!o.is_object()) return def;
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : def;
}

inline long long int_field(const Json& o, const char* key, long long def) {
  if (!o.is_object()) return def;
  auto it = o.find(key);
  return it != o.end() && it->is_number_integer() ? it->get<long long>() : def;
}

inline const Json& field(const Json& o, const char* key) {
  static const Json kNull;
  if (!o.is_object()) return kNull;
  auto it = o.find(key);
  return it != o.end() ? *it : kNull;
}

}  // namespace nt::text
