#include "text/pattern.h"

#include "core/strings.h"
#include "text/unicode.h"

namespace nt::text {

namespace {

std::string replace_every(std::string s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

std::string escape_literal(std::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    bool alnum = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u >= 0x80;
    if (!alnum && u >= 0x20 && u != ' ') out.push_back('\\');
    if (u < 0x20) {  // control characters: write as \xHH so the parser sees a plain code point
      static const char* kHex = "0123456789ABCDEF";
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

Result<Regex> compile_pattern(const Json& pattern, std::string_view what) {
  if (!pattern.is_object()) {
    return Status::error(cat(what, ": expected a pattern object {\"Regex\": ...} or {\"String\": ...}, found ",
                             json_type_name(pattern)));
  }
  if (pattern.contains("Regex") && pattern["Regex"].is_string()) {
    std::string re = pattern["Regex"].get<std::string>();
    for (const char* c : {"#", "&", "~"}) re = replace_every(re, std::string("\\") + c, c);
    re = replace_every(re, "(?i:'s|'t|'re|'ve|'m|'ll|'d)", "(?:'([sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))");
    const std::string bloom_chars = ".,!?\u2026\u3002\uff0c\u3001\u0964\u06d4\u060c";
    re = replace_every(re, " ?[^(\\s|[" + bloom_chars + "])]+", " ?[^\\s" + bloom_chars + "]+");
    auto compiled = Regex::compile(re);
    if (!compiled.is_ok()) return compiled.status().with_context(std::string(what));
    return compiled;
  }
  if (pattern.contains("String") && pattern["String"].is_string()) {
    auto compiled = Regex::compile(escape_literal(pattern["String"].get<std::string>()));
    if (!compiled.is_ok()) return compiled.status().with_context(std::string(what));
    return compiled;
  }
  return Status::error(cat(what, ": pattern object has neither a \"Regex\" nor a \"String\" string"));
}

DecodedText decode_with_offsets(std::string_view text) {
  DecodedText d;
  d.cps.reserve(text.size());
  d.offsets.reserve(text.size() + 1);
  size_t pos = 0;
  while (pos < text.size()) {
    d.offsets.push_back(pos);
    d.cps.push_back(decode_utf8(text, &pos));
  }
  d.offsets.push_back(text.size());
  return d;
}

Result<std::string> replace_all(const Regex& re, std::string_view text, std::string_view replacement) {
  DecodedText d = decode_with_offsets(text);
  std::vector<Regex::Match> matches;
  NT_RETURN_IF_ERROR(re.find_all(d.cps, &matches));
  if (matches.empty()) return std::string(text);
  std::string out;
  size_t prev = 0;
  for (const auto& m : matches) {
    size_t b = d.offsets[m.begin], e = d.offsets[m.end];
    out.append(text.substr(prev, b - prev));
    for (size_t i = 0; i < replacement.size(); ++i) {
      if (replacement[i] == '$' && i + 1 < replacement.size()) {
        if (replacement[i + 1] == '$') { out.push_back('$'); ++i; continue; }
        if (replacement[i + 1] == '&') { out.append(text.substr(b, e - b)); ++i; continue; }
      }
      out.push_back(replacement[i]);
    }
    prev = e;
  }
  out.append(text.substr(prev));
  return out;
}

}  // namespace nt::text
