// The fast sequence ops (conv1d+SiLU, recurrence, chunked SSD, attention, norms) on every kernel set this CPU
// has, against the plain scalar references: odd sizes and tails, several thread counts (results must be
// bitwise the same for every count), and attention rows that must not depend on how a prompt is split.
#include <array>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/thread_pool.h"
#include "ops/attention.h"
#include "ops/norm.h"
#include "ops/linear.h"
#include "ops/seq_kernels.h"
#include "ops/ssm.h"

namespace nt {
namespace {

std::vector<const kernels::SeqKernels*> kernel_sets() {
  const kernels::SeqKernels* ks[4];
  const int n = kernels::available_seq_kernels(ks, 4);
  return {ks, ks + n};
}

std::vector<float> randn(size_t n, uint32_t seed, float sd = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}

double max_rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double e = 0;
  for (size_t i = 0; i < a.size(); ++i) e = std::max(e, std::fabs(double(a[i]) - b[i]) / (1.0 + std::fabs(b[i])));
  return e;
}

// The MoE router's dots: every set gives dot_f32's bits (its lane sums, tail and final order), for lengths around the
// 16-element steps, token counts around the 4-token tiles, and strided rows.
TEST(SeqKernels, DotsAreBitwiseDotF32) {
  for (auto* k : kernel_sets()) {
    for (int64_t n : {1, 15, 16, 17, 40, 2688}) {
      for (int64_t nx : {1, 3, 4, 5, 9}) {
        const int64_t nw = 7, ldx = n + 3, ldw = n + 5, ldo = nw + 2;
        const auto x = randn(static_cast<size_t>(nx * ldx), static_cast<uint32_t>(n + nx));
        const auto w = randn(static_cast<size_t>(nw * ldw), static_cast<uint32_t>(7 * n + nx));
        std::vector<float> out(static_cast<size_t>(nx * ldo), -1.0f);
        k->dots(nx, nw, n, x.data(), ldx, w.data(), ldw, out.data(), ldo);
        for (int64_t i = 0; i < nx; ++i) {
          for (int64_t j = 0; j < nw; ++j) {
            const float want = dot_f32(w.data() + j * ldw, x.data() + i * ldx, n);
            ASSERT_EQ(std::memcmp(&out[static_cast<size_t>(i * ldo + j)], &want, 4), 0)
                << k->name << " n " << n << " token " << i << " row " << j << ": " << out[i * ldo + j] << " vs " << want;
          }
        }
      }
    }
  }
}

// The AVX-512 set's GEMM keeps the AVX2 kernel's per-element operations and row blocking: bitwise equal, for column
// counts around every vector and block edge, strided and transposed A, lower-triangular A, beta 0 and 1.
TEST(SeqKernels, Avx512GemmIsBitwiseTheAvx2One) {
  const kernels::SeqKernels *avx2 = nullptr, *avx512 = nullptr;
  for (auto* k : kernel_sets()) {
    if (std::string(k->name) == "avx2") avx2 = k;
    if (std::string(k->name) == "avx512") avx512 = k;
  }
  if (avx2 == nullptr || avx512 == nullptr) GTEST_SKIP() << "no AVX-512 on this CPU";
  uint32_t seed = 1;
  for (int64_t M : {1, 5, 6, 7, 13}) {
    for (int64_t Nc : {1, 15, 16, 17, 33, 48, 50, 63, 64, 65, 128, 130}) {
      for (int64_t K : {1, 7, 24}) {
        for (bool transposed : {false, true}) {
          for (float beta : {0.0f, 1.0f}) {
            for (bool lower : {false, true}) {
              if (lower && K < M) continue;
              auto A = randn(static_cast<size_t>(M * K), seed++), B = randn(static_cast<size_t>(K * Nc), seed++);
              if (lower) {
                for (int64_t i = 0; i < M; ++i)
                  for (int64_t k = i + 1; k < K; ++k) A[transposed ? k * M + i : i * K + k] = 0.0f;
              }
              const int64_t a_rs = transposed ? 1 : K, a_cs = transposed ? M : 1;
              const auto C0 = randn(static_cast<size_t>(M * (Nc + 3)), seed++);
              auto c2 = C0, c5 = C0;
              avx2->gemm(M, Nc, K, A.data(), a_rs, a_cs, B.data(), Nc, c2.data(), Nc + 3, beta, lower);
              avx512->gemm(M, Nc, K, A.data(), a_rs, a_cs, B.data(), Nc, c5.data(), Nc + 3, beta, lower);
              ASSERT_EQ(std::memcmp(c2.data(), c5.data(), c2.size() * sizeof(float)), 0)
                  << "M=" << M << " Nc=" << Nc << " K=" << K << " transposed=" << transposed << " beta=" << beta
                  << " lower=" << lower;
            }
          }
        }
      }
    }
  }
}

TEST(SeqKernels, ScalarAlwaysAvailableAndDispatchIsOneOfThem) {
  auto sets = kernel_sets();
  ASSERT_FALSE(sets.empty());
  EXPECT_EQ(std::string(sets[0]->name), "scalar");
  bool found = false;
  for (auto* k : sets) found |= k == &kernels::seq_kernels();
  EXPECT_TRUE(found);
}

TEST(SeqKernels, GemmMatchesDirectSums) {
  for (auto* ks : kernel_sets()) {
    for (auto [M, Nc, K] : std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {7, 13, 5}, {6, 16, 9}, {13, 37, 20}, {2, 8, 3}}) {
      for (bool lower : {false, true}) {
        for (float beta : {0.0f, 1.0f, 0.5f}) {
          auto A = randn(static_cast<size_t>(M * K), 1), B = randn(static_cast<size_t>(K * Nc), 2);
          if (lower)
            for (int64_t i = 0; i < M; ++i)
              for (int64_t k = i + 1; k < K; ++k) A[i * K + k] = 0.0f;
          auto C = randn(static_cast<size_t>(M * (Nc + 3)), 3), want = C;
          for (int64_t i = 0; i < M; ++i)
            for (int64_t j = 0; j < Nc; ++j) {
              double acc = beta * double(C[i * (Nc + 3) + j]);
              for (int64_t k = 0; k < K; ++k) acc += double(A[i * K + k]) * B[k * Nc + j];
              want[i * (Nc + 3) + j] = static_cast<float>(acc);
            }
          ks->gemm(M, Nc, K, A.data(), K, 1, B.data(), Nc, C.data(), Nc + 3, beta, lower);
          EXPECT_LT(max_rel_err(C, want), 1e-5) << ks->name << " " << M << "x" << Nc << "x" << K;
        }
      }
    }
  }
}

