// Shared pieces of the CLI: the command table and a small argument parser.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace nt::cli {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
};

const std::vector<Command>& commands();
void print_usage(FILE* out);

// Parsed "--flag value" / "-f value" / "--switch" arguments. Flags are declared up front so that unknown
// ones are rejected with a clear message instead of being ignored.
class Args {
 public:
  // value_flags take a value; switches do not. Names include the dashes ("-m", "--model").
  Args(std::vector<std::string> value_flags, std::vector<std::string> switches)
      : value_flags_(std::move(value_flags)), switches_(std::move(switches)) {}

  Status parse(int argc, char** argv);
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  // First of the given aliases that is present, or `def`.
  std::string get(std::initializer_list<const char*> names, const std::string& def = "") const;
  Result<long long> get_int(std::initializer_list<const char*> names, long long def) const;
  Result<double> get_double(std::initializer_list<const char*> names, double def) const;
  // Every value given for a repeatable flag, in order.
  std::vector<std::string> get_all(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::vector<std::string> value_flags_, switches_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

// Prints "nemotron <cmd>: <message>" to stderr and returns exit code 1.
int fail(const char* cmd, const Status& status);

}  // namespace nt::cli
