// Reasoning control for the Nemotron chat formats: split `<think>…</think>` from the answer, and cap the number of
// reasoning tokens (thinking budget).
//
// Both template generations end the generation prompt with `<think>\n` when reasoning is on and `<think></think>`
// when it is off (architecture notes §15.2, §15.3). In Nano v2 the tags are ordinary multi-token BPE text; in
// Nemotron 3 they are the single special tokens 12 / 13. This code works on text only: the caller must detokenize
// the think tokens as their text (i.e. not skip them as special tokens), and any tag may arrive split across pieces.
//
// Splitting rules (vLLM's deepseek_r1 / nemotron_v3 / nano_v3 reasoning parsers give the same result for
// well-formed output; differences for malformed output are noted):
//  - prompt opened `<think>` (reasoning on): everything up to the first `</think>` is reasoning, the rest is content.
//    A missing `</think>` (budget exhausted, max_tokens hit) leaves all text in reasoning and content empty, as in
//    vLLM's deepseek_r1 / nemotron_v3 parsers.
//  - prompt did not open `<think>` (reasoning off, or a raw prompt): text is content until the model itself emits
//    `<think>`; from there the rules above apply. vLLM's non-streaming parser drops text before a model-emitted
//    `<think>`; we keep it as content (its streaming parser does the same), so nothing the model wrote is lost.
//    With reasoning off and no tags in the output everything is content, as vLLM's nemotron_v3 parser does.
//  - a `<think>` tag inside the reasoning (the model repeating the opening tag) is dropped.
//  - after `</think>` tags are no longer interpreted: a later `<think>` or `</think>` is content text.
//  - whitespace at the boundaries is trimmed as the chat templates do when they re-render history: reasoning loses
//    its leading and trailing whitespace, content its leading whitespace and the whitespace right after `</think>`.
// Streaming and one-shot splitting give identical results for every chunking of the same text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nt {

inline constexpr std::string_view kThinkOpen = "<think>";
inline constexpr std::string_view kThinkClose = "</think>";

struct ReasoningDelta {
  std::string reasoning;  // goes to `reasoning_content`
  std::string content;    // goes to `content`
};

class ReasoningSplitter {
 public:
  // prompt_opened_think: the generation prompt ended with `<think>\n` (reasoning on).
  explicit ReasoningSplitter(bool prompt_opened_think);

  // Routes a piece of generated text; text that may be the start of a tag is held back until it is decided.
  ReasoningDelta push(std::string_view piece);
  // End of generation: releases held-back text (a dangling partial tag is emitted as text).
  ReasoningDelta finish();

  // True while generated text goes to reasoning (after the opening tag and before the closing one).
  bool in_reasoning() const { return phase_ == Phase::kReasoning; }
  // True once `</think>` has been seen.
  bool reasoning_closed() const { return phase_ == Phase::kContent && saw_reasoning_; }

 private:
  enum class Phase { kBeforeThink, kReasoning, kContent };
  void emit_reasoning(std::string_view s, ReasoningDelta* out);
  void emit_content(std::string_view s, ReasoningDelta* out);

  Phase phase_;
  bool saw_reasoning_ = false;
  std::string pending_;           // possible start of a tag
  std::string reasoning_ws_;      // trailing whitespace of the reasoning, emitted only if more reasoning follows
  bool reasoning_started_ = false;
  bool content_started_ = false;
};

// One-shot split of a whole generation (same rules as the streaming splitter).
ReasoningDelta split_reasoning(std::string_view text, bool prompt_opened_think);

// Thinking budget: at most `max_reasoning_tokens` generated tokens inside the reasoning, then the engine forces the
// closing text and the answer starts.
//
// Closing text. NVIDIA's model-card client for Nano v2 (ThinkingBudgetClient) cuts the reasoning at the budget and
// continues from `reasoning + ".\n</think>\n\n"` (the period closes the interrupted sentence); we force the same text.
// NVIDIA's NIM budget processor instead waits, after the budget, for the reasoning to reach a newline (within a grace
// window) and then forces `</think>`; with grace_tokens > 0 we do that and force `close_at_newline`. The budget-0
// case (no reasoning at all) also uses `close_at_newline`. (The Nemotron 3 Ultra card's client uses ".\n\n</think>\n";
// both texts are configurable.) For Nemotron 3 the caller tokenizes `</think>` to the special token 13.
struct ThinkingBudget {
  int32_t max_reasoning_tokens = -1;  // -1 = unlimited; 0 = close the reasoning before the first token
  int32_t grace_tokens = 0;           // extra tokens allowed after the budget to reach the end of a line
  std::string close_text = ".\n</think>\n\n";
  std::string close_at_newline = "</think>\n\n";
};

// Engine loop:   text = ctl.take_forced_text();  if (!text.empty()) feed its tokens (and stream the text);
//                else sample a token and call ctl.on_token(piece).
class ThinkingBudgetController {
 public:
  ThinkingBudgetController(ThinkingBudget budget, bool prompt_opened_think);

  // Reports one generated (sampled, not forced) token and its text. Counts it as reasoning if the reasoning was open
  // when it arrived.
  void on_token(std::string_view piece);
  // The text the engine must feed now instead of sampling, or empty. Returned at most once per generation.
  std::string take_forced_text();

  int32_t reasoning_tokens() const { return reasoning_tokens_; }
  bool forced() const { return forced_; }

 private:
  ThinkingBudget budget_;
  ReasoningSplitter tracker_;  // only its phase is used
  int32_t reasoning_tokens_ = 0;
  bool forced_ = false;
  bool at_line_start_ = true;  // reasoning so far is empty or ends with '\n'
  bool any_reasoning_text_ = false;
};

}  // namespace nt
