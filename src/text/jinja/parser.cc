#include "text/jinja/parser.h"

#include <algorithm>
#include <initializer_list>
#include <set>

#include "core/strings.h"

namespace nt::jinja {

namespace {

// Nesting deeper than this (parentheses, blocks) is refused rather than risking the native stack.
constexpr int kMaxNesting = 200;

enum class ArgsMode { kCall, kParameters };

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : t_(tokens) {}

  Result<NodeList> run() {
    NodeList program;
    while (pos_ < t_.size()) {
      NT_ASSIGN_OR_RETURN(NodePtr n, parse_any());
      program.push_back(std::move(n));
    }
    return program;
  }

 private:
  // --- token helpers ---
  bool is(TokenType type, size_t ahead = 0) const { return pos_ + ahead < t_.size() && t_[pos_ + ahead].type == type; }
  bool is_identifier(std::string_view name, size_t ahead = 0) const {
    return is(TokenType::kIdentifier, ahead) && t_[pos_ + ahead].value == name;
  }
  bool is_statement(std::initializer_list<std::string_view> names) const {
    if (!is(TokenType::kOpenStatement) || !is(TokenType::kIdentifier, 1)) return false;
    return std::find(names.begin(), names.end(), t_[pos_ + 1].value) != names.end();
  }
  int line() const {
    if (t_.empty()) return 1;
    return t_[std::min(pos_, t_.size() - 1)].line;
  }
  std::string describe_current() const {
    if (pos_ >= t_.size()) return "the end of the template";
    const Token& tok = t_[pos_];
    if (tok.type == TokenType::kIdentifier || tok.type == TokenType::kNumber) return cat("'", tok.value, "'");
    if (tok.type == TokenType::kString) return "a string";
    if (tok.type == TokenType::kText) return "text";
    return token_type_name(tok.type);
  }
  Status error(const std::string& what) const { return Status::error(cat("template line ", line(), ": ", what)); }
  Status expect(TokenType type, const std::string& context) {
    if (!is(type)) return error(cat("expected ", token_type_name(type), " ", context, ", found ", describe_current()));
    ++pos_;
    return Status::ok();
  }
  Status expect_end_tag(std::string_view name, int opened_line, std::string_view opener) {
    if (!is_statement({name})) {
      return error(cat("expected '{% ", name, " %}' to close '{% ", opener, " %}' from line ", opened_line,
                       ", found ", describe_current()));
    }
    pos_ += 2;
    return expect(TokenType::kCloseStatement, cat("after '", name, "'"));
  }
  // Parses statements until one of `ends` (or fails at the end of input).
  Status parse_body(std::initializer_list<std::string_view> ends, NodeList* out, std::string_view opener,
                    int opened_line) {
    while (!is_statement(ends)) {
      if (pos_ >= t_.size()) {
        return error(cat("'{% ", opener, " %}' from line ", opened_line, " is never closed (expected '{% ",
                         *ends.begin(), " %}')"));
      }
      NT_ASSIGN_OR_RETURN(NodePtr n, parse_any());
      out->push_back(std::move(n));
    }
    return Status::ok();
  }

  struct DepthGuard {
    int* depth;
    explicit DepthGuard(int* d) : depth(d) { ++*depth; }
    ~DepthGuard() { --*depth; }
  };

  Result<NodePtr> parse_any();
  Result<NodePtr> parse_statement();
  Result<NodePtr> parse_set();
  Result<NodePtr> parse_if(int opened_line);
  Result<NodePtr> parse_macro();
  Result<NodePtr> parse_for();
  Result<NodePtr> parse_call_block();
  Result<NodePtr> parse_filter_block();
  Result<NodePtr> parse_expression_sequence(bool primary);
  Result<NodePtr> parse_expression();
  Result<NodePtr> parse_logical_or();
  Result<NodePtr> parse_logical_and();
  Result<NodePtr> parse_logical_not();
  Result<NodePtr> parse_comparison();
  Result<NodePtr> parse_additive();
  Result<NodePtr> parse_multiplicative();
  Result<NodePtr> parse_power();
  Result<NodePtr> parse_test();
  Result<NodePtr> parse_filter();
  Result<NodePtr> parse_unary_sign();
  Result<NodePtr> parse_call_member();
  Result<NodePtr> parse_call(NodePtr callee);
  Result<NodePtr> parse_member(NodePtr object);
  Result<NodePtr> parse_subscript();
  Result<NodePtr> parse_primary();
  Status parse_args(ArgsMode mode, NodeList* out);
  NodePtr binary(Token op, NodePtr a, NodePtr b) {
    NodePtr n = make_node(NodeKind::kBinary, op.line);
    n->name = std::move(op.value);
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
  }

