#include "sampling/stop.h"

#include <algorithm>
#include <limits>

#include "core/strings.h"

namespace nt {

size_t incomplete_utf8_suffix(std::string_view s) {
  // Walk back over at most 3 continuation bytes (10xxxxxx) to the lead byte of the last character.
  size_t n = s.size();
  size_t i = n;
  while (i > 0 && n - i < 4) {
    unsigned char c = static_cast<unsigned char>(s[i - 1]);
    --i;
    if ((c & 0xC0) != 0x80) break;  // found a non-continuation byte
    if (i == 0) return 0;           // only continuation bytes: invalid, nothing to wait for
  }
  unsigned char lead = static_cast<unsigned char>(s.empty() ? 0 : s[i]);
  size_t need = 0;
  if ((lead & 0xE0) == 0xC0) need = 2;
  else if ((lead & 0xF0) == 0xE0) need = 3;
  else if ((lead & 0xF8) == 0xF0) need = 4;
  size_t have = n - i;
  return (need > 0 && have < need) ? have : 0;
}

size_t partial_match_suffix(std::string_view text, std::string_view pattern) {
  if (pattern.empty()) return 0;
  size_t max_len = std::min(text.size(), pattern.size() - 1);
  for (size_t len = max_len; len > 0; --len) {
    if (text.substr(text.size() - len) == pattern.substr(0, len)) return len;
  }
  return 0;
}

StopMatcher::StopMatcher(std::vector<std::string> stop_strings) {
  for (size_t k = 0; k < stop_strings.size(); ++k) {
    if (!stop_strings[k].empty()) stops_.push_back({static_cast<int>(k), std::move(stop_strings[k])});
  }
}

StopMatcher::Output StopMatcher::push(std::string_view piece) {
  Output out;
  if (stopped_) return out;
  std::string buf = std::move(held_);
  held_.clear();
  buf.append(piece);
  size_t best_pos = std::string::npos;
  for (const auto& [index, stop] : stops_) {
    size_t pos = buf.find(stop);
    if (pos < best_pos) {
      best_pos = pos;
      out.stop_index = index;
    }
  }
  if (best_pos != std::string::npos) {
    stopped_ = true;
    out.stopped = true;
    out.text = buf.substr(0, best_pos);
    return out;
  }
  size_t hold = incomplete_utf8_suffix(buf);
  for (const auto& [index, stop] : stops_) hold = std::max(hold, partial_match_suffix(buf, stop));
  held_ = buf.substr(buf.size() - hold);
  buf.resize(buf.size() - hold);
  out.text = std::move(buf);
  return out;
}

std::string StopMatcher::flush() {
  if (stopped_) return {};
  std::string out = std::move(held_);
  held_.clear();
  return out;
}

namespace {

Status append_eos(const Json& v, std::string_view what, std::vector<int32_t>* out) {
  auto add_one = [&](const Json& x) -> Status {
    if (!x.is_number_integer()) {
      return Status::error(cat(what, ": eos_token_id must be an integer or a list of integers, found ",
                               json_type_name(x)));
    }
    int64_t id = x.is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(x.get<uint64_t>(), INT64_MAX))
                                        : x.get<int64_t>();
    if (id < 0 || id > std::numeric_limits<int32_t>::max()) {
      return Status::error(cat(what, ": eos_token_id ", id, " is not a valid token id"));
    }
    if (std::find(out->begin(), out->end(), static_cast<int32_t>(id)) == out->end()) {
      out->push_back(static_cast<int32_t>(id));
    }
    return Status::ok();
  };
  if (v.is_null()) return Status::ok();
  if (v.is_array()) {
    for (const auto& x : v) NT_RETURN_IF_ERROR(add_one(x));
    return Status::ok();
  }
  return add_one(v);
}

}  // namespace

Result<std::vector<int32_t>> collect_eos_ids(const Json* generation_config, const Json* config,
                                             std::optional<int32_t> tokenizer_eos_id) {
  std::vector<int32_t> ids;
  const std::pair<const Json*, const char*> sources[] = {{generation_config, "generation_config.json"},
                                                         {config, "config.json"}};
  for (const auto& [json, what] : sources) {
    if (json == nullptr) continue;
    if (!json->is_object()) return Status::error(cat(what, ": expected a JSON object, found ", json_type_name(*json)));
    auto it = json->find("eos_token_id");
    if (it != json->end()) NT_RETURN_IF_ERROR(append_eos(*it, what, &ids));
  }
  if (tokenizer_eos_id) {
    if (*tokenizer_eos_id < 0) return Status::error(cat("tokenizer: eos token id ", *tokenizer_eos_id, " is negative"));
    if (std::find(ids.begin(), ids.end(), *tokenizer_eos_id) == ids.end()) ids.push_back(*tokenizer_eos_id);
  }
  return ids;
}

}  // namespace nt
