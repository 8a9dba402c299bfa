// Resident memory of this process, from /proc/self (Linux): the peak (VmHWM) and a way to restart it, so a
// benchmark can report the model's own peak after its measurement buffers are gone.
#pragma once

#include <cstdint>

namespace nt::perf {

// Peak resident set size in bytes since start or the last reset; 0 where unknown.
int64_t peak_rss_bytes();
// Current resident set size in bytes; 0 where unknown.
int64_t current_rss_bytes();
// Restarts the peak at the current RSS (writes "5" to /proc/self/clear_refs). False where not possible.
bool reset_peak_rss();

}  // namespace nt::perf
