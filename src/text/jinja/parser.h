// Tokens -> syntax tree. The grammar and operator precedence follow the reference renderer
// (@huggingface/jinja); constructs outside it fail with an error naming the construct and its line.
#pragma once

#include <vector>

#include "core/status.h"
#include "text/jinja/ast.h"
#include "text/jinja/lexer.h"

namespace nt::jinja {

// Returns the template's top-level statements.
Result<NodeList> parse(const std::vector<Token>& tokens);

}  // namespace nt::jinja
