// Evaluates a parsed template. Semantics follow the reference renderer (@huggingface/jinja) wherever it differs
// from Python Jinja: scoping (a for loop has its own scope, macros see the caller's variables), what prints and
// how (true, 1.0, lists as JSON), JavaScript == on values, and filters that exist only for some value types.
// Constructs the reference rejects but Python Jinja accepts (a few filters, tests and globals) are extensions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/status.h"
#include "text/jinja/ast.h"
#include "text/jinja/value.h"

namespace nt::jinja {

// Limits that keep a hostile template from exhausting memory, time or the native stack; exceeding one is an
// error, never a crash.
struct RenderOptions {
  size_t max_output_bytes = size_t{64} << 20;  // also the size limit of any string built while rendering
  int max_call_depth = 100;                    // nested macro calls
  uint64_t max_loop_iterations = 1000000;      // all for-loop iterations of one render together
  std::optional<int64_t> now_unix_seconds;     // the clock of strftime_now(); unset: the system clock
};

struct Env {
  explicit Env(std::shared_ptr<Env> p = nullptr) : parent(std::move(p)) {}
  std::shared_ptr<Env> parent;
  std::unordered_map<std::string, Value> vars;

  const Value* find(const std::string& name) const {
    for (const Env* e = this; e; e = e->parent.get()) {
      auto it = e->vars.find(name);
      if (it != e->vars.end()) return &it->second;
    }
    return nullptr;
  }
  Value lookup(const std::string& name) const {
    const Value* v = find(name);
    return v ? *v : Value::undefined();
  }
  void set(const std::string& name, Value v) { vars[name] = std::move(v); }
};
using EnvPtr = std::shared_ptr<Env>;

// Positional arguments and keyword arguments of a call, evaluated.
struct CallArgs {
  ValueList positional;
  std::shared_ptr<Dict> keywords = std::make_shared<Dict>();
  const Value* keyword(const std::string& name) const { return keywords->find(name); }
  // The reference's calling convention: keyword arguments travel as a trailing dict, when there are any.
  ValueList flattened() const;
};

enum class Flow { kNormal, kBreak, kContinue };

class Interpreter {
 public:
  explicit Interpreter(const RenderOptions& options) : options_(options) {}

  Result<std::string> run(const NodeList& program, const EnvPtr& root);

  Result<Flow> exec_block(const NodeList& statements, const EnvPtr& env, std::string* out);
  Result<Value> eval(const Node& node, const EnvPtr& env);
  Result<CallArgs> eval_args(const NodeList& args, const EnvPtr& env);
  // Calls a function value; `env` is the caller's scope (macros see it, as in the reference).
  Result<Value> call(const Value& fn, ValueList args, const EnvPtr& env);

  const RenderOptions& options() const { return options_; }
  // Fails once a string grows past the output limit.
  Status check_size(size_t bytes) const;

 private:
  Result<Flow> exec(const Node& node, const EnvPtr& env, std::string* out);
  Result<Flow> exec_for(const Node& node, const EnvPtr& env, std::string* out);
  Status exec_set(const Node& node, const EnvPtr& env);
  Status exec_macro(const Node& node, const EnvPtr& env);
  Result<Value> exec_call_block(const Node& node, const EnvPtr& env);
  Status bind_macro_arguments(const std::string& name, const NodeList& params, bool wants_kwargs,
                              bool wants_varargs, ValueList args, const EnvPtr& scope);
  Status assign_target(const Node& target, const Value& value, const EnvPtr& env);

  // Namespaces assigned to during this render. Attribute assignment is the only way a template can make a
  // reference cycle ({% set ns.me = ns %}); run() empties these namespaces when it returns, so no cycle outlives
  // the render.
  std::vector<std::shared_ptr<Dict>> mutated_namespaces_;

  Result<Value> eval_binary(const Node& node, const EnvPtr& env);
  Result<Value> eval_unary(const Node& node, const EnvPtr& env);
  Result<Value> eval_member(const Node& node, const EnvPtr& env);
  Result<Value> eval_slice(const Value& object, const Node& slice, const EnvPtr& env);
  Result<Value> eval_call(const Node& node, const EnvPtr& env);
  Result<Value> eval_filter(const Node& node, const EnvPtr& env);
  Result<Value> eval_test(const Node& node, const EnvPtr& env);

  RenderOptions options_;
  int call_depth_ = 0;
  uint64_t loop_iterations_ = 0;
};

// Prefixes "template line N: " unless the message already carries a line.
Status at_line(int line, const Status& status);

}  // namespace nt::jinja
