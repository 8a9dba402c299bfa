// Fast reading of a Hugging Face tokenizer.json: model.vocab and model.merges (hundreds of thousands
// of entries) are streamed straight into vectors by a SAX handler; everything else becomes a small
// JSON tree. Building a full DOM for a 131k-token file would take most of the load time.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace nt::text {

struct TokenizerJson {
  Json rest;  // the document with model.vocab and model.merges replaced by null
  std::vector<std::pair<std::string, int64_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
  bool has_vocab = false, has_merges = false;
};

Result<TokenizerJson> read_tokenizer_json(std::string_view text);

}  // namespace nt::text
