// Statements: output, if, for, set, macro, call and filter blocks, break/continue.
#include "text/jinja/interpreter.h"

#include "core/strings.h"
#include "text/jinja/builtins.h"
#include "text/jinja/js_text.h"

namespace nt::jinja {

Status at_line(int line, const Status& status) {
  if (status.is_ok() || starts_with(status.message(), "template line ")) return status;
  return Status::error(cat("template line ", line, ": ", status.message()));
}

ValueList CallArgs::flattened() const {
  ValueList out = positional;
  if (keywords->size() > 0) {
    auto kw = std::make_shared<Dict>(*keywords);
    kw->is_kwargs = true;
    out.push_back(Value::make_dict(std::move(kw)));
  }
  return out;
}

Status Interpreter::check_size(size_t bytes) const {
  if (bytes <= options_.max_output_bytes) return Status::ok();
  return Status::error(cat("rendered text exceeds the output limit of ", options_.max_output_bytes, " bytes"));
}

Result<std::string> Interpreter::run(const NodeList& program, const EnvPtr& root) {
  std::string out;
  Result<Flow> flow = exec_block(program, root, &out);
  for (const auto& ns : mutated_namespaces_) ns->items.clear();  // break any cycle the template made
  mutated_namespaces_.clear();
  if (!flow.is_ok()) return flow.status();
  if (*flow != Flow::kNormal) return Status::error("'{% break %}' or '{% continue %}' outside of a for loop");
  return out;
}

Result<Flow> Interpreter::exec_block(const NodeList& statements, const EnvPtr& env, std::string* out) {
  for (const NodePtr& s : statements) {
    NT_ASSIGN_OR_RETURN(Flow flow, exec(*s, env, out));
    if (flow != Flow::kNormal) return flow;
    NT_RETURN_IF_ERROR(at_line(s->line, check_size(out->size())));
  }
  return Flow::kNormal;
}

Result<Flow> Interpreter::exec(const Node& node, const EnvPtr& env, std::string* out) {
  switch (node.kind) {
    case NodeKind::kText: *out += node.text; return Flow::kNormal;
    case NodeKind::kComment: return Flow::kNormal;
    case NodeKind::kBreak: return Flow::kBreak;
    case NodeKind::kContinue: return Flow::kContinue;
    case NodeKind::kIf: {
      NT_ASSIGN_OR_RETURN(Value test, eval(*node.a, env));
      return exec_block(truthy(test) ? node.body : node.alt, env, out);
    }
    case NodeKind::kFor: return exec_for(node, env, out);
    case NodeKind::kSet: NT_RETURN_IF_ERROR(exec_set(node, env)); return Flow::kNormal;
    case NodeKind::kMacro: NT_RETURN_IF_ERROR(exec_macro(node, env)); return Flow::kNormal;
    case NodeKind::kCallBlock: {
      NT_ASSIGN_OR_RETURN(Value v, exec_call_block(node, env));
      NT_ASSIGN_OR_RETURN(std::string s, to_output_string(v));
      *out += s;
      return Flow::kNormal;
    }
    case NodeKind::kFilterBlock: {
      std::string body;
      NT_ASSIGN_OR_RETURN(Flow flow, exec_block(node.body, env, &body));
      if (flow != Flow::kNormal) return flow;
      const Node& f = *node.a;
      CallArgs args;
      if (f.kind == NodeKind::kCall) { NT_ASSIGN_OR_RETURN(args, eval_args(f.args, env)); }
      const std::string& name = f.kind == NodeKind::kCall ? f.a->name : f.name;
      auto filtered = apply_filter(*this, Value::string(std::move(body)), name, args, f.kind == NodeKind::kCall, env);
      if (!filtered.is_ok()) return at_line(node.line, filtered.status());
      auto s = to_output_string(*filtered);
      if (!s.is_ok()) return at_line(node.line, s.status());
      *out += *s;
      return Flow::kNormal;
    }
    default: {
      NT_ASSIGN_OR_RETURN(Value v, eval(node, env));
      auto s = to_output_string(v);
      if (!s.is_ok()) return at_line(node.line, s.status());
      *out += *s;
      return Flow::kNormal;
    }
  }
}

Status Interpreter::assign_target(const Node& target, const Value& value, const EnvPtr& env) {
  if (target.kind == NodeKind::kIdentifier) {
    env->set(target.name, value);
    return Status::ok();
  }
  if (target.kind != NodeKind::kTuple) return at_line(target.line, Status::error("cannot assign to this expression"));
  if (!value.is(Kind::List)) {
    return at_line(target.line, Status::error(cat("cannot unpack a ", type_name(value), " into ", target.args.size(), " names")));
  }
  if (value.list->size() != target.args.size()) {
    return at_line(target.line, Status::error(cat("too ", value.list->size() < target.args.size() ? "few" : "many",
                                                  " items to unpack: expected ", target.args.size(), ", found ",
                                                  value.list->size())));
  }
  for (size_t i = 0; i < target.args.size(); ++i) {
    if (target.args[i]->kind != NodeKind::kIdentifier) {
      return at_line(target.line, Status::error("can only unpack into plain names"));
    }
    env->set(target.args[i]->name, (*value.list)[i]);
  }
  return Status::ok();
}

namespace {

Value make_loop_info(const ValueList& items, size_t i) {
  auto d = std::make_shared<Dict>();
  d->is_loop = true;
  double n = static_cast<double>(items.size()), k = static_cast<double>(i);
  d->set("index", Value::integer(k + 1));
  d->set("index0", Value::integer(k));
  d->set("revindex", Value::integer(n - k));
  d->set("revindex0", Value::integer(n - k - 1));
  d->set("first", Value::from_bool(i == 0));
  d->set("last", Value::from_bool(i + 1 == items.size()));
  d->set("length", Value::integer(n));
  d->set("previtem", i > 0 ? items[i - 1] : Value::undefined());
  d->set("nextitem", i + 1 < items.size() ? items[i + 1] : Value::undefined());
  return Value::make_dict(std::move(d));
}

}  // namespace

Result<Flow> Interpreter::exec_for(const Node& node, const EnvPtr& env, std::string* out) {
  auto scope = std::make_shared<Env>(env);
  const Node* filter = nullptr;
  const Node* iterable_node = node.b.get();
  if (iterable_node->kind == NodeKind::kSelect) {  // {% for x in xs if cond %}
    filter = iterable_node->b.get();
    iterable_node = iterable_node->a.get();
  }
  NT_ASSIGN_OR_RETURN(Value iterable, eval(*iterable_node, scope));
  ValueList source;
  if (iterable.is(Kind::List)) {
    source = *iterable.list;
  } else if (iterable.is(Kind::Dict)) {
    for (const auto& [k, v] : iterable.dict->items) source.push_back(Value::string(k));
  } else if (iterable.is(Kind::String)) {  // extension: the reference refuses to iterate strings
    for (size_t i = 0; i < iterable.str.size();) {
      std::string ch;
      append_utf8(&ch, next_code_point(iterable.str, &i));
      source.push_back(Value::string(std::move(ch)));
    }
  } else {
    return at_line(node.line, Status::error(cat("cannot loop over a ", type_name(iterable), " (expected a list or a dict)")));
  }
  ValueList items;
  for (Value& item : source) {
    if (++loop_iterations_ > options_.max_loop_iterations) {
      return at_line(node.line, Status::error(cat("loop iterations exceed the limit of ", options_.max_loop_iterations)));
    }
    if (filter) {
      auto item_scope = std::make_shared<Env>(scope);
      NT_RETURN_IF_ERROR(assign_target(*node.a, item, item_scope));
      NT_ASSIGN_OR_RETURN(Value keep, eval(*filter, item_scope));
      if (!truthy(keep)) continue;
    } else if (node.a->kind == NodeKind::kTuple) {
      // The reference checks every item's unpacking before the first iteration runs.
      NT_RETURN_IF_ERROR(assign_target(*node.a, item, std::make_shared<Env>(scope)));
    }
    items.push_back(std::move(item));
  }
  bool iterated = false;
  for (size_t i = 0; i < items.size(); ++i) {
    scope->set("loop", make_loop_info(items, i));
    NT_RETURN_IF_ERROR(assign_target(*node.a, items[i], scope));
    // As in the reference, an iteration left by break/continue contributes no output at all.
    std::string body;
    NT_ASSIGN_OR_RETURN(Flow flow, exec_block(node.body, scope, &body));
    if (flow == Flow::kContinue) continue;
    if (flow == Flow::kBreak) break;
    *out += body;
    NT_RETURN_IF_ERROR(at_line(node.line, check_size(out->size())));
    iterated = true;
  }
  if (!iterated) {
    NT_ASSIGN_OR_RETURN(Flow flow, exec_block(node.alt, scope, out));
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Status Interpreter::exec_set(const Node& node, const EnvPtr& env) {
  Value value;
  if (node.b) {
    NT_ASSIGN_OR_RETURN(value, eval(*node.b, env));
  } else {
    std::string body;
    NT_ASSIGN_OR_RETURN(Flow flow, exec_block(node.body, env, &body));
    if (flow != Flow::kNormal) return at_line(node.line, Status::error("'{% break %}' or '{% continue %}' inside '{% set %}'"));
    value = Value::string(std::move(body));
  }
  const Node& target = *node.a;
  if (target.kind == NodeKind::kMember) {
    NT_ASSIGN_OR_RETURN(Value object, eval(*target.a, env));
    if (!object.is(Kind::Namespace)) {
      return at_line(node.line, Status::error(cat("cannot assign an attribute of a ", type_name(object),
                                                  " (only of a namespace())")));
    }
    if (target.b->kind != NodeKind::kIdentifier) {
      return at_line(node.line, Status::error("namespace attributes are assigned by name (ns.name)"));
    }
    object.dict->set(target.b->name, std::move(value));
    if (mutated_namespaces_.empty() || mutated_namespaces_.back() != object.dict) mutated_namespaces_.push_back(object.dict);
    return Status::ok();
  }
  return assign_target(target, value, env);
}

namespace {

// Whether a macro body reads `kwargs` / `varargs` (which then collect extra arguments instead of failing).
void find_special_names(const Node& n, bool* kwargs, bool* varargs) {
  if (n.kind == NodeKind::kIdentifier) {
    *kwargs = *kwargs || n.name == "kwargs";
    *varargs = *varargs || n.name == "varargs";
  }
  for (const Node* child : {n.a.get(), n.b.get(), n.c.get()}) {
    if (child) find_special_names(*child, kwargs, varargs);
  }
  for (const NodeList* list : {&n.args, &n.body, &n.alt}) {
    for (const NodePtr& child : *list) find_special_names(*child, kwargs, varargs);
  }
}

}  // namespace

Status Interpreter::bind_macro_arguments(const std::string& name, const NodeList& params, bool wants_kwargs,
                                         bool wants_varargs, ValueList args, const EnvPtr& scope) {
  std::shared_ptr<Dict> keywords = std::make_shared<Dict>();
  if (!args.empty() && args.back().is_kwargs()) {
    *keywords = *args.back().dict;
    keywords->is_kwargs = false;
    args.pop_back();
  }
  std::vector<const Node*> pending_defaults;
  for (size_t i = 0; i < params.size(); ++i) {
    const Node& p = *params[i];
    const std::string& pname = p.name;
    std::optional<Value> value;
    if (i < args.size()) value = args[i];
    if (!value && keywords->contains(pname)) {
      value = *keywords->find(pname);
      keywords->erase(pname);
    }
    if (!value && p.kind == NodeKind::kKeywordArg) pending_defaults.push_back(&p);
    scope->set(pname, value ? *value : Value::undefined());
  }
  if (wants_kwargs) {
    scope->set("kwargs", Value::make_dict(keywords));
  } else if (keywords->size() > 0) {
    return Status::error(cat("macro '", name, "' takes no keyword argument '", keywords->items[0].first, "'"));
  }
  if (wants_varargs) {
    ValueList rest(args.size() > params.size() ? args.begin() + static_cast<std::ptrdiff_t>(params.size()) : args.end(), args.end());
    scope->set("varargs", Value::make_list(std::move(rest)));
  } else if (args.size() > params.size()) {
    return Status::error(cat("macro '", name, "' takes not more than ", params.size(), " argument(s)"));
  }
  for (const Node* p : pending_defaults) {
    NT_ASSIGN_OR_RETURN(Value v, eval(*p->b, scope));
    scope->set(p->name, std::move(v));
  }
  return Status::ok();
}

Status Interpreter::exec_macro(const Node& node, const EnvPtr& env) {
  bool wants_kwargs = false, wants_varargs = false;
  for (const NodePtr& s : node.body) find_special_names(*s, &wants_kwargs, &wants_varargs);
  const Node* macro = &node;
  env->set(node.name, Value::function(node.name, [macro, wants_kwargs, wants_varargs](
                                                     Interpreter& in, const EnvPtr& caller_env, ValueList& args) -> Result<Value> {
    auto scope = std::make_shared<Env>(caller_env);
    NT_RETURN_IF_ERROR(at_line(macro->line, in.bind_macro_arguments(macro->name, macro->args, wants_kwargs,
                                                                     wants_varargs, args, scope)));
    std::string out;
    NT_ASSIGN_OR_RETURN(Flow flow, in.exec_block(macro->body, scope, &out));
    if (flow != Flow::kNormal) {
      return at_line(macro->line, Status::error("'{% break %}' or '{% continue %}' outside of a loop in a macro"));
    }
    return Value::string(std::move(out));
  }));
  return Status::ok();
}

Result<Value> Interpreter::exec_call_block(const Node& node, const EnvPtr& env) {
  bool wants_kwargs = false, wants_varargs = false;
  for (const NodePtr& s : node.body) find_special_names(*s, &wants_kwargs, &wants_varargs);
  const Node* block = &node;
  EnvPtr block_env = env;
  Value caller = Value::function("caller", [block, block_env, wants_kwargs, wants_varargs](
                                               Interpreter& in, const EnvPtr&, ValueList& args) -> Result<Value> {
    auto scope = std::make_shared<Env>(block_env);
    NT_RETURN_IF_ERROR(at_line(block->line, in.bind_macro_arguments("caller", block->args, wants_kwargs,
                                                                     wants_varargs, args, scope)));
    std::string out;
    NT_ASSIGN_OR_RETURN(Flow flow, in.exec_block(block->body, scope, &out));
    if (flow != Flow::kNormal) {
      return at_line(block->line, Status::error("'{% break %}' or '{% continue %}' outside of a loop in a call block"));
    }
    return Value::string(std::move(out));
  });
  const Node& call = *node.a;
  NT_ASSIGN_OR_RETURN(CallArgs args, eval_args(call.args, env));
  ValueList flat = args.positional;
  auto kw = std::make_shared<Dict>(*args.keywords);
  kw->is_kwargs = true;
  flat.push_back(Value::make_dict(std::move(kw)));  // the reference always passes the keyword dict here
  NT_ASSIGN_OR_RETURN(Value fn, eval(*call.a, env));
  if (!fn.is(Kind::Function)) {
    return at_line(node.line, Status::error(cat("'{% call ", call.a->name, "() %}': '", call.a->name,
                                                "' is not a macro (found ", type_name(fn), ")")));
  }
  auto call_env = std::make_shared<Env>(env);
  call_env->set("caller", caller);
  auto result = this->call(fn, std::move(flat), call_env);
  if (!result.is_ok()) return at_line(node.line, result.status());
  return result;
}

Result<CallArgs> Interpreter::eval_args(const NodeList& args, const EnvPtr& env) {
  CallArgs out;
  // Like Python (and the reference), all positional arguments are evaluated before any keyword argument.
  for (const NodePtr& a : args) {
    if (a->kind == NodeKind::kSpread) {
      NT_ASSIGN_OR_RETURN(Value v, eval(*a->a, env));
      if (!v.is(Kind::List)) return at_line(a->line, Status::error(cat("cannot unpack a ", type_name(v), " with *")));
      out.positional.insert(out.positional.end(), v.list->begin(), v.list->end());
    } else if (a->kind != NodeKind::kKeywordArg && a->kind != NodeKind::kKeywordSpread) {
      NT_ASSIGN_OR_RETURN(Value v, eval(*a, env));
      out.positional.push_back(std::move(v));
    }
  }
  auto add = [&](const std::string& key, Value v, int line) -> Status {
    if (out.keywords->contains(key)) return at_line(line, Status::error(cat("got multiple values for keyword argument '", key, "'")));
    out.keywords->set(key, std::move(v));
    return Status::ok();
  };
  for (const NodePtr& a : args) {
    if (a->kind == NodeKind::kKeywordArg) {
      NT_ASSIGN_OR_RETURN(Value v, eval(*a->b, env));
      NT_RETURN_IF_ERROR(add(a->name, std::move(v), a->line));
    } else if (a->kind == NodeKind::kKeywordSpread) {
      NT_ASSIGN_OR_RETURN(Value v, eval(*a->a, env));
      if (!v.is(Kind::Dict)) return at_line(a->line, Status::error(cat("argument after ** must be a mapping, not a ", type_name(v))));
      for (const auto& [k, item] : v.dict->items) NT_RETURN_IF_ERROR(add(k, item, a->line));
    }
  }
  return out;
}

Result<Value> Interpreter::call(const Value& fn, ValueList args, const EnvPtr& env) {
  if (!fn.is(Kind::Function)) return Status::error(cat("cannot call a ", type_name(fn)));
  if (call_depth_ >= options_.max_call_depth) {
    return Status::error(cat("macro calls nested deeper than the limit of ", options_.max_call_depth));
  }
  ++call_depth_;
  Result<Value> result = fn.fn->call(*this, env, args);
  --call_depth_;
  if (result.is_ok() && result->is(Kind::String)) NT_RETURN_IF_ERROR(check_size(result->str.size()));
  return result;
}

}  // namespace nt::jinja
