// Syntax tree of a template. One node type; which fields a kind uses is listed beside each kind.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace nt::jinja {

struct Node;
using NodePtr = std::unique_ptr<Node>;
using NodeList = std::vector<NodePtr>;

enum class NodeKind {
  // Statements
  kText,          // text: literal output
  kComment,       // nothing
  kIf,            // a: test; body; alt: else branch (an elif is a nested kIf)
  kFor,           // a: loop target (identifier or tuple); b: iterable (a kSelect gives `for x in xs if c`); body; alt
  kSet,           // a: target (identifier, tuple or member); b: value, or null for a {% set %}...{% endset %} body
  kMacro,         // name; args: parameters (identifiers or kKeywordArg with defaults); body
  kCallBlock,     // a: the kCall; args: caller parameters; body
  kFilterBlock,   // a: filter (kIdentifier or kCall); body
  kBreak,
  kContinue,
  // Expressions
  kInt,           // number
  kFloat,         // number
  kString,        // text
  kIdentifier,    // name
  kList,          // args: items
  kTuple,         // args: items
  kDict,          // args: key, value, key, value, ...
  kMember,        // a: object; b: property; computed: obj[b] rather than obj.b
  kSlice,         // a, b, c: start, stop, step (each may be null)
  kCall,          // a: callee; args (kKeywordArg, kSpread, kKeywordSpread or expressions)
  kKeywordArg,    // name = b
  kSpread,        // *a
  kKeywordSpread, // **a
  kUnary,         // name: operator ("not", "-", "+"); a: operand
  kBinary,        // name: operator; a, b: operands
  kFilter,        // a: operand; b: filter (kIdentifier, or kCall for filters with arguments)
  kTest,          // a: operand; name: test; negate; args: test arguments (an extension over the reference)
  kSelect,        // a: value; b: condition (`a if b` without else: undefined when false)
  kTernary,       // a: condition; b: value if true; c: value if false
};

struct Node {
  NodeKind kind;
  int line = 0;
  std::string name;  // identifier, operator, test or macro name
  std::string text;  // string literal or template text
  double number = 0;
  bool computed = false;
  bool negate = false;
  NodePtr a, b, c;
  NodeList args;
  NodeList body, alt;

  Node(NodeKind k, int l) : kind(k), line(l) {}
};

inline NodePtr make_node(NodeKind kind, int line) { return std::make_unique<Node>(kind, line); }

}  // namespace nt::jinja
