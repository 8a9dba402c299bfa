// Compiler (RegexNode tree -> instruction list) and the backtracking matcher for text/regex.h.
#include "text/regex.h"

#include "core/strings.h"
#include "text/regex_internal.h"

namespace nt::text {

enum class Op : uint8_t {
  kClass,          // x: class index; consumes one code point
  kSplit,          // try x first, then y
  kJmp,            // x
  kSavePos,        // register x = pos (restored on backtrack)
  kCheckProgress,  // fail if register x == pos (an empty iteration of a * loop, as ECMAScript specifies)
  kLineStart, kLineEnd, kWordBoundary, kNotWordBoundary,
  kLookahead, kNegLookahead, kAtomic,  // sub-program at x (ends with kMatch), continue at y
  kMatch,
};

struct RegexInst {
  Op op;
  uint32_t x = 0, y = 0;
};

struct Regex::Program {
  std::vector<RegexInst> code;
  std::vector<CharClass> classes;
  uint32_t n_registers = 0;
};

namespace {

constexpr size_t kMaxInstructions = 1 << 20;

bool nullable(const RegexNode& n) {
  switch (n.kind) {
    case RegexNode::kClass: return false;
    case RegexNode::kConcat:
      for (const auto& c : n.children) if (!nullable(*c)) return false;
      return true;
    case RegexNode::kAlternate:
      for (const auto& c : n.children) if (nullable(*c)) return true;
      return false;
    case RegexNode::kRepeat: return n.min == 0 || nullable(*n.children[0]);
    case RegexNode::kGroup: case RegexNode::kAtomic: return nullable(*n.children[0]);
    default: return true;  // assertions and empty
  }
}

class Compiler {
 public:
  explicit Compiler(Regex::Program* p) : p_(p) {}

  Status emit(const RegexNode& n) {
    if (p_->code.size() > kMaxInstructions) return Status::error("regex: pattern too large after expanding repetitions");
    switch (n.kind) {
      case RegexNode::kEmpty: return Status::ok();
      case RegexNode::kClass: add(Op::kClass, n.class_index); return Status::ok();
      case RegexNode::kConcat:
        for (const auto& c : n.children) NT_RETURN_IF_ERROR(emit(*c));
        return Status::ok();
      case RegexNode::kGroup: return emit(*n.children[0]);
      case RegexNode::kAlternate: return emit_alternate(n);
      case RegexNode::kRepeat:
        if (n.possessive) return emit_sub(Op::kAtomic, [&] { return emit_repeat(n); });
        return emit_repeat(n);
      case RegexNode::kLineStart: add(Op::kLineStart); return Status::ok();
      case RegexNode::kLineEnd: add(Op::kLineEnd); return Status::ok();
      case RegexNode::kWordBoundary: add(Op::kWordBoundary); return Status::ok();
      case RegexNode::kNotWordBoundary: add(Op::kNotWordBoundary); return Status::ok();
      case RegexNode::kLookahead: return emit_sub(Op::kLookahead, [&] { return emit(*n.children[0]); });
      case RegexNode::kNegLookahead: return emit_sub(Op::kNegLookahead, [&] { return emit(*n.children[0]); });
      case RegexNode::kAtomic: return emit_sub(Op::kAtomic, [&] { return emit(*n.children[0]); });
    }
    return Status::error("regex: internal: unknown node");
  }

  uint32_t add(Op op, uint32_t x = 0, uint32_t y = 0) {
    p_->code.push_back({op, x, y});
    return static_cast<uint32_t>(p_->code.size() - 1);
  }

 private:
  uint32_t here() const { return static_cast<uint32_t>(p_->code.size()); }

  template <typename F>
  Status emit_sub(Op op, F body) {
    uint32_t at = add(op, 0, 0);
    p_->code[at].x = here();
    NT_RETURN_IF_ERROR(body());
    add(Op::kMatch);
    p_->code[at].y = here();
    return Status::ok();
  }