struct ConvCase {
  int64_t C, K, T;
};

TEST(SeqOps, ConvMatchesReferenceForEveryKernelSetAndThreadCount) {
  for (ConvCase cc : {ConvCase{5, 4, 7}, ConvCase{133, 4, 37}, ConvCase{70, 3, 1}, ConvCase{64, 4, 2},
                      ConvCase{200, 1, 5}, ConvCase{17, 6, 9}}) {
    const int64_t C = cc.C, K = cc.K, T = cc.T, stride = C + 11;
    const auto in = randn(static_cast<size_t>(T * stride), 11), w = randn(static_cast<size_t>(C * K), 12),
               b = randn(static_cast<size_t>(C), 13), state0 = randn(static_cast<size_t>((K - 1) * C), 14);
    std::vector<float> want(static_cast<size_t>(T * C)), want_state = state0;
    conv1d_silu_reference(in.data(), stride, T, C, K, w.data(), b.data(), want_state.data(), want.data());
    for (auto* ks : kernel_sets()) {
      std::vector<float> first;
      for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        std::vector<float> out(static_cast<size_t>(T * C)), state = state0;
        conv1d_silu_with(*ks, in.data(), stride, T, C, K, w.data(), b.data(), state.data(), out.data(), pool);
        EXPECT_LT(max_rel_err(out, want), 2e-6) << ks->name << " C=" << C << " K=" << K << " T=" << T;
        EXPECT_EQ(state, want_state) << ks->name;
        if (first.empty()) first = out;
        else EXPECT_EQ(out, first) << ks->name << " depends on the thread count";
      }
    }
  }
}

struct ScanCase {
  int64_t heads, P, N, G, T, chunk;
};

class SeqScanTest : public ::testing::TestWithParam<ScanCase> {};

