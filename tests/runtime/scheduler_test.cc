// Continuous batching through the Scheduler against the single-sequence Session loop (model.forward, a separate
// code path from forward_batch): batched requests, a request joining mid-stream, cancellation, the queue bound
// and exact state reuse across turns.
#include "runtime/scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "runtime/session.h"
#include "test_util.h"
#include "text/tokenizer.h"

namespace nt {
namespace {

using namespace std::chrono_literals;

// A byte-level BPE tokenizer with exactly the 256 byte tokens (no merges, no special tokens): it matches the
// fixtures' vocab_size of 256, so any id the model samples decodes.
text::Tokenizer byte_tokenizer() {
  std::vector<int> bs;
  for (int b = '!'; b <= '~'; ++b) bs.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) bs.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) bs.push_back(b);
  std::vector<int> cs = bs;
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    if (std::find(bs.begin(), bs.end(), b) == bs.end()) {
      bs.push_back(b);
      cs.push_back(256 + n++);
    }
  }
  Json vocab = Json::object();
  for (size_t i = 0; i < bs.size(); ++i) {
    std::string utf8;
    const int c = cs[i];
    if (c < 0x80) utf8 += static_cast<char>(c);
    else {
      utf8 += static_cast<char>(0xC0 | (c >> 6));
      utf8 += static_cast<char>(0x80 | (c & 0x3F));
    }
    vocab[utf8] = bs[i];
  }
  Json level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  Json j = {{"version", "1.0"}, {"added_tokens", Json::array()}, {"normalizer", nullptr}, {"pre_tokenizer", level},
            {"post_processor", nullptr}, {"decoder", level},
            {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", Json::array()}, {"byte_fallback", false}}}};
  auto t = text::Tokenizer::from_json(j.dump());
  EXPECT_TRUE(t.is_ok()) << t.status().message();
  return std::move(t).value();
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = HybridLM::load(test::fixtures_dir() + "/dense_f32");
    ASSERT_TRUE(m.is_ok()) << m.status().message();
    lm_ = std::move(m).value();
    tok_ = byte_tokenizer();
  }

  static std::vector<int32_t> prompt(int n, int salt) {
    std::vector<int32_t> p;
    for (int i = 0; i < n; ++i) p.push_back((i * 37 + salt * 11 + 5) % 256);
    return p;
  }

  static GenerateOptions greedy(int max_tokens) {
    GenerateOptions o;
    o.sampling.temperature = 0;
    o.sampling.max_tokens = max_tokens;
    o.ignore_eos = true;
    return o;
  }

  // The same request alone through Session::generate, no cache.
  GenerateResult alone(const std::vector<int32_t>& p, const GenerateOptions& o) {
    Session s(*lm_, pool_);
    auto r = s.generate(p, tok_, o, nullptr, nullptr);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    return r.is_ok() ? *r : GenerateResult();
  }

  std::shared_ptr<RequestStream> submit(Scheduler& s, const std::vector<int32_t>& p, const GenerateOptions& o) {
    Scheduler::SubmitError err;
    std::string msg;
    auto stream = s.submit(p, o, &err, &msg);
    EXPECT_TRUE(stream) << msg;
    return stream;
  }

  static const GenerateResult& wait(RequestStream& s) {
    while (!s.next(1000ms).finished) {
    }
    EXPECT_TRUE(s.status().is_ok()) << s.status().message();
    return s.result();
  }

  SchedulerOptions options(int parallel, int queue = 16) {
    SchedulerOptions o;
    o.parallel = parallel;
    o.max_queue = queue;
    o.prefill_chunk = 8;  // small, so prompts take several chunks interleaved with decoding
    o.max_context = 512;
    return o;
  }

  ThreadPool pool_{2};
  std::unique_ptr<HybridLM> lm_;
  text::Tokenizer tok_;
};

TEST_F(SchedulerTest, BatchedRequestsMatchEachRunAlone) {
  const std::vector<std::vector<int32_t>> prompts = {prompt(5, 1), prompt(19, 2), prompt(1, 3), prompt(33, 4)};
  Scheduler sched(*lm_, tok_, pool_, options(4));
  std::vector<std::shared_ptr<RequestStream>> streams;
  for (size_t i = 0; i < prompts.size(); ++i) streams.push_back(submit(sched, prompts[i], greedy(10 + 3 * i)));
  for (size_t i = 0; i < prompts.size(); ++i) {
    const GenerateResult& got = wait(*streams[i]);
    const GenerateResult want = alone(prompts[i], greedy(10 + 3 * i));
    EXPECT_EQ(got.tokens, want.tokens) << "request " << i;
    EXPECT_EQ(got.content, want.content) << "request " << i;
    EXPECT_EQ(got.finish, FinishReason::Length);
    EXPECT_EQ(got.prompt_tokens, static_cast<int64_t>(prompts[i].size()));
  }
  const SchedulerMetrics m = sched.metrics();
  EXPECT_EQ(m.requests, 4);
  EXPECT_EQ(m.finished, 4);
  // Batching happened: on average more than one sequence per forward step.
  EXPECT_GT(m.batch_sequences, m.steps);
}

