// Argument helpers shared by the model commands (info, logits, run): token lists, thread counts, model paths.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli.h"
#include "core/status.h"

namespace nt::cli {

// Parses "1,2,3" (spaces allowed) into token ids; rejects empty entries, non-numbers and negatives.
Result<std::vector<int32_t>> parse_token_list(const std::string& s);

// --threads / -t, defaulting to the number of hardware threads (at most 64).
Result<int> thread_count(const Args& args);

}  // namespace nt::cli
