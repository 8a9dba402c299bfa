#include "kernels/amx_check.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/cpu_features.h"
#include "core/dtype.h"
#include "kernels/packed_weight.h"
#include "quant/blocks.h"

namespace nt::kernels {
namespace {

constexpr int64_t kRows = 40;     // two whole groups and one of 8 rows
constexpr int64_t kIn = 352;      // 11 blocks: pairs and a last single block
constexpr int64_t kTokens = 37;   // two tiles of 16 and a rest of 5

struct Lcg {
  uint64_t s;
  uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(s >> 33);
  }
};

// Stored rows of `type` (Q8_0 or Q4_0) with random quants and scales in [2^-8, 2^-4).
std::vector<uint8_t> random_rows(GgmlType type, Lcg& rng) {
  const size_t block = type == GgmlType::Q8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  std::vector<uint8_t> rows(static_cast<size_t>(kRows * kIn / 32) * block);
  for (size_t b = 0; b < rows.size(); b += block) {
    const uint16_t d = f32_to_f16(static_cast<float>(16 + rng.next() % 240) / 4096.0f);
    std::memcpy(&rows[b], &d, 2);
    for (size_t i = 2; i < block; ++i) rows[b + i] = static_cast<uint8_t>(rng.next());
  }
  return rows;
}

// Everything a check reads, built before the fork (the child only computes and compares: no allocation after a
// fork of a threaded process).
struct Problem {
  std::vector<uint8_t> packed;
  size_t group_bytes = 0;
  std::vector<int8_t> qs;
  std::vector<float> d;
  std::vector<int32_t> ybias;
  std::vector<float> want, got;
  Act act;
};

Problem make_problem(GgmlType type, int32_t offset, TileFn reference, Lcg& rng) {
  Problem p;
  std::vector<uint8_t> rows = random_rows(type, rng);
  const TensorView w{"amx_check", DType::U8, {kRows, kIn}, rows.data(), rows.size(), type};
  const PackedWeight layout = group_layout(w);
  p.group_bytes = layout.group_bytes;
  const int64_t groups = (kRows + kPackedGroupRows - 1) / kPackedGroupRows;
  p.packed.resize(static_cast<size_t>(groups) * p.group_bytes);
  pack_groups(w, 0, groups, p.packed.data(), false);
  const int64_t nb = kIn / 32;
  std::vector<float> x(static_cast<size_t>(kTokens * kIn));
  for (float& v : x) v = static_cast<float>(static_cast<int32_t>(rng.next() % 2001) - 1000) / 250.0f;
  p.qs.resize(x.size());
  p.d.resize(static_cast<size_t>(kTokens * nb));
  p.ybias.resize(p.d.size());
  for (int64_t t = 0; t < kTokens; ++t) {
    scalar::quantize_q8_0(x.data() + t * kIn, kIn, p.qs.data() + t * kIn, p.d.data() + t * nb);
#if defined(NEMOTRON_X86)
    avx2::block_bias(p.qs.data() + t * kIn, kIn, offset, p.ybias.data() + t * nb);
#endif
  }
  p.act.n_in = kIn;
  p.act.qs = p.qs.data();
  p.act.d = p.d.data();
  p.act.ybias = p.ybias.data();
  p.want.assign(static_cast<size_t>(kTokens * kRows), 0.0f);
  p.got.assign(p.want.size(), -1.0f);
  reference(p.packed.data(), p.group_bytes, kRows, p.act, 0, kTokens, p.want.data(), kRows);
  return p;
}

// In the child: the candidate's outputs against the reference's, bit for bit.
bool agrees(Problem& p, TileFn candidate) {
  candidate(p.packed.data(), p.group_bytes, kRows, p.act, 0, kTokens, p.got.data(), kRows);
  return std::memcmp(p.got.data(), p.want.data(), p.want.size() * sizeof(float)) == 0;
}

}  // namespace

bool packed_kernels_agree(TileFn reference_q8, TileFn candidate_q8, TileFn reference_q4, TileFn candidate_q4,
                          const char** why) {
  const char* unused = nullptr;
  const char*& reason = why != nullptr ? *why : unused;
  Lcg rng{0x5eed};
  Problem q8 = make_problem(GgmlType::Q8_0, 128, reference_q8, rng);
  Problem q4 = make_problem(GgmlType::Q4_0, 8, reference_q4, rng);
  std::fflush(nullptr);  // the child must not flush the parent's buffered output a second time
  const pid_t pid = fork();
  if (pid < 0) {
    reason = "fork failed";
    return false;
  }
  if (pid == 0) {
    alarm(20);  // a kernel that hangs ends the child, not the check
    _exit(!agrees(q8, candidate_q8) ? 1 : !agrees(q4, candidate_q4) ? 2 : 0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      reason = "waitpid failed";
      return false;
    }
  }
  if (WIFSIGNALED(status)) {
    thread_local char text[64];
    std::snprintf(text, sizeof(text), "the check was ended by signal %d", WTERMSIG(status));
    reason = text;
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    reason = WIFEXITED(status) && WEXITSTATUS(status) == 1 ? "Q8_0 results differ" : "Q4_0 results differ";
    return false;
  }
  return true;
}

bool amx_kernels_ready() {
  static const bool ready = [] {
#if defined(NEMOTRON_X86)
    if (!cpu_features().amx_int8 || !cpu_features().avx512_vnni) return false;
    const char* why = nullptr;
    if (packed_kernels_agree(&avx512::tile_q8_0_packed, &amx::tile_q8_0_packed, &avx512::tile_q4_0_packed,
                             &amx::tile_q4_0_packed, &why)) {
      return true;
    }
    std::fprintf(stderr, "nemotron: the AMX kernels' self-check failed (%s); prefill uses the AVX-512 VNNI kernels\n",
                 why);
#endif
    return false;
  }();
  return ready;
}

}  // namespace nt::kernels
