#include "sampling/reasoning.h"

#include <algorithm>

#include "sampling/stop.h"

namespace nt {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

ReasoningSplitter::ReasoningSplitter(bool prompt_opened_think)
    : phase_(prompt_opened_think ? Phase::kReasoning : Phase::kBeforeThink), saw_reasoning_(prompt_opened_think) {}

void ReasoningSplitter::emit_reasoning(std::string_view s, ReasoningDelta* out) {
  if (!reasoning_started_) {
    size_t i = 0;
    while (i < s.size() && is_space(s[i])) ++i;
    s.remove_prefix(i);
    if (s.empty()) return;
    reasoning_started_ = true;
  }
  // Hold trailing whitespace back: it is emitted only if more reasoning text follows.
  size_t end = s.size();
  while (end > 0 && is_space(s[end - 1])) --end;
  if (end == 0) {
    reasoning_ws_.append(s);
    return;
  }
  out->reasoning += reasoning_ws_;
  out->reasoning.append(s.substr(0, end));
  reasoning_ws_.assign(s.substr(end));
}

void ReasoningSplitter::emit_content(std::string_view s, ReasoningDelta* out) {
  if (!content_started_) {
    size_t i = 0;
    while (i < s.size() && is_space(s[i])) ++i;
    s.remove_prefix(i);
    if (s.empty()) return;
    content_started_ = true;
  }
  out->content.append(s);
}

ReasoningDelta ReasoningSplitter::push(std::string_view piece) {
  ReasoningDelta out;
  std::string buf = std::move(pending_);
  pending_.clear();
  buf.append(piece);
  std::string_view rest = buf;
  while (!rest.empty()) {
    if (phase_ == Phase::kContent) {
      emit_content(rest, &out);
      break;
    }
    if (phase_ == Phase::kBeforeThink) {
      size_t p = rest.find(kThinkOpen);
      if (p != std::string_view::npos) {
        emit_content(rest.substr(0, p), &out);
        rest.remove_prefix(p + kThinkOpen.size());
        phase_ = Phase::kReasoning;
        saw_reasoning_ = true;
        continue;
      }
      size_t hold = partial_match_suffix(rest, kThinkOpen);
      emit_content(rest.substr(0, rest.size() - hold), &out);
      pending_.assign(rest.substr(rest.size() - hold));
      break;
    }
    // Reasoning: look for the closing tag, and drop repeated opening tags.
    size_t close = rest.find(kThinkClose);
    size_t open = rest.find(kThinkOpen);
    if (close != std::string_view::npos && close <= open) {
      emit_reasoning(rest.substr(0, close), &out);
      reasoning_ws_.clear();     // trailing whitespace of the reasoning is trimmed
      content_started_ = false;  // and the whitespace that follows </think>
      rest.remove_prefix(close + kThinkClose.size());
      phase_ = Phase::kContent;
      continue;
    }
    if (open != std::string_view::npos) {
      emit_reasoning(rest.substr(0, open), &out);
      rest.remove_prefix(open + kThinkOpen.size());
      continue;
    }
    size_t hold = std::max(partial_match_suffix(rest, kThinkClose), partial_match_suffix(rest, kThinkOpen));
    emit_reasoning(rest.substr(0, rest.size() - hold), &out);
    pending_.assign(rest.substr(rest.size() - hold));
    break;
  }
  return out;
}

ReasoningDelta ReasoningSplitter::finish() {
  ReasoningDelta out;
  std::string rest = std::move(pending_);
  pending_.clear();
  if (phase_ == Phase::kReasoning) emit_reasoning(rest, &out);
  else emit_content(rest, &out);
  reasoning_ws_.clear();
  return out;
}

ReasoningDelta split_reasoning(std::string_view text, bool prompt_opened_think) {
  ReasoningSplitter splitter(prompt_opened_think);
  ReasoningDelta out = splitter.push(text);
  ReasoningDelta tail = splitter.finish();
  out.reasoning += tail.reasoning;
  out.content += tail.content;
  return out;
}

ThinkingBudgetController::ThinkingBudgetController(ThinkingBudget budget, bool prompt_opened_think)
    : budget_(std::move(budget)), tracker_(prompt_opened_think) {}

void ThinkingBudgetController::on_token(std::string_view piece) {
  if (tracker_.in_reasoning()) ++reasoning_tokens_;
  bool was_reasoning = tracker_.in_reasoning();
  tracker_.push(piece);
  if ((was_reasoning || tracker_.in_reasoning()) && !piece.empty()) {
    at_line_start_ = piece.back() == '\n';
    any_reasoning_text_ = true;
  }
}

std::string ThinkingBudgetController::take_forced_text() {
  if (forced_ || budget_.max_reasoning_tokens < 0 || !tracker_.in_reasoning()) return {};
  if (reasoning_tokens_ < budget_.max_reasoning_tokens) return {};
  const int64_t over = int64_t(reasoning_tokens_) - budget_.max_reasoning_tokens;
  std::string text;
  if (!any_reasoning_text_ || at_line_start_) {
    text = budget_.close_at_newline;
  } else if (over < budget_.grace_tokens) {
    return {};  // let the model reach the end of its line
  } else {
    text = budget_.close_text;
  }
  forced_ = true;
  tracker_.push(text);
  return text;
}

}  // namespace nt
