// `nemotron tokenize` and `nemotron detokenize`: the tokenizer on the command line.
//   nemotron tokenize -m DIR (--text T | --file F | --jsonl F) [--no-special-tokens] [--no-parse-special]
//   nemotron detokenize -m DIR (--ids 1,2,3 | --jsonl F) [--skip-special-tokens] [--clean-up]
//     (--jsonl: every line a JSON array of ids; every output line the JSON string of its text)
// -m takes a directory with tokenizer.json (+ optional tokenizer_config.json), a tokenizer.json path or a
// GGUF file (its tokenizer.ggml.* metadata). --no-parse-special tokenizes special tokens written in the text
// as plain text (llama.cpp's parse_special = false); user-defined added tokens are still matched.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli.h"
#include "core/json.h"
#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/gguf_tokenizer.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

namespace nt::cli {

namespace {

std::string ids_json(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ',';
    s += ids[i] < 0 ? std::string("null") : std::to_string(ids[i]);  // unknown token without an id
  }
  s += ']';
  return s;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One JSON string literal (surrounding whitespace allowed). Unlike a strict parser it accepts lone
// surrogate escapes (which JSON.stringify writes) and keeps them as WTF-8 for Tokenizer::encode_wtf8.
Result<std::string> parse_json_string_line(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
  if (i >= line.size() || line[i] != '"') return Status::error("expected a JSON string");
  ++i;
  std::string out;
  char32_t pending_high = 0;
  auto flush_high = [&] {
    if (pending_high) text::append_utf8(&out, pending_high);
    pending_high = 0;
  };
  while (true) {
    if (i >= line.size()) return Status::error("unterminated JSON string");
    char c = line[i++];
    if (c == '"') break;
    if (c != '\\') {
      if (static_cast<unsigned char>(c) < 0x20) return Status::error("control character inside a JSON string");
      flush_high();
      out.push_back(c);
      continue;
    }
    if (i >= line.size()) return Status::error("unterminated escape in a JSON string");
    char e = line[i++];
    if (e != 'u') {
      flush_high();
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        default: return Status::error(cat("invalid escape '\\", e, "' in a JSON string"));
      }
      continue;
    }
    if (i + 4 > line.size()) return Status::error("truncated \\u escape in a JSON string");
    char32_t u = 0;
    for (int k = 0; k < 4; ++k) {
      int h = hex(line[i + k]);
      if (h < 0) return Status::error("invalid \\u escape in a JSON string");
      u = u * 16 + h;
    }
    i += 4;
    if (u >= 0xD800 && u <= 0xDBFF) {
      flush_high();
      pending_high = u;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      if (pending_high) text::append_utf8(&out, 0x10000 + ((pending_high - 0xD800) << 10) + (u - 0xDC00));
      else text::append_utf8(&out, u);
      pending_high = 0;
    } else {
      flush_high();
      text::append_utf8(&out, u);
    }
  }
  flush_high();
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
  if (i != line.size()) return Status::error("unexpected text after the JSON string");
  return out;
}

Status tokenize_jsonl(const text::Tokenizer& tok, const std::string& path, bool add_special, bool parse_special) {
  NT_ASSIGN_OR_RETURN(std::string data, read_text_file(path, size_t{4} << 30));
  std::vector<std::string_view> lines = split(data, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (size_t n = 0; n < lines.size(); ++n) {
    auto text = parse_json_string_line(lines[n]);
    if (!text.is_ok()) return text.status().with_context(cat(path, ": line ", n + 1));
    NT_ASSIGN_OR_RETURN(auto ids, tok.encode_wtf8(*text, add_special, parse_special));
    out += ids_json(ids);
    out += '\n';
    if (out.size() > (1 << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return Status::ok();
}

Result<std::vector<int32_t>> parse_ids(const std::string& s) {
  std::vector<int32_t> ids;
  std::string cur;
  auto flush = [&]() -> Status {
    if (cur.empty()) return Status::ok();
    char* end = nullptr;
    long long v = std::strtoll(cur.c_str(), &end, 10);
    if (*end != '\0' || v < 0 || v > INT32_MAX) return Status::error(cat("--ids: '", cur, "' is not a token id"));
    ids.push_back(static_cast<int32_t>(v));
    cur.clear();
    return Status::ok();
  };
  for (char c : s) {
    if (c == ',' || c == ' ' || c == '\n' || c == '\t' || c == '[' || c == ']') {
      NT_RETURN_IF_ERROR(flush());
    } else {
      cur.push_back(c);
    }
  }
  NT_RETURN_IF_ERROR(flush());
  return ids;
}

Status detokenize_jsonl(const text::Tokenizer& tok, const std::string& path, const text::DecodeOptions& opt) {
  NT_ASSIGN_OR_RETURN(std::string data, read_text_file(path, size_t{4} << 30));
  std::vector<std::string_view> lines = split(data, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (size_t n = 0; n < lines.size(); ++n) {
    auto ids = parse_ids(std::string(lines[n]));
    if (!ids.is_ok()) return ids.status().with_context(cat(path, ": line ", n + 1));
    NT_ASSIGN_OR_RETURN(std::string text, tok.decode(*ids, opt));
    out += Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return Status::ok();
}

}  // namespace

int cmd_tokenize(int argc, char** argv) {
  Args args({"-m", "--model", "--text", "--file", "--jsonl"}, {"--no-special-tokens", "--no-parse-special"});
  if (Status st = args.parse(argc, argv); !st) return fail("tokenize", st);
  const std::string model = args.get({"-m", "--model"});
  int inputs = args.has("--text") + args.has("--file") + args.has("--jsonl");
  if (model.empty() || inputs != 1) {
    std::fprintf(stderr, "usage: nemotron tokenize -m DIR|FILE.gguf (--text T | --file F | --jsonl F) [--no-special-tokens] "
                         "[--no-parse-special]\n");
    return 2;
  }
  auto tok = load_model_tokenizer(model);
  if (!tok.is_ok()) return fail("tokenize", tok.status());
  const bool add_special = !args.has("--no-special-tokens");
  const bool parse_special = !args.has("--no-parse-special");
  if (args.has("--jsonl")) {
    if (Status st = tokenize_jsonl(*tok, args.get({"--jsonl"}), add_special, parse_special); !st) return fail("tokenize", st);
    return 0;
  }
  std::string input = args.get({"--text"});
  if (args.has("--file")) {
    auto data = read_text_file(args.get({"--file"}), size_t{4} << 30);
    if (!data.is_ok()) return fail("tokenize", data.status());
    input = std::move(*data);
  }
  auto ids = tok->encode(input, add_special, parse_special);
  if (!ids.is_ok()) return fail("tokenize", ids.status());
  std::printf("%s\n", ids_json(*ids).c_str());
  return 0;
}

int cmd_detokenize(int argc, char** argv) {
  Args args({"-m", "--model", "--ids", "--jsonl"}, {"--skip-special-tokens", "--clean-up"});
  if (Status st = args.parse(argc, argv); !st) return fail("detokenize", st);
  const std::string model = args.get({"-m", "--model"});
  if (model.empty() || args.has("--ids") == args.has("--jsonl")) {
    std::fprintf(stderr, "usage: nemotron detokenize -m DIR (--ids 1,2,3 | --jsonl F) [--skip-special-tokens] [--clean-up]\n");
    return 2;
  }
  auto ids = parse_ids(args.get({"--ids"}));
  if (!ids.is_ok()) return fail("detokenize", ids.status());
  auto tok = load_model_tokenizer(model);
  if (!tok.is_ok()) return fail("detokenize", tok.status());
  text::DecodeOptions opt;
  opt.skip_special_tokens = args.has("--skip-special-tokens");
  opt.clean_up = args.has("--clean-up") ? text::DecodeOptions::CleanUp::kYes : text::DecodeOptions::CleanUp::kNo;
  if (args.has("--jsonl")) {
    if (Status st = detokenize_jsonl(*tok, args.get({"--jsonl"}), opt); !st) return fail("detokenize", st);
    return 0;
  }
  auto textv = tok->decode(*ids, opt);
  if (!textv.is_ok()) return fail("detokenize", textv.status());
  // The exact text, byte for byte; a final newline only for a terminal.
  std::fwrite(textv->data(), 1, textv->size(), stdout);
  if (isatty(STDOUT_FILENO)) std::fputc('\n', stdout);
  return 0;
}

}  // namespace nt::cli