  const std::vector<Token>& t_;
  size_t pos_ = 0;
  int depth_ = 0;
};

Result<NodePtr> Parser::parse_any() {
  DepthGuard guard(&depth_);
  if (depth_ > kMaxNesting) return error(cat("template nesting deeper than the limit of ", kMaxNesting));
  const Token& tok = t_[pos_];
  switch (tok.type) {
    case TokenType::kComment: ++pos_; return make_node(NodeKind::kComment, tok.line);
    case TokenType::kText:
    case TokenType::kRawText: {
      NodePtr n = make_node(NodeKind::kText, tok.line);
      n->text = tok.value;
      ++pos_;
      return n;
    }
    case TokenType::kOpenStatement: return parse_statement();
    case TokenType::kOpenExpression: {
      ++pos_;
      NT_ASSIGN_OR_RETURN(NodePtr e, parse_expression());
      NT_RETURN_IF_ERROR(expect(TokenType::kCloseExpression, "to close '{{'"));
      return e;
    }
    default: return error(cat("unexpected ", describe_current(), " outside of a tag"));
  }
}

Result<NodePtr> Parser::parse_statement() {
  int opened_line = line();
  ++pos_;  // {%
  if (!is(TokenType::kIdentifier)) return error(cat("expected a statement name after '{%', found ", describe_current()));
  std::string name = t_[pos_].value;
  ++pos_;
  if (name == "set") return parse_set();
  if (name == "if") {
    NT_ASSIGN_OR_RETURN(NodePtr n, parse_if(opened_line));
    NT_RETURN_IF_ERROR(expect_end_tag("endif", opened_line, "if"));
    return n;
  }
  if (name == "macro") return parse_macro();
  if (name == "for") return parse_for();
  if (name == "call") return parse_call_block();
  if (name == "filter") return parse_filter_block();
  if (name == "break" || name == "continue") {
    NT_RETURN_IF_ERROR(expect(TokenType::kCloseStatement, cat("after '", name, "'")));
    return make_node(name == "break" ? NodeKind::kBreak : NodeKind::kContinue, opened_line);
  }
  static const std::set<std::string> kEnds = {"endif", "endfor", "endmacro", "endset", "endcall", "endfilter",
                                              "elif", "else", "endraw"};
  if (kEnds.count(name)) return error(cat("unexpected '{% ", name, " %}' without a matching opening tag"));
  return error(cat("unsupported statement '{% ", name, " %}'"));
}

Result<NodePtr> Parser::parse_set() {
  int opened_line = line();
  NodePtr n = make_node(NodeKind::kSet, opened_line);
  NT_ASSIGN_OR_RETURN(n->a, parse_expression_sequence(false));
  if (is(TokenType::kEquals)) {
    ++pos_;
    NT_ASSIGN_OR_RETURN(n->b, parse_expression_sequence(false));
  } else {
    NT_RETURN_IF_ERROR(expect(TokenType::kCloseStatement, "after the target of '{% set %}'"));
    NT_RETURN_IF_ERROR(parse_body({"endset"}, &n->body, "set", opened_line));
    pos_ += 2;
  }
  NT_RETURN_IF_ERROR(expect(TokenType::kCloseStatement, "to close '{% set %}'"));
  return n;
}

Result<NodePtr> Parser::parse_if(int opened_line) {
  NodePtr n = make_node(NodeKind::kIf, opened_line);
  NT_ASSIGN_OR_RETURN(n->a, parse_expression());
  NT_RETURN_IF_ERROR(expect(TokenType::kCloseStatement, "after the condition of '{% if %}'"));
  NT_RETURN_IF_ERROR(parse_body({"elif", "else", "endif"}, &n->body, "if", opened_line));
  if (is_statement({"elif"})) {
    int elif_line = line();
    pos_ += 2;
    NT_ASSIGN_OR_RETURN(NodePtr nested, parse_if(elif_line));
    n->alt.push_back(std::move(nested));
  } else if (is_statement({"else"})) {
    pos_ += 2;
    NT_RETURN_IF_ERROR(expect(TokenType::kCloseStatement, "after 'else'"));
    NT_RETURN_IF_ERROR(parse_body({"endif"}, &n->alt, "if", opened_line));
  }
  return n;
}

Result<NodePtr> Parser::parse_macro() {
  int opened_line = line();
  NodePtr n = make_node(NodeKind::kMacro, opened_line);
  if (!is(TokenType::kIdentifier)) return error(cat("expected a macro name, found ", describe_current()));
  n->name = t_[pos_++].value;
  NT_RETURN_IF_ERROR(parse_args(ArgsMode::kParameters, &n->args));
  NT_RETURN_IF_ERROR(expect(TokenType::kCloseStatement, "after the macro signature"));
  NT_RETURN_IF_ERROR(parse_body({"endmacro"}, &n->body, "macro", opened_line));
  NT_RETURN_IF_ERROR(expect_end_tag("endmacro", opened_line, "macro"));
  return n;
}

Result<NodePtr> Parser::parse_for() {
  int opened_line = line();
  NodePtr n = make_node(NodeKind::kFor, opened_line);
  NT_ASSIGN_OR_RETURN(n->a, parse_expression_sequence(true));
  if (n->a->kind != NodeKind::kIdentifier && n->a->kind != NodeKind::kTuple) {
    return error("expected a name or a tuple of names as the loop variable of '{% for %}'");
  }
  if (!is_identifier("in")) return error(cat("expected 'in' after the loop variable, found ", describe_current()));
  ++pos_;
  NT_ASSIGN_OR_RETURN(n->b, parse_expression());
  NT_RETURN_IF_ERROR(expect(TokenType::kCloseStatement, "after the loop header"));
  NT_RETURN_IF_ERROR(parse_body({"endfor", "else"}, &n->body, "for", opened_line));
  if (is_statement({"else"})) {
    pos_ += 2;
    NT_RETURN_IF_ERROR(expect(TokenType::kCloseStatement, "after 'else'"));
    NT_RETURN_IF_ERROR(parse_body({"endfor"}, &n->alt, "for", opened_line));
  }
  NT_RETURN_IF_ERROR(expect_end_tag("endfor", opened_line, "for"));
  return n;
}

Result<NodePtr> Parser::parse_call_block() {
  int opened_line = line();
  NodePtr n = make_node(NodeKind::kCallBlock, opened_line);
  if (is(TokenType::kOpenParen)) NT_RETURN_IF_ERROR(parse_args(ArgsMode::kParameters, &n->args));
  if (!is(TokenType::kIdentifier)) return error("expected a macro name after '{% call %}'");
  NodePtr callee = make_node(NodeKind::kIdentifier, line());
  callee->name = t_[pos_++].value;
  NodePtr call = make_node(NodeKind::kCall, opened_line);
  call->a = std::move(callee);
  NT_RETURN_IF_ERROR(parse_args(ArgsMode::kCall, &call->args));
  n->a = std::move(call);
  NT_RETURN_IF_ERROR(expect(TokenType::kCloseStatement, "to close '{% call %}'"));
  NT_RETURN_IF_ERROR(parse_body({"endcall"}, &n->body, "call", opened_line));
  NT_RETURN_IF_ERROR(expect_end_tag("endcall", opened_line, "call"));
  return n;
}

Result<NodePtr> Parser::parse_filter_block() {
  int opened_line = line();
  NodePtr n = make_node(NodeKind::kFilterBlock, opened_line);
  if (!is(TokenType::kIdentifier)) return error("expected a filter name after '{% filter %}'");
  NodePtr filter = make_node(NodeKind::kIdentifier, line());
  filter->name = t_[pos_++].value;
  if (is(TokenType::kOpenParen)) {
    NodePtr call = make_node(NodeKind::kCall, filter->line);
    call->a = std::move(filter);
    NT_RETURN_IF_ERROR(parse_args(ArgsMode::kCall, &call->args));
    filter = std::move(call);
  }
  n->a = std::move(filter);
  NT_RETURN_IF_ERROR(expect(TokenType::kCloseStatement, "to close '{% filter %}'"));
  NT_RETURN_IF_ERROR(parse_body({"endfilter"}, &n->body, "filter", opened_line));
  NT_RETURN_IF_ERROR(expect_end_tag("endfilter", opened_line, "filter"));
  return n;
}

Result<NodePtr> Parser::parse_expression_sequence(bool primary) {
  int start_line = line();
  NT_ASSIGN_OR_RETURN(NodePtr first, primary ? parse_primary() : parse_expression());
  if (!is(TokenType::kComma)) return first;
  NodePtr tuple = make_node(NodeKind::kTuple, start_line);
  tuple->args.push_back(std::move(first));
  while (is(TokenType::kComma)) {
    ++pos_;
    NT_ASSIGN_OR_RETURN(NodePtr next, primary ? parse_primary() : parse_expression());
    tuple->args.push_back(std::move(next));
  }
  return tuple;
}

Result<NodePtr> Parser::parse_expression() {
  DepthGuard guard(&depth_);
  if (depth_ > kMaxNesting) return error(cat("expression nesting deeper than the limit of ", kMaxNesting));
  NT_ASSIGN_OR_RETURN(NodePtr a, parse_logical_or());
  if (!is_identifier("if")) return a;
  int if_line = line();
  ++pos_;
  NT_ASSIGN_OR_RETURN(NodePtr test, parse_logical_or());
  if (is_identifier("else")) {
    ++pos_;
    NodePtr n = make_node(NodeKind::kTernary, if_line);
    n->a = std::move(test);
    n->b = std::move(a);
    NT_ASSIGN_OR_RETURN(n->c, parse_expression());
    return n;
  }
  NodePtr n = make_node(NodeKind::kSelect, if_line);
  n->a = std::move(a);
  n->b = std::move(test);
  return n;
}

Result<NodePtr> Parser::parse_logical_or() {
  NT_ASSIGN_OR_RETURN(NodePtr left, parse_logical_and());
  while (is_identifier("or")) {
    Token op = t_[pos_++];
    NT_ASSIGN_OR_RETURN(NodePtr right, parse_logical_and());
    left = binary(op, std::move(left), std::move(right));
  }
  return left;
}

Result<NodePtr> Parser::parse_logical_and() {
  NT_ASSIGN_OR_RETURN(NodePtr left, parse_logical_not());
  while (is_identifier("and")) {
    Token op = t_[pos_++];
    NT_ASSIGN_OR_RETURN(NodePtr right, parse_logical_not());
    left = binary(op, std::move(left), std::move(right));
  }
  return left;
}

Result<NodePtr> Parser::parse_logical_not() {
  if (is_identifier("not")) {
    DepthGuard guard(&depth_);
    if (depth_ > kMaxNesting) return error(cat("expression nesting deeper than the limit of ", kMaxNesting));
    NodePtr n = make_node(NodeKind::kUnary, line());
    n->name = "not";
    ++pos_;
    NT_ASSIGN_OR_RETURN(n->a, parse_logical_not());
    return n;
  }
  return parse_comparison();
}

Result<NodePtr> Parser::parse_comparison() {
  NT_ASSIGN_OR_RETURN(NodePtr left, parse_additive());
  while (true) {
    Token op;
    if (is_identifier("not") && is_identifier("in", 1)) {
      op = {TokenType::kIdentifier, "not in", t_[pos_].line};
      pos_ += 2;
    } else if (is_identifier("in") || is(TokenType::kComparison)) {
      op = t_[pos_++];
    } else {
      break;
    }
    NT_ASSIGN_OR_RETURN(NodePtr right, parse_additive());
    left = binary(op, std::move(left), std::move(right));
  }
  return left;
}

Result<NodePtr> Parser::parse_additive() {
  NT_ASSIGN_OR_RETURN(NodePtr left, parse_multiplicative());
  while (is(TokenType::kAdditive)) {
    Token op = t_[pos_++];
    NT_ASSIGN_OR_RETURN(NodePtr right, parse_multiplicative());
    left = binary(op, std::move(left), std::move(right));
  }
  return left;
}

Result<NodePtr> Parser::parse_multiplicative() {
  NT_ASSIGN_OR_RETURN(NodePtr left, parse_power());
  while (is(TokenType::kMultiplicative)) {
    Token op = t_[pos_++];
    NT_ASSIGN_OR_RETURN(NodePtr right, parse_power());
    left = binary(op, std::move(left), std::move(right));
  }
  return left;
}

Result<NodePtr> Parser::parse_power() {
  NT_ASSIGN_OR_RETURN(NodePtr left, parse_test());
  while (is(TokenType::kPower)) {  // left-associative, as in Jinja
    Token op = t_[pos_++];
    NT_ASSIGN_OR_RETURN(NodePtr right, parse_test());
    left = binary(op, std::move(left), std::move(right));
  }
  return left;
}

// Tests that take an argument may have it without parentheses (`x is divisibleby 3`), as in Jinja.
bool test_takes_argument(const std::string& name) {
  static const std::set<std::string> kNames = {"divisibleby", "equalto", "eq", "ne", "sameas", "lt", "le",
                                               "gt", "ge", "lessthan", "greaterthan", "in"};
  return kNames.count(name) > 0;
}

Result<NodePtr> Parser::parse_test() {
  NT_ASSIGN_OR_RETURN(NodePtr operand, parse_filter());
  while (is_identifier("is")) {
    NodePtr n = make_node(NodeKind::kTest, line());
    ++pos_;
    if (is_identifier("not")) { n->negate = true; ++pos_; }
    if (!is(TokenType::kIdentifier)) return error(cat("expected a test name after 'is', found ", describe_current()));
    n->name = t_[pos_++].value;
    if (is(TokenType::kOpenParen)) {
      NT_RETURN_IF_ERROR(parse_args(ArgsMode::kCall, &n->args));
    } else if (test_takes_argument(n->name) && (is(TokenType::kNumber) || is(TokenType::kString) ||
                                                (is(TokenType::kIdentifier) && !is_identifier("and") &&
                                                 !is_identifier("or") && !is_identifier("else") &&
                                                 !is_identifier("if") && !is_identifier("is")))) {
      NT_ASSIGN_OR_RETURN(NodePtr arg, parse_primary());
      n->args.push_back(std::move(arg));
    }
    n->a = std::move(operand);
    operand = std::move(n);
  }
  return operand;
}

Result<NodePtr> Parser::parse_filter() {
  NT_ASSIGN_OR_RETURN(NodePtr operand, parse_unary_sign());
  while (is(TokenType::kPipe)) {
    ++pos_;
    if (!is(TokenType::kIdentifier)) return error(cat("expected a filter name after '|', found ", describe_current()));
    NodePtr filter = make_node(NodeKind::kIdentifier, line());
    filter->name = t_[pos_++].value;
    if (is(TokenType::kOpenParen)) {
      NodePtr call = make_node(NodeKind::kCall, filter->line);
      call->a = std::move(filter);
      NT_RETURN_IF_ERROR(parse_args(ArgsMode::kCall, &call->args));
      filter = std::move(call);
    }
    NodePtr n = make_node(NodeKind::kFilter, filter->line);
    n->a = std::move(operand);
    n->b = std::move(filter);
    operand = std::move(n);
  }
  return operand;
}

Result<NodePtr> Parser::parse_unary_sign() {
  if ((is(TokenType::kUnary) || is(TokenType::kAdditive)) && (t_[pos_].value == "-" || t_[pos_].value == "+")) {
    DepthGuard guard(&depth_);
    if (depth_ > kMaxNesting) return error(cat("expression nesting deeper than the limit of ", kMaxNesting));
    NodePtr n = make_node(NodeKind::kUnary, line());
    n->name = t_[pos_++].value;
    NT_ASSIGN_OR_RETURN(n->a, parse_unary_sign());
    return n;
  }
  return parse_call_member();
}

Result<NodePtr> Parser::parse_call_member() {
  NT_ASSIGN_OR_RETURN(NodePtr primary, parse_primary());
  NT_ASSIGN_OR_RETURN(NodePtr member, parse_member(std::move(primary)));
  if (is(TokenType::kOpenParen)) return parse_call(std::move(member));
  return member;
}

Result<NodePtr> Parser::parse_call(NodePtr callee) {
  while (true) {
    NodePtr call = make_node(NodeKind::kCall, line());
    call->a = std::move(callee);
    NT_RETURN_IF_ERROR(parse_args(ArgsMode::kCall, &call->args));
    NT_ASSIGN_OR_RETURN(callee, parse_member(std::move(call)));
    if (!is(TokenType::kOpenParen)) return callee;
  }
}

Status Parser::parse_args(ArgsMode mode, NodeList* out) {
  NT_RETURN_IF_ERROR(expect(TokenType::kOpenParen, "to open an argument list"));
  std::set<std::string> names;
  bool saw_keyword = false, saw_spread = false;
  while (!is(TokenType::kCloseParen)) {
    if (pos_ >= t_.size()) return error("argument list is never closed with ')'");
    bool keyword_spread = is(TokenType::kPower);
    bool positional_spread = is(TokenType::kMultiplicative) && t_[pos_].value == "*";
    if (mode == ArgsMode::kParameters && (keyword_spread || positional_spread)) {
      return error("argument unpacking is not allowed in parameter declarations");
    }
    if (keyword_spread) {
      NodePtr n = make_node(NodeKind::kKeywordSpread, line());
      ++pos_;
      NT_ASSIGN_OR_RETURN(n->a, parse_expression());
      out->push_back(std::move(n));
      if (is(TokenType::kComma)) ++pos_;
      if (!is(TokenType::kCloseParen)) return error("'**' must be applied to the final argument");
      break;
    }
    NodePtr arg;
    if (positional_spread) {
      if (saw_spread) return error("only one '*' argument unpacking is allowed");
      saw_spread = true;
      arg = make_node(NodeKind::kSpread, line());
      ++pos_;
      NT_ASSIGN_OR_RETURN(arg->a, parse_expression());
    } else {
      NT_ASSIGN_OR_RETURN(arg, parse_expression());
      if (is(TokenType::kEquals)) {
        ++pos_;
        if (arg->kind != NodeKind::kIdentifier) {
          return error(mode == ArgsMode::kParameters ? "expected a name for a parameter declaration"
                                                     : "expected a name for a keyword argument");
        }
        NodePtr kw = make_node(NodeKind::kKeywordArg, arg->line);
        kw->name = arg->name;
        NT_ASSIGN_OR_RETURN(kw->b, parse_expression());
        arg = std::move(kw);
      }
      if (mode == ArgsMode::kParameters) {
        if (arg->kind != NodeKind::kIdentifier && arg->kind != NodeKind::kKeywordArg) {
          return error("expected a name for a parameter declaration");
        }
        if (!names.insert(arg->name).second) return error(cat("duplicate parameter name '", arg->name, "'"));
      }
      if (arg->kind == NodeKind::kKeywordArg) {
        saw_keyword = true;
      } else if (saw_keyword) {
        return error(mode == ArgsMode::kCall ? "positional arguments must come before keyword arguments"
                                             : "non-default parameter follows a default parameter");
      } else if (saw_spread) {
        return error("positional arguments must not follow '*' argument unpacking");
      }
    }
    out->push_back(std::move(arg));
    if (is(TokenType::kComma)) ++pos_;
  }
  ++pos_;  // )
  return Status::ok();
}

// obj[expr] or a slice obj[start:stop:step].
Result<NodePtr> Parser::parse_subscript() {
  NodeList parts;
  bool is_slice = false;
  int start_line = line();
  while (!is(TokenType::kCloseSquare)) {
    if (pos_ >= t_.size()) return error("subscript is never closed with ']'");
    if (is(TokenType::kColon)) {
      parts.push_back(nullptr);
      ++pos_;
      is_slice = true;
    } else {
      NT_ASSIGN_OR_RETURN(NodePtr e, parse_expression());
      parts.push_back(std::move(e));
      if (is(TokenType::kColon)) { ++pos_; is_slice = true; }
    }
  }
  if (parts.empty()) return error("expected an index or a slice inside '[]'");
  if (!is_slice) return std::move(parts[0]);
  if (parts.size() > 3) return error("a slice takes at most 3 parts (start:stop:step)");
  NodePtr n = make_node(NodeKind::kSlice, start_line);
  n->a = std::move(parts[0]);
  if (parts.size() > 1) n->b = std::move(parts[1]);
  if (parts.size() > 2) n->c = std::move(parts[2]);
  return n;
}

Result<NodePtr> Parser::parse_member(NodePtr object) {
  while (is(TokenType::kDot) || is(TokenType::kOpenSquare)) {
    bool computed = is(TokenType::kOpenSquare);
    NodePtr n = make_node(NodeKind::kMember, line());
    ++pos_;
    if (computed) {
      NT_ASSIGN_OR_RETURN(n->b, parse_subscript());
      NT_RETURN_IF_ERROR(expect(TokenType::kCloseSquare, "to close '['"));
    } else {
      NT_ASSIGN_OR_RETURN(n->b, parse_primary());
      if (n->b->kind != NodeKind::kIdentifier && n->b->kind != NodeKind::kInt) {
        return error("expected a name or an integer after '.'");
      }
    }
    n->computed = computed;
    n->a = std::move(object);
    object = std::move(n);
  }
  return object;
}

Result<NodePtr> Parser::parse_primary() {
  if (pos_ >= t_.size()) return error("unexpected end of the template inside an expression");
  const Token& tok = t_[pos_++];
  switch (tok.type) {
    case TokenType::kNumber: {
      bool is_float = tok.value.find('.') != std::string::npos;
      NodePtr n = make_node(is_float ? NodeKind::kFloat : NodeKind::kInt, tok.line);
      n->number = std::strtod(tok.value.c_str(), nullptr);
      return n;
    }
    case TokenType::kString: {
      NodePtr n = make_node(NodeKind::kString, tok.line);
      n->text = tok.value;
      while (is(TokenType::kString)) n->text += t_[pos_++].value;  // adjacent literals concatenate
      return n;
    }
    case TokenType::kIdentifier: {
      NodePtr n = make_node(NodeKind::kIdentifier, tok.line);
      n->name = tok.value;
      return n;
    }
    case TokenType::kOpenParen: {
      NT_ASSIGN_OR_RETURN(NodePtr e, parse_expression_sequence(false));
      NT_RETURN_IF_ERROR(expect(TokenType::kCloseParen, "to close '('"));
      return e;
    }
    case TokenType::kOpenSquare: {
      NodePtr n = make_node(NodeKind::kList, tok.line);
      while (!is(TokenType::kCloseSquare)) {
        if (pos_ >= t_.size()) return error("list literal is never closed with ']'");
        NT_ASSIGN_OR_RETURN(NodePtr item, parse_expression());
        n->args.push_back(std::move(item));
        if (is(TokenType::kComma)) ++pos_;
      }
      ++pos_;
      return n;
    }
    case TokenType::kOpenCurly: {
      NodePtr n = make_node(NodeKind::kDict, tok.line);
      while (!is(TokenType::kCloseCurly)) {
        if (pos_ >= t_.size()) return error("dict literal is never closed with '}'");
        NT_ASSIGN_OR_RETURN(NodePtr key, parse_expression());
        NT_RETURN_IF_ERROR(expect(TokenType::kColon, "between a key and a value in a dict literal"));
        NT_ASSIGN_OR_RETURN(NodePtr value, parse_expression());
        n->args.push_back(std::move(key));
        n->args.push_back(std::move(value));
        if (is(TokenType::kComma)) ++pos_;
      }
      ++pos_;
      return n;
    }
    default:
      --pos_;
      return error(cat("unexpected ", describe_current(), " in an expression"));
  }
}

}  // namespace

Result<NodeList> parse(const std::vector<Token>& tokens) {
  Parser parser(tokens);
  return parser.run();
}

}  // namespace nt::jinja