TEST_P(SeqScanTest, RecurrenceAndChunkedMatchReference) {
  const ScanCase c = GetParam();
  const int64_t d_in = c.heads * c.P, stride = d_in + 2 * c.G * c.N + 3;
  const auto xbc = randn(static_cast<size_t>(c.T * stride), 21), dt = randn(static_cast<size_t>(c.T * c.heads), 22);
  std::vector<float> dt_bias = randn(static_cast<size_t>(c.heads), 23, 0.3f), A(c.heads), D = randn(c.heads, 24);
  for (auto& v : dt_bias) v -= 1.0f;
  const auto a = randn(static_cast<size_t>(c.heads), 25, 0.5f);
  for (int64_t h = 0; h < c.heads; ++h) A[h] = -std::exp(a[h]);
  const auto S0 = randn(static_cast<size_t>(c.heads * c.P * c.N), 26, 0.5f);
  const SsmInputs in{xbc.data(), stride, dt.data(), c.heads, dt_bias.data(), A.data(), D.data(), 0.0f, INFINITY};
  const SsmDims dims{c.heads, c.P, c.N, c.G};
  ThreadPool pool1(1);
  std::vector<float> S_ref = S0, y_ref(static_cast<size_t>(c.T * d_in));
  ssm_scan_reference(dims, in, c.T, S_ref.data(), y_ref.data(), pool1);
  for (auto* ks : kernel_sets()) {
    for (bool chunked : {false, true}) {
      std::vector<float> first_y, first_S;
      for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        std::vector<float> S = S0, y(static_cast<size_t>(c.T * d_in));
        if (chunked) ssm_chunked_with(*ks, dims, in, c.T, c.chunk, S.data(), y.data(), pool);
        else ssm_scan_with(*ks, dims, in, c.T, S.data(), y.data(), pool);
        const std::string what = std::string(ks->name) + (chunked ? " chunked" : " scan");
        EXPECT_LT(max_rel_err(y, y_ref), 5e-5) << what << " y";
        EXPECT_LT(max_rel_err(S, S_ref), 5e-5) << what << " state";
        if (first_y.empty()) {
          first_y = y;
          first_S = S;
        } else {
          EXPECT_EQ(y, first_y) << what << " y depends on the thread count";
          EXPECT_EQ(S, first_S) << what << " state depends on the thread count";
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, SeqScanTest,
                         ::testing::Values(ScanCase{4, 16, 8, 2, 1, 8},      // single token
                                           ScanCase{8, 64, 128, 2, 3, 128},  // 8B head shape, few tokens
                                           ScanCase{6, 64, 128, 3, 70, 32},  // 8B head shape, tail chunk of 6
                                           ScanCase{4, 80, 16, 4, 37, 16},   // head dim 80
                                           ScanCase{3, 7, 5, 1, 13, 4},      // odd everything
                                           ScanCase{5, 9, 13, 1, 9, 64},     // chunk longer than T
                                           ScanCase{2, 8, 4, 2, 40, 1},      // chunk of one token
                                           ScanCase{16, 24, 40, 4, 300, 50}  // several chunk blocks
                                           ));

TEST(SeqOps, AttentionMatchesReferenceAndRowsDoNotDependOnTheSplit) {
  struct Case {
    AttentionDims d;
    int64_t n_past, T;
  };
  for (const Case& c : {Case{{6, 2, 24}, 0, 1}, Case{{6, 2, 24}, 0, 70}, Case{{6, 2, 24}, 100, 1},
                        Case{{8, 2, 128}, 63, 3}, Case{{4, 4, 13}, 127, 130}, Case{{3, 1, 9}, 5, 77},
                        Case{{32, 8, 128}, 200, 9}}) {
    const AttentionDims& d = c.d;
    const int64_t n = c.n_past + c.T, qs = d.n_heads * d.head_dim, kvs = d.n_kv_heads * d.head_dim;
    const auto q = randn(static_cast<size_t>(c.T * qs), 31, 2.0f), k = randn(static_cast<size_t>(n * kvs), 32, 2.0f),
               v = randn(static_cast<size_t>(n * kvs), 33);
    ThreadPool pool1(1);
    std::vector<float> want(static_cast<size_t>(c.T * qs));
    attention_reference(d, q.data(), c.T, k.data(), v.data(), c.n_past, want.data(), pool1);
    for (auto* ks : kernel_sets()) {
      std::vector<float> first;
      for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        std::vector<float> out(static_cast<size_t>(c.T * qs));
        attention_with(*ks, d, q.data(), c.T, k.data(), v.data(), c.n_past, out.data(), pool);
        EXPECT_LT(max_rel_err(out, want), 2e-5) << ks->name << " n_past=" << c.n_past << " T=" << c.T;
        if (first.empty()) first = out;
        else EXPECT_EQ(out, first) << ks->name << " depends on the thread count";
      }
      // The same rows computed in two pieces (a split prefill) and one at a time (decode) are bitwise equal.
      ThreadPool pool(2);
      const int64_t T1 = c.T / 3;
      std::vector<float> split(static_cast<size_t>(c.T * qs)), single(static_cast<size_t>(c.T * qs));
      if (T1 > 0) attention_with(*ks, d, q.data(), T1, k.data(), v.data(), c.n_past, split.data(), pool);
      attention_with(*ks, d, q.data() + T1 * qs, c.T - T1, k.data(), v.data(), c.n_past + T1, split.data() + T1 * qs,
                     pool);
      EXPECT_EQ(split, first) << ks->name << " split prefill differs";
      for (int64_t t = 0; t < c.T; ++t)
        attention_with(*ks, d, q.data() + t * qs, 1, k.data(), v.data(), c.n_past + t, single.data() + t * qs, pool);
      EXPECT_EQ(single, first) << ks->name << " token-by-token differs";
    }
  }
}

TEST(SeqKernels, ReluSquaredIsExactIncludingTailsAndSpecialValues) {
  for (const kernels::SeqKernels* k : kernel_sets()) {
    for (int64_t n : {1, 5, 8, 15, 16, 17, 100, 4099}) {
      auto h = randn(static_cast<size_t>(n), 46, 3.0f);
      const float special[] = {NAN, -0.0f, 0.0f, INFINITY, -INFINITY, 1e-30f, -1e-30f, 3e38f};
      for (size_t i = 0; i < h.size() && i < 8; ++i) h[(i * 7) % h.size()] = special[i];
      std::vector<float> want(h.size());
      for (size_t i = 0; i < h.size(); ++i) want[i] = h[i] > 0.0f ? h[i] * h[i] : 0.0f;  // spec §7: max(x, 0)²
      k->relu_sq(h.data(), n);
      for (size_t i = 0; i < h.size(); ++i) {
        ASSERT_EQ(std::memcmp(&h[i], &want[i], sizeof(float)), 0)
            << k->name << " n=" << n << " i=" << i << ": " << h[i] << " vs " << want[i];
      }
    }
  }
}

TEST(SeqOps, NormsMatchReference) {
  for (int64_t n : {1, 7, 64, 133, 4096}) {
    const int64_t T = 3;
    const auto x = randn(static_cast<size_t>(T * n), 41, 3.0f), w = randn(static_cast<size_t>(n), 42);
    std::vector<float> got(x.size()), want(x.size());
    rms_norm(x.data(), w.data(), T, n, 1e-5f, got.data());
    rms_norm_reference(x.data(), w.data(), T, n, 1e-5f, want.data());
    EXPECT_LT(max_rel_err(got, want), 1e-6) << "rms_norm n=" << n;
  }
  for (auto [n, G] : std::vector<std::pair<int64_t, int64_t>>{{8, 1}, {21, 3}, {1024, 8}, {130, 2}}) {
    const int64_t T = 4, ys = n + 5, zs = n + 2;
    const auto y = randn(static_cast<size_t>(T * ys), 43), z = randn(static_cast<size_t>(T * zs), 44, 2.0f),
               w = randn(static_cast<size_t>(n), 45);
    std::vector<float> got(static_cast<size_t>(T * n)), want(static_cast<size_t>(T * n));
    gated_group_rms_norm(y.data(), ys, z.data(), zs, w.data(), T, n, G, 1e-5f, got.data());
    gated_group_rms_norm_reference(y.data(), ys, z.data(), zs, w.data(), T, n, G, 1e-5f, want.data());
    EXPECT_LT(max_rel_err(got, want), 2e-6) << "gated norm n=" << n << " G=" << G;
  }
}

TEST(SeqOps, NormsSplitOverThePoolAreBitwiseTheSerialOnes) {
  const int64_t n = 136, G = 4, ys = n + 3;
  for (int64_t T : {1, 3, 4, 9, 64}) {
    const auto x = randn(static_cast<size_t>(T * ys), 47, 2.0f), z = randn(static_cast<size_t>(T * ys), 48),
               w = randn(static_cast<size_t>(n), 49);
    for (int threads : {2, 3}) {
      ThreadPool pool(threads);
      std::vector<float> serial(static_cast<size_t>(T * n)), split(serial.size());
      rms_norm(x.data(), w.data(), T, n, 1e-5f, serial.data());
      rms_norm(x.data(), w.data(), T, n, 1e-5f, split.data(), pool);
      EXPECT_EQ(std::memcmp(serial.data(), split.data(), serial.size() * sizeof(float)), 0) << "rms_norm T=" << T;
      gated_group_rms_norm(x.data(), ys, z.data(), ys, w.data(), T, n, G, 1e-5f, serial.data());
      gated_group_rms_norm(x.data(), ys, z.data(), ys, w.data(), T, n, G, 1e-5f, split.data(), pool);
      EXPECT_EQ(std::memcmp(serial.data(), split.data(), serial.size() * sizeof(float)), 0) << "gated T=" << T;
    }
  }
}

}  // namespace
}  // namespace nt