// Prompts arriving together share each step's prefill budget (prefill_chunk tokens over all sequences): chunks
// are cut at the budget as well as at multiples of prefill_chunk, and every request still matches its run alone.
TEST_F(SchedulerTest, PromptsArrivingTogetherSharePrefillSteps) {
  const std::vector<int> sizes = {3, 7, 8, 9, 2, 5, 1, 12};
  Scheduler sched(*lm_, tok_, pool_, options(8));
  std::vector<std::shared_ptr<RequestStream>> streams;
  int64_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    streams.push_back(submit(sched, prompt(sizes[i], 20 + static_cast<int>(i)), greedy(6)));
    total += sizes[i];
  }
  for (size_t i = 0; i < sizes.size(); ++i) {
    const GenerateResult& got = wait(*streams[i]);
    const GenerateResult want = alone(prompt(sizes[i], 20 + static_cast<int>(i)), greedy(6));
    EXPECT_EQ(got.tokens, want.tokens) << "request " << i;
  }
  const SchedulerMetrics m = sched.metrics();
  EXPECT_EQ(m.prefilled_tokens, total);
  EXPECT_GT(m.batch_sequences, m.steps);
}

TEST_F(SchedulerTest, RequestJoiningMidStreamMatchesAlone) {
  Scheduler sched(*lm_, tok_, pool_, options(2));
  const auto pa = prompt(12, 7), pb = prompt(26, 8);
  auto a = submit(sched, pa, greedy(40));
  // Wait until A is decoding (it has produced text or finished), then B joins the running batch.
  RequestStream::Update u;
  while (u.delta.empty() && !u.finished) u = a->next(1000ms);
  auto b = submit(sched, pb, greedy(15));
  EXPECT_EQ(wait(*a).tokens, alone(pa, greedy(40)).tokens);
  EXPECT_EQ(wait(*b).tokens, alone(pb, greedy(15)).tokens);
}

TEST_F(SchedulerTest, CancellationFreesTheSlotAndTheQueueIsBounded) {
  Scheduler sched(*lm_, tok_, pool_, options(/*parallel=*/1, /*queue=*/1));
  auto a = submit(sched, prompt(6, 1), greedy(400));
  auto b = submit(sched, prompt(9, 2), greedy(6));
  Scheduler::SubmitError err;
  std::string msg;
  EXPECT_FALSE(sched.submit(prompt(4, 3), greedy(4), &err, &msg));  // one running + one queued: full
  EXPECT_EQ(err, Scheduler::SubmitError::kQueueFull);
  a->cancel();
  EXPECT_EQ(wait(*a).finish, FinishReason::Cancelled);
  EXPECT_LT(a->result().tokens.size(), 400u);
  EXPECT_EQ(wait(*b).tokens, alone(prompt(9, 2), greedy(6)).tokens);  // B got the freed slot
  auto c = submit(sched, prompt(4, 3), greedy(4));
  EXPECT_EQ(wait(*c).tokens, alone(prompt(4, 3), greedy(4)).tokens);
  const SchedulerMetrics m = sched.metrics();
  EXPECT_EQ(m.rejected, 1);
  EXPECT_EQ(m.cancelled, 1);
}

TEST_F(SchedulerTest, NextTurnReusesTheFirstTurnExactly) {
  Scheduler sched(*lm_, tok_, pool_, options(2));
  const auto p1 = prompt(21, 5);
  const GenerateResult t1 = wait(*submit(sched, p1, greedy(9)));
  EXPECT_EQ(t1.reused_tokens, 0);
  // A new message after the first prompt: the end-of-prompt snapshot covers exactly the first prompt.
  std::vector<int32_t> p2 = p1;
  for (int32_t t : prompt(7, 9)) p2.push_back(t);
  const GenerateResult t2 = wait(*submit(sched, p2, greedy(9)));
  EXPECT_EQ(t2.reused_tokens, static_cast<int64_t>(p1.size()));
  EXPECT_EQ(t2.tokens, alone(p2, greedy(9)).tokens);
  // The next chat turn (first prompt + the answer + a new message): the end-of-turn snapshot covers the prompt
  // and every answer token the model consumed (all but the last one, which was sampled but never fed).
  std::vector<int32_t> p3 = p1;
  p3.insert(p3.end(), t1.tokens.begin(), t1.tokens.end());
  for (int32_t t : prompt(5, 11)) p3.push_back(t);
  const GenerateResult t3 = wait(*submit(sched, p3, greedy(9)));
  EXPECT_EQ(t3.reused_tokens, static_cast<int64_t>(p1.size() + t1.tokens.size() - 1));
  EXPECT_EQ(t3.tokens, alone(p3, greedy(9)).tokens);
  EXPECT_GE(sched.metrics().cache_hits, 2);
}

TEST_F(SchedulerTest, RejectsPromptsThatDoNotFit) {
  Scheduler sched(*lm_, tok_, pool_, options(1));
  Scheduler::SubmitError err;
  std::string msg;
  EXPECT_FALSE(sched.submit(prompt(600, 1), greedy(4), &err, &msg));
  EXPECT_EQ(err, Scheduler::SubmitError::kInvalid);
  EXPECT_FALSE(sched.submit({}, greedy(4), &err, &msg));
  EXPECT_FALSE(sched.submit({1, 999}, greedy(4), &err, &msg));
  EXPECT_EQ(err, Scheduler::SubmitError::kInvalid);
}

TEST_F(SchedulerTest, DrainFinishesRunningRequestsAndRefusesNewOnes) {
  Scheduler sched(*lm_, tok_, pool_, options(2));
  auto a = submit(sched, prompt(8, 1), greedy(12));
  sched.drain(10s);
  EXPECT_EQ(wait(*a).finish, FinishReason::Length);
  Scheduler::SubmitError err;
  std::string msg;
  EXPECT_FALSE(sched.submit(prompt(4, 1), greedy(4), &err, &msg));
  EXPECT_EQ(err, Scheduler::SubmitError::kDraining);
}

}  // namespace
}  // namespace nt