  Status emit_alternate(const RegexNode& n) {
    std::vector<uint32_t> jumps;
    for (size_t i = 0; i < n.children.size(); ++i) {
      uint32_t split = 0;
      bool last = i + 1 == n.children.size();
      if (!last) split = add(Op::kSplit, 0, 0);
      if (!last) p_->code[split].x = here();
      NT_RETURN_IF_ERROR(emit(*n.children[i]));
      if (!last) {
        jumps.push_back(add(Op::kJmp));
        p_->code[split].y = here();
      }
    }
    for (uint32_t j : jumps) p_->code[j].x = here();
    return Status::ok();
  }

  // Split whose preferred branch is the next instruction (greedy) or the exit (lazy); exit patched later.
  uint32_t add_loop_split(bool greedy) { return add(Op::kSplit, 0, 0); }
  void patch_split(uint32_t at, uint32_t body, uint32_t exit, bool greedy) {
    p_->code[at].x = greedy ? body : exit;
    p_->code[at].y = greedy ? exit : body;
  }

  Status emit_repeat(const RegexNode& n) {
    const RegexNode& body = *n.children[0];
    for (int i = 0; i < n.min; ++i) NT_RETURN_IF_ERROR(emit(body));
    const bool check = nullable(body);
    if (n.max == -1) {
      uint32_t loop = add_loop_split(n.greedy);
      uint32_t reg = check ? p_->n_registers++ : 0;
      uint32_t body_start = here();
      if (check) add(Op::kSavePos, reg);
      NT_RETURN_IF_ERROR(emit(body));
      if (check) add(Op::kCheckProgress, reg);
      add(Op::kJmp, loop);
      patch_split(loop, body_start, here(), n.greedy);
      return Status::ok();
    }
    std::vector<uint32_t> splits;
    for (int i = n.min; i < n.max; ++i) {
      uint32_t s = add_loop_split(n.greedy);
      splits.push_back(s);
      uint32_t reg = check ? p_->n_registers++ : 0;
      if (check) add(Op::kSavePos, reg);
      NT_RETURN_IF_ERROR(emit(body));
      if (check) add(Op::kCheckProgress, reg);
      if (p_->code.size() > kMaxInstructions) return Status::error("regex: pattern too large after expanding repetitions");
    }
    for (uint32_t s : splits) patch_split(s, s + 1, here(), n.greedy);
    return Status::ok();
  }

