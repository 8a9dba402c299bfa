// Expressions: literals, names, operators, member access and slices, calls, filters and tests.
#include <cmath>

#include "core/strings.h"
#include "text/jinja/builtins.h"
#include "text/jinja/interpreter.h"
#include "text/jinja/js_text.h"

namespace nt::jinja {

Result<Value> Interpreter::eval(const Node& node, const EnvPtr& env) {
  switch (node.kind) {
    case NodeKind::kInt: return Value::integer(node.number);
    case NodeKind::kFloat: return Value::floating(node.number);
    case NodeKind::kString: return Value::string(node.text);
    case NodeKind::kText: return Value::string(node.text);
    case NodeKind::kIdentifier: return env->lookup(node.name);
    case NodeKind::kList:
    case NodeKind::kTuple: {
      ValueList items;
      for (const NodePtr& a : node.args) {
        NT_ASSIGN_OR_RETURN(Value v, eval(*a, env));
        items.push_back(std::move(v));
      }
      return Value::make_list(std::move(items), node.kind == NodeKind::kTuple);
    }
    case NodeKind::kDict: {
      auto dict = std::make_shared<Dict>();
      for (size_t i = 0; i + 1 < node.args.size(); i += 2) {
        NT_ASSIGN_OR_RETURN(Value key, eval(*node.args[i], env));
        if (!key.is(Kind::String)) {
          return at_line(node.line, Status::error(cat("dict literal keys must be strings, found ", type_name(key))));
        }
        NT_ASSIGN_OR_RETURN(Value value, eval(*node.args[i + 1], env));
        dict->set(key.str, std::move(value));
      }
      return Value::make_dict(std::move(dict));
    }
    case NodeKind::kMember: return eval_member(node, env);
    case NodeKind::kCall: return eval_call(node, env);
    case NodeKind::kUnary: return eval_unary(node, env);
    case NodeKind::kBinary: return eval_binary(node, env);
    case NodeKind::kFilter: return eval_filter(node, env);
    case NodeKind::kTest: return eval_test(node, env);
    case NodeKind::kSelect: {
      NT_ASSIGN_OR_RETURN(Value test, eval(*node.b, env));
      if (!truthy(test)) return Value::undefined();
      return eval(*node.a, env);
    }
    case NodeKind::kTernary: {
      NT_ASSIGN_OR_RETURN(Value test, eval(*node.a, env));
      return eval(truthy(test) ? *node.b : *node.c, env);
    }
    case NodeKind::kSlice: return at_line(node.line, Status::error("a slice is only allowed inside []"));
    case NodeKind::kKeywordArg:
    case NodeKind::kSpread:
    case NodeKind::kKeywordSpread:
      return at_line(node.line, Status::error("keyword arguments and * / ** unpacking are only allowed in calls"));
    default: return at_line(node.line, Status::error("a statement cannot be used as an expression"));
  }
}

namespace {

bool numeric_like(const Value& v) { return v.is_number() || v.is(Kind::Bool); }
double numeric_value(const Value& v) { return v.is(Kind::Bool) ? (v.boolean ? 1 : 0) : v.number; }

Result<Value> arithmetic(const std::string& op, const Value& left, const Value& right, bool* handled) {
  double a = left.number, b = right.number;
  bool is_float = left.is(Kind::Float) || right.is(Kind::Float);
  auto number = [&](double r) { return is_float ? Value::floating(r) : Value::integer(r); };
  *handled = true;
  if (op == "+") return number(a + b);
  if (op == "-") return number(a - b);
  if (op == "*") return number(a * b);
  if (op == "/") return Value::floating(a / b);
  if (op == "//") return number(std::floor(a / b));
  if (op == "%") return number(std::fmod(a, b));  // JavaScript's %: the sign follows the dividend
  if (op == "<") return Value::from_bool(a < b);
  if (op == ">") return Value::from_bool(a > b);
  if (op == "<=") return Value::from_bool(a <= b);
  if (op == ">=") return Value::from_bool(a >= b);
  *handled = false;
  return Value::undefined();
}

Result<Value> power(const Value& left, const Value& right) {
  double a = numeric_value(left), b = numeric_value(right);
  if (a == 0 && b < 0) return Status::error("0.0 cannot be raised to a negative power");
  double r = std::pow(a, b);
  if (!std::isfinite(r)) return Status::error("exponentiation result is not a finite real number");
  bool is_float = left.is(Kind::Float) || right.is(Kind::Float) || b < 0;
  return is_float ? Value::floating(r) : Value::integer(r);
}

}  // namespace

Result<Value> Interpreter::eval_binary(const Node& node, const EnvPtr& env) {
  const std::string& op = node.name;
  NT_ASSIGN_OR_RETURN(Value left, eval(*node.a, env));
  if (op == "and") return truthy(left) ? eval(*node.b, env) : Result<Value>(left);
  if (op == "or") return truthy(left) ? Result<Value>(left) : eval(*node.b, env);
  NT_ASSIGN_OR_RETURN(Value right, eval(*node.b, env));
  if (op == "==") return Value::from_bool(js_loose_equals(left, right));
  if (op == "!=") return Value::from_bool(!js_loose_equals(left, right));
  auto fail = [&](const std::string& msg) { return at_line(node.line, Status::error(msg)); };
  bool membership = op == "in" || op == "not in";
  if (left.is(Kind::Undefined) || right.is(Kind::Undefined)) {
    if (right.is(Kind::Undefined) && membership) return Value::from_bool(op == "not in");
    return fail(cat("cannot apply '", op, "' to an undefined value"));
  }
  if (left.is(Kind::Null) || right.is(Kind::Null)) return fail(cat("cannot apply '", op, "' to none"));
  if (op == "~" || ((left.is(Kind::String) || right.is(Kind::String)) && op == "+" &&
                    !(left.is(Kind::List) && right.is(Kind::List)) && !(left.is_number() && right.is_number()))) {
    std::string s = js_raw_string(left) + js_raw_string(right);
    NT_RETURN_IF_ERROR(at_line(node.line, check_size(s.size())));
    return Value::string(std::move(s));
  }
  if (op == "**" && numeric_like(left) && numeric_like(right)) {
    auto r = power(left, right);
    if (!r.is_ok()) return at_line(node.line, r.status());
    return r;
  }
  if (left.is_number() && right.is_number()) {
    bool handled = false;
    NT_ASSIGN_OR_RETURN(Value r, arithmetic(op, left, right, &handled));
    if (handled) return r;
  } else if (left.is(Kind::List) && right.is(Kind::List)) {
    if (op == "+") {
      ValueList items = *left.list;
      items.insert(items.end(), right.list->begin(), right.list->end());
      return Value::make_list(std::move(items));
    }
  } else if (right.is(Kind::List) && membership) {
    bool found = false;
    for (const Value& item : *right.list) found = found || js_strict_equals(item, left);
    return Value::from_bool(found == (op == "in"));
  }
  if (left.is(Kind::String) && right.is(Kind::String) && membership) {
    return Value::from_bool((right.str.find(left.str) != std::string::npos) == (op == "in"));
  }
  if (left.is(Kind::String) && right.is(Kind::Dict) && membership) {
    return Value::from_bool(right.dict->contains(left.str) == (op == "in"));
  }
  return fail(cat("unsupported operator '", op, "' between ", type_name(left), " and ", type_name(right)));
}

Result<Value> Interpreter::eval_unary(const Node& node, const EnvPtr& env) {
  NT_ASSIGN_OR_RETURN(Value v, eval(*node.a, env));
  if (node.name == "not") return Value::from_bool(!truthy(v));
  if (!numeric_like(v)) {
    return at_line(node.line, Status::error(cat("unary '", node.name, "' needs a number, found ", type_name(v))));
  }
  double r = (node.name == "-" ? -1 : 1) * numeric_value(v);
  return v.is(Kind::Float) ? Value::floating(r) : Value::integer(r);
}

namespace {

// Python slice semantics over n elements (the reference's slice()).
std::vector<size_t> slice_indices(size_t n, const Value& start_v, const Value& stop_v, const Value& step_v) {
  double len = static_cast<double>(n);
  double step = step_v.is(Kind::Int) ? step_v.number : 1;
  std::vector<size_t> out;
  if (step == 0) return out;
  bool has_start = start_v.is(Kind::Int), has_stop = stop_v.is(Kind::Int);
  double start, stop;
  if (step > 0) {
    start = has_start ? start_v.number : 0;
    stop = has_stop ? stop_v.number : len;
    start = start < 0 ? std::max(len + start, 0.0) : std::min(start, len);
    stop = stop < 0 ? std::max(len + stop, 0.0) : std::min(stop, len);
    for (double i = start; i < stop; i += step) out.push_back(static_cast<size_t>(i));
  } else {
    start = has_start ? start_v.number : len - 1;
    stop = has_stop ? stop_v.number : -1;
    start = start < 0 ? std::max(len + start, -1.0) : std::min(start, len - 1);
    stop = stop < -1 ? std::max(len + stop, -1.0) : std::min(stop, len - 1);
    for (double i = start; i > stop; i += step) out.push_back(static_cast<size_t>(i));
  }
  return out;
}

}  // namespace

Result<Value> Interpreter::eval_slice(const Value& object, const Node& slice, const EnvPtr& env) {
  if (!object.is(Kind::List) && !object.is(Kind::String)) {
    return at_line(slice.line, Status::error(cat("cannot slice a ", type_name(object), " (only a list or a string)")));
  }
  Value parts[3];
  const Node* nodes[3] = {slice.a.get(), slice.b.get(), slice.c.get()};
  const char* names[3] = {"start", "stop", "step"};
  for (int i = 0; i < 3; ++i) {
    if (!nodes[i]) continue;
    NT_ASSIGN_OR_RETURN(parts[i], eval(*nodes[i], env));
    if (!parts[i].is(Kind::Int) && !parts[i].is(Kind::Undefined)) {
      return at_line(slice.line, Status::error(cat("slice ", names[i], " must be an integer, found ", type_name(parts[i]))));
    }
  }
  if (object.is(Kind::List)) {
    ValueList items;
    for (size_t i : slice_indices(object.list->size(), parts[0], parts[1], parts[2])) items.push_back((*object.list)[i]);
    return Value::make_list(std::move(items));
  }
  std::vector<std::string_view> chars;  // code points, as Array.from(string) gives them
  for (size_t i = 0; i < object.str.size();) {
    size_t start = i;
    next_code_point(object.str, &i);
    chars.push_back(std::string_view(object.str).substr(start, i - start));
  }
  std::string out;
  for (size_t i : slice_indices(chars.size(), parts[0], parts[1], parts[2])) out += chars[i];
  return Value::string(std::move(out));
}

Result<Value> Interpreter::eval_member(const Node& node, const EnvPtr& env) {
  NT_ASSIGN_OR_RETURN(Value object, eval(*node.a, env));
  Value property;
  if (node.computed) {
    if (node.b->kind == NodeKind::kSlice) return eval_slice(object, *node.b, env);
    NT_ASSIGN_OR_RETURN(property, eval(*node.b, env));
  } else if (node.b->kind == NodeKind::kInt) {
    property = Value::integer(node.b->number);
  } else {
    property = Value::string(node.b->name);
  }
  auto bad_key = [&](const char* expected) {
    return at_line(node.line, Status::error(cat("cannot index a ", type_name(object), " with a ", type_name(property),
                                                " (expected ", expected, ")")));
  };
  if (object.is(Kind::Dict) || object.is(Kind::Namespace)) {
    if (!property.is(Kind::String)) return bad_key("a string key");
    if (const Value* v = object.dict->find(property.str)) return *v;
    if (object.is(Kind::Dict)) return member_builtin(object, property.str);
    return Value::undefined();
  }
  if (object.is(Kind::List) || object.is(Kind::String)) {
    if (property.is(Kind::String)) return member_builtin(object, property.str);
    if (!property.is(Kind::Int)) return bad_key("an integer index");
    if (object.is(Kind::List)) {
      double n = static_cast<double>(object.list->size()), i = property.number < 0 ? property.number + n : property.number;
      if (i < 0 || i >= n) return Value::undefined();
      return (*object.list)[static_cast<size_t>(i)];
    }
    std::u16string units = to_utf16(object.str);  // s[i] indexes UTF-16 code units, as in JavaScript
    double n = static_cast<double>(units.size()), i = property.number < 0 ? property.number + n : property.number;
    if (i < 0 || i >= n) return Value::undefined();
    return Value::string(from_utf16(units.substr(static_cast<size_t>(i), 1)));
  }
  if (!property.is(Kind::String)) return bad_key("a string attribute");
  return member_builtin(object, property.str);
}

Result<Value> Interpreter::eval_call(const Node& node, const EnvPtr& env) {
  NT_ASSIGN_OR_RETURN(CallArgs args, eval_args(node.args, env));
  NT_ASSIGN_OR_RETURN(Value fn, eval(*node.a, env));
  if (!fn.is(Kind::Function)) {
    std::string what = node.a->kind == NodeKind::kIdentifier ? cat("'", node.a->name, "'")
                       : node.a->kind == NodeKind::kMember && !node.a->computed ? cat("'.", node.a->b->name, "'")
                                                                                 : std::string("the expression");
    return at_line(node.line, Status::error(cat("cannot call ", what, ": it is ", type_name(fn), ", not a function")));
  }
  auto result = call(fn, args.flattened(), env);
  if (!result.is_ok()) return at_line(node.line, result.status());
  return result;
}

Result<Value> Interpreter::eval_filter(const Node& node, const EnvPtr& env) {
  NT_ASSIGN_OR_RETURN(Value operand, eval(*node.a, env));
  const Node& f = *node.b;
  bool call_form = f.kind == NodeKind::kCall;
  CallArgs args;
  if (call_form) { NT_ASSIGN_OR_RETURN(args, eval_args(f.args, env)); }
  const std::string& name = call_form ? f.a->name : f.name;
  auto result = apply_filter(*this, operand, name, args, call_form, env);
  if (!result.is_ok()) return at_line(node.line, result.status());
  if (result->is(Kind::String)) NT_RETURN_IF_ERROR(at_line(node.line, check_size(result->str.size())));
  return result;
}

Result<Value> Interpreter::eval_test(const Node& node, const EnvPtr& env) {
  NT_ASSIGN_OR_RETURN(Value operand, eval(*node.a, env));
  NT_ASSIGN_OR_RETURN(CallArgs args, eval_args(node.args, env));
  auto result = apply_test(node.name, operand, args.positional);
  if (!result.is_ok()) return at_line(node.line, result.status());
  return Value::from_bool(*result != node.negate);
}

}  // namespace nt::jinja
