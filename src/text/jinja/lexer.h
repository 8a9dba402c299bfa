// Template source -> tokens, following the reference renderer's lexer (@huggingface/jinja), which is configured
// with trim_blocks and lstrip_blocks and strips a single trailing newline. Transformers' `{% generation %}` tags
// are removed up front; `{% raw %}...{% endraw %}` becomes one text token.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace nt::jinja {

enum class TokenType {
  kText,
  kNumber,
  kString,
  kIdentifier,
  kEquals,          // =
  kOpenParen,       // (
  kCloseParen,      // )
  kOpenStatement,   // {%
  kCloseStatement,  // %}
  kOpenExpression,  // {{
  kCloseExpression, // }}
  kOpenSquare,      // [
  kCloseSquare,     // ]
  kOpenCurly,       // {
  kCloseCurly,      // }
  kComma,
  kDot,
  kColon,
  kPipe,
  kAdditive,        // + - ~
  kMultiplicative,  // * / // %
  kPower,           // **
  kComparison,      // < > <= >= == !=
  kUnary,           // a lone + or - before an operand
  kComment,         // {# ... #}
  kRawText,         // the body of {% raw %}...{% endraw %}
};

struct Token {
  TokenType type;
  std::string value;
  int line = 0;  // 1-based line in the original template
};

const char* token_type_name(TokenType type);

Result<std::vector<Token>> tokenize(std::string_view source);

}  // namespace nt::jinja