  Regex::Program* p_;
};

bool is_word(std::u32string_view t, size_t i) {
  if (i >= t.size()) return false;
  char32_t c = t[i];
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// One backtracking run. Frames either resume (pc, pos) or, with reg != kNoReg, restore a register.
class Matcher {
 public:
  Matcher(const Regex::Program& p, std::u32string_view text, size_t budget)
      : p_(p), t_(text), regs_(p.n_registers, SIZE_MAX), budget_(budget) {}

  bool exhausted() const { return exhausted_; }

  // End position of the first match of the sub-program at `pc` from `pos`, or -1.
  long long run(uint32_t pc, size_t pos) {
    const size_t base = stack_.size();
    while (true) {
      if (++steps_ > budget_) {
        exhausted_ = true;
        stack_.resize(base);
        return -1;
      }
      const RegexInst& in = p_.code[pc];
      bool ok = true;
      switch (in.op) {
        case Op::kClass:
          ok = pos < t_.size() && p_.classes[in.x].contains(t_[pos]);
          if (ok) { ++pos; ++pc; }
          break;
        case Op::kSplit:
          stack_.push_back({in.y, pos, kNoReg});
          pc = in.x;
          break;
        case Op::kJmp: pc = in.x; break;
        case Op::kSavePos:
          stack_.push_back({0, regs_[in.x], in.x});
          regs_[in.x] = pos;
          ++pc;
          break;
        case Op::kCheckProgress: ok = regs_[in.x] != pos; ++pc; break;
        case Op::kLineStart: ok = pos == 0; ++pc; break;
        case Op::kLineEnd: ok = pos == t_.size(); ++pc; break;
        case Op::kWordBoundary: ok = is_word(t_, pos) != (pos > 0 && is_word(t_, pos - 1)); ++pc; break;
        case Op::kNotWordBoundary: ok = is_word(t_, pos) == (pos > 0 && is_word(t_, pos - 1)); ++pc; break;
        case Op::kLookahead: case Op::kNegLookahead: {
          long long end = run(in.x, pos);
          if (exhausted_) { stack_.resize(base); return -1; }
          ok = (end >= 0) == (in.op == Op::kLookahead);
          pc = in.y;
          break;
        }
        case Op::kAtomic: {
          long long end = run(in.x, pos);
          if (exhausted_) { stack_.resize(base); return -1; }
          ok = end >= 0;
          if (ok) pos = static_cast<size_t>(end);
          pc = in.y;
          break;
        }
        case Op::kMatch:
          stack_.resize(base);
          return static_cast<long long>(pos);
      }
      if (ok) continue;
      // Backtrack: pop register restores until a resume frame.
      while (true) {
        if (stack_.size() == base) return -1;
        Frame f = stack_.back();
        stack_.pop_back();
        if (f.reg != kNoReg) {
          regs_[f.reg] = f.pos;
          continue;
        }
        pc = f.pc;
        pos = f.pos;
        break;
      }
    }
  }

 private:
  static constexpr uint32_t kNoReg = UINT32_MAX;
  struct Frame {
    uint32_t pc;
    size_t pos;
    uint32_t reg;
  };
  const Regex::Program& p_;
  std::u32string_view t_;
  std::vector<size_t> regs_;
  std::vector<Frame> stack_;
  size_t steps_ = 0, budget_;
  bool exhausted_ = false;
};

size_t step_budget(size_t n) { return 1000 * (n + 1) + (size_t{1} << 22); }

}  // namespace

Regex::Regex() = default;
Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

Result<Regex> Regex::compile(std::string_view pattern) {
  NT_ASSIGN_OR_RETURN(ParsedRegex parsed, parse_regex(pattern));
  Regex re;
  re.pattern_ = std::string(pattern);
  re.prog_ = std::make_unique<Program>();
  re.prog_->classes = std::move(parsed.classes);
  Compiler c(re.prog_.get());
  NT_RETURN_IF_ERROR(c.emit(*parsed.root).with_context(cat("in pattern '", pattern, "'")));
  c.add(Op::kMatch);
  return re;
}

Result<bool> Regex::search(std::u32string_view text, size_t from, Match* match) const {
  Matcher m(*prog_, text, step_budget(text.size()));
  for (size_t start = from; start <= text.size(); ++start) {
    long long end = m.run(0, start);
    if (m.exhausted()) return Status::error(cat("regex: step budget exhausted matching '", pattern_, "'"));
    if (end >= 0) {
      *match = {start, static_cast<size_t>(end)};
      return true;
    }
  }
  return false;
}

Result<long long> Regex::match_at(std::u32string_view text, size_t pos) const {
  Matcher m(*prog_, text, step_budget(text.size()));
  long long end = m.run(0, pos);
  if (m.exhausted()) return Status::error(cat("regex: step budget exhausted matching '", pattern_, "'"));
  return end;
}

Status Regex::find_all(std::u32string_view text, std::vector<Match>* matches) const {
  matches->clear();
  Matcher m(*prog_, text, step_budget(text.size()));
  size_t start = 0;
  while (start <= text.size()) {
    long long end = m.run(0, start);
    if (m.exhausted()) return Status::error(cat("regex: step budget exhausted matching '", pattern_, "'"));
    if (end < 0) {
      ++start;
      continue;
    }
    matches->push_back({start, static_cast<size_t>(end)});
    start = static_cast<size_t>(end) == start ? start + 1 : static_cast<size_t>(end);
  }
  return Status::ok();
}

}  // namespace nt::text
