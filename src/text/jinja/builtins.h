// Built-in filters, tests, methods and global functions of the interpreter (internal to src/text/jinja).
#pragma once

#include <string>

#include "text/jinja/interpreter.h"

namespace nt::jinja {

// `operand | name` (call_form false) or `operand | name(args)` (call_form true). Errors carry no line.
Result<Value> apply_filter(Interpreter& interp, const Value& operand, const std::string& name, const CallArgs& args,
                           bool call_form, const EnvPtr& env);

// `operand is name(args)`; fails for unknown tests and for operands a test rejects (odd on a string).
bool has_test(const std::string& name);
Result<bool> apply_test(const std::string& name, const Value& operand, const ValueList& args);

// The built-in attribute `name` of a value (string methods, dict.items, list.length...), or undefined.
Value member_builtin(const Value& object, const std::string& name);
// str.replace(old, new, count) as the reference implements it (count may come as a keyword argument).
Result<Value> string_replace(const std::string& s, const ValueList& args);

// Globals of the reference (true/false/none, namespace, range, raise_exception, strftime_now) go in the root
// scope, where template variables would clash with them as they do in the reference; extensions (dict) go in
// the scope below, where template variables may shadow them.
void install_reference_globals(Env* root);
void install_extension_globals(Env* base);

// A value's attribute by a dotted path ("function.name", "items.0"), as map/sort/selectattr resolve them.
Value attribute_path(const Value& item, const std::string& path);

}  // namespace nt::jinja
