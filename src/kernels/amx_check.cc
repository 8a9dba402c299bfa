#include "kernels/amx_check.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/cpu_features.h"
#include "core/dtype.h"
#include "kernels/linear_fast.h"
#include "kernels/packed_weight.h"
#include "quant/blocks.h"

namespace nt::kernels {
namespace {

constexpr int64_t kRows = 40;     // two whole groups and one of 8 rows
constexpr int64_t kTokens = 37;   // two tiles of 16 and a rest of 5

struct Lcg {
  uint64_t s;
  uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(s >> 33);
  }
  uint16_t scale() { return f32_to_f16(static_cast<float>(16 + next() % 240) / 4096.0f); }  // [2^-8, 2^-4)
};

// Stored rows of `type` with random quants (and Q4_K sub-block scales and mins) and block scales in [2^-8, 2^-4).
std::vector<uint8_t> random_rows(GgmlType type, int64_t n_in, Lcg& rng) {
  const GgmlTypeTraits& tr = ggml_type_traits(type);
  const size_t block = tr.type_size;
  std::vector<uint8_t> rows(static_cast<size_t>(kRows * n_in / tr.block_size) * block);
  for (size_t b = 0; b < rows.size(); b += block) {
    for (size_t i = 0; i < block; ++i) rows[b + i] = static_cast<uint8_t>(rng.next());
    const int scales = type == GgmlType::Q4_K ? 2 : 1;  // Q4_K: d and dmin
    for (int s = 0; s < scales; ++s) {
      const uint16_t d = rng.scale();
      std::memcpy(&rows[b + 2 * s], &d, 2);
    }
  }
  return rows;
}

// Everything a case reads, built before the fork (the child only computes and compares: no allocation after a
// fork of a threaded process).
struct Problem {
  std::vector<uint8_t> packed;
  size_t group_bytes = 0;
  std::vector<int8_t> qs;
  std::vector<float> d;
  std::vector<int32_t> ybias, bsum2;
  std::vector<BlockQ8_K> q8k;
  std::vector<float> want, got;
  Act act;
};

Problem make_problem(const KernelPair& c, Lcg& rng) {
  Problem p;
  const bool k_quant = c.type == GgmlType::Q4_K;
  const int64_t n_in = k_quant ? 768 : 352;  // 3 super-blocks; 11 blocks (pairs and a last single block)
  std::vector<uint8_t> rows = random_rows(c.type, n_in, rng);
  const TensorView w{"amx_check", DType::U8, {kRows, n_in}, rows.data(), rows.size(), c.type};
  const PackedWeight layout = group_layout(w);
  p.group_bytes = layout.group_bytes;
  const int64_t groups = (kRows + kPackedGroupRows - 1) / kPackedGroupRows;
  p.packed.resize(static_cast<size_t>(groups) * p.group_bytes);
  pack_groups(w, 0, groups, p.packed.data(), false);
  std::vector<float> x(static_cast<size_t>(kTokens * n_in));
  for (float& v : x) v = static_cast<float>(static_cast<int32_t>(rng.next() % 2001) - 1000) / 250.0f;
  p.act.n_in = n_in;
  if (k_quant) {
    const int64_t nb = n_in / 256;
    p.q8k.resize(static_cast<size_t>(kTokens * nb));
    p.bsum2.resize(static_cast<size_t>(kTokens * nb * 4));
    for (int64_t t = 0; t < kTokens; ++t) {
      quantize_act_q8_K(Isa::kScalar, x.data() + t * n_in, n_in, p.q8k.data() + t * nb);
      q8k_pair_sums(p.q8k.data() + t * nb, nb, p.bsum2.data() + t * nb * 4);
    }
    p.act.q8k = p.q8k.data();
    p.act.q8k_bsum2 = p.bsum2.data();
  } else {
    const int64_t nb = n_in / 32;
    p.qs.resize(x.size());
    p.d.resize(static_cast<size_t>(kTokens * nb));
    p.ybias.resize(p.d.size());
    for (int64_t t = 0; t < kTokens; ++t) {
      quantize_act_q8_0(Isa::kScalar, x.data() + t * n_in, n_in, p.qs.data() + t * n_in, p.d.data() + t * nb);
#if defined(NEMOTRON_X86)
      avx2::block_bias(p.qs.data() + t * n_in, n_in, c.type == GgmlType::Q8_0 ? 128 : 8, p.ybias.data() + t * nb);
#endif
    }
    p.act.qs = p.qs.data();
    p.act.d = p.d.data();
    p.act.ybias = p.ybias.data();
  }
  p.want.assign(static_cast<size_t>(kTokens * kRows), 0.0f);
  p.got.assign(p.want.size(), -1.0f);
  c.reference(p.packed.data(), p.group_bytes, kRows, p.act, 0, kTokens, p.want.data(), kRows);
  return p;
}

// In the child: the candidate's outputs against the reference's, bit for bit.
bool agrees(Problem& p, TileFn candidate) {
  candidate(p.packed.data(), p.group_bytes, kRows, p.act, 0, kTokens, p.got.data(), kRows);
  return std::memcmp(p.got.data(), p.want.data(), p.want.size() * sizeof(float)) == 0;
}

}  // namespace

