#include "sampling_args.h"

#include <climits>

#include "core/strings.h"

namespace nt::cli {

std::vector<std::string> sampling_flags() {
  return {"--temp", "--temperature", "--top-k", "--top-p", "--min-p", "--repeat-penalty", "--repeat-last-n",
          "--presence-penalty", "--frequency-penalty", "--seed", "-n", "--n-predict", "--max-tokens"};
}

Result<SamplingParams> parse_sampling(const Args& args, double default_temp, long long default_n) {
  SamplingParams p;
  NT_ASSIGN_OR_RETURN(double temp, args.get_double({"--temp", "--temperature"}, default_temp));
  NT_ASSIGN_OR_RETURN(long long top_k, args.get_int({"--top-k"}, 0));
  NT_ASSIGN_OR_RETURN(double top_p, args.get_double({"--top-p"}, 1.0));
  NT_ASSIGN_OR_RETURN(double min_p, args.get_double({"--min-p"}, 0.0));
  NT_ASSIGN_OR_RETURN(double rep, args.get_double({"--repeat-penalty"}, 1.0));
  NT_ASSIGN_OR_RETURN(long long rep_n, args.get_int({"--repeat-last-n"}, 64));
  NT_ASSIGN_OR_RETURN(double pres, args.get_double({"--presence-penalty"}, 0.0));
  NT_ASSIGN_OR_RETURN(double freq, args.get_double({"--frequency-penalty"}, 0.0));
  NT_ASSIGN_OR_RETURN(long long seed, args.get_int({"--seed"}, 0));
  NT_ASSIGN_OR_RETURN(long long n, args.get_int({"-n", "--n-predict", "--max-tokens"}, default_n));
  if (n < 0 || n > INT32_MAX) return Status::error(cat("-n must be between 0 and ", INT32_MAX, ", found ", n));
  if (top_k < 0 || top_k > INT32_MAX) return Status::error(cat("--top-k must be >= 0, found ", top_k));
  if (rep_n < -1 || rep_n > INT32_MAX) return Status::error(cat("--repeat-last-n must be >= -1, found ", rep_n));
  p.temperature = static_cast<float>(temp);
  p.top_k = static_cast<int32_t>(top_k);
  p.top_p = static_cast<float>(top_p);
  p.min_p = static_cast<float>(min_p);
  p.repetition_penalty = static_cast<float>(rep);
  p.penalty_last_n = static_cast<int32_t>(rep_n);
  p.presence_penalty = static_cast<float>(pres);
  p.frequency_penalty = static_cast<float>(freq);
  p.seed = static_cast<uint64_t>(seed);
  p.max_tokens = static_cast<int32_t>(n);
  NT_RETURN_IF_ERROR(validate(p));
  return p;
}

}  // namespace nt::cli
