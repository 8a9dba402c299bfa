// Argument helpers shared by the model commands (info, logits, run): token lists, thread counts, model paths.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli.h"
#include "core/status.h"
#include "model/hybrid_lm.h"

namespace nt::cli {

// Parses "1,2,3" (spaces allowed) into token ids; rejects empty entries, non-numbers and negatives.
Result<std::vector<int32_t>> parse_token_list(const std::string& s);

// --threads / -t, defaulting to the number of hardware threads (at most 64).
Result<int> thread_count(const Args& args);

// The switch that keeps routed MoE experts in the file mapping even where packing them would fit in memory
// (faster start, pages the kernel may evict; see LoadOptions::pack_experts), for the commands that load a model
// to run it.
inline constexpr const char* kMapExpertsSwitch = "--map-experts";
// The directory of the packed-expert files (LoadOptions::expert_cache_dir; "off": none). Default: $NEMOTRON_CACHE_DIR,
// else $XDG_CACHE_HOME/nemotron, else $HOME/.cache/nemotron.
inline constexpr const char* kExpertCacheFlag = "--expert-cache";
LoadOptions load_options(const Args& args);

}  // namespace nt::cli
