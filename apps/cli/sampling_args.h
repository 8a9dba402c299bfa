// Sampling flags shared by `run` and `chat`.
#pragma once

#include <string>
#include <vector>

#include "cli.h"
#include "sampling/sampler.h"

namespace nt::cli {

// The value flags parse_sampling reads (append them to a command's flag list).
std::vector<std::string> sampling_flags();
// --temp, --top-k, --top-p, --min-p, --repeat-penalty, --presence-penalty, --frequency-penalty, --seed, -n.
Result<SamplingParams> parse_sampling(const Args& args, double default_temp, long long default_n);

}  // namespace nt::cli