bool packed_kernels_agree(std::span<const KernelPair> cases, const char** why) {
  thread_local char text[96];
  const char* unused = nullptr;
  const char*& reason = why != nullptr ? *why : unused;
  Lcg rng{0x5eed};
  std::vector<Problem> problems;
  for (const KernelPair& c : cases) problems.push_back(make_problem(c, rng));
  std::fflush(nullptr);  // the child must not flush the parent's buffered output a second time
  const pid_t pid = fork();
  if (pid < 0) {
    reason = "fork failed";
    return false;
  }
  if (pid == 0) {
    alarm(20);  // a kernel that hangs ends the child, not the check
    for (size_t i = 0; i < cases.size(); ++i) {
      if (!agrees(problems[i], cases[i].candidate)) _exit(static_cast<int>(1 + i));
    }
    _exit(0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      reason = "waitpid failed";
      return false;
    }
  }
  if (WIFSIGNALED(status)) {
    std::snprintf(text, sizeof(text), "the check was ended by signal %d", WTERMSIG(status));
    reason = text;
    return false;
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code != 0) {
    const bool known = code >= 1 && static_cast<size_t>(code) <= cases.size();
    const std::string_view name = known ? ggml_type_traits(cases[static_cast<size_t>(code - 1)].type).name : "the";
    std::snprintf(text, sizeof(text), "%.*s results differ", static_cast<int>(name.size()), name.data());
    reason = text;
    return false;
  }
  return true;
}

std::span<const KernelPair> amx_kernel_pairs() {
#if defined(NEMOTRON_X86)
  static const KernelPair pairs[] = {
      {GgmlType::Q8_0, &avx512::tile_q8_0_packed, &amx::tile_q8_0_packed, "q8_0x16+amx"},
      {GgmlType::Q4_0, &avx512::tile_q4_0_packed, &amx::tile_q4_0_packed, "q4_0x16+amx"},
      {GgmlType::Q4_K, &avx512::tile_q4_K_packed, &amx::tile_q4_K_packed, "q4_Kx16+amx"},
  };
  return pairs;
#else
  return {};
#endif
}

const KernelPair* amx_twin(TileFn vnni) {
  for (const KernelPair& p : amx_kernel_pairs()) {
    if (p.reference == vnni) return &p;
  }
  return nullptr;
}

bool amx_covers(GgmlType type) {
  if (!amx_kernels_ready()) return false;
  for (const KernelPair& p : amx_kernel_pairs()) {
    if (p.type == type) return true;
  }
  return false;
}

bool amx_kernels_ready() {
  static const bool ready = [] {
#if defined(NEMOTRON_X86)
    if (!cpu_features().amx_int8 || !cpu_features().avx512_vnni) return false;
    const char* why = nullptr;
    if (packed_kernels_agree(amx_kernel_pairs(), &why)) return true;
    std::fprintf(stderr, "nemotron: the AMX kernels' self-check failed (%s); prefill uses the AVX-512 VNNI kernels\n",
                 why);
#endif
    return false;
  }();
  return ready;
}

}  // namespace nt::kernels
