// Status and Result<T>: how fallible work (I/O, parsing, validation, capacity) reports failure.
// A failed Status carries one human-readable line that says what was expected and what was found.
// Nothing reachable from user input aborts; internal invariants use NT_CHECK (always on).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace nt {

class Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const std::string& message() const { return message_; }

  // Prepends context ("loading model.safetensors: ...") to an error; no-op on success.
  Status with_context(const std::string& context) const {
    if (!failed_) return *this;
    return Status(context + ": " + message_);
  }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

// Either a value or a failed Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).is_ok()) v_ = Status::error("internal: Result built from an ok Status");
  }

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

[[noreturn]] inline void check_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "nemotron: internal invariant failed: %s (%s:%d)\n", expr, file, line);
  std::abort();
}

}  // namespace nt

// Always-on check of an internal invariant (never of user input).
#define NT_CHECK(cond) \
  do { if (!(cond)) ::nt::check_failed(#cond, __FILE__, __LINE__); } while (0)

#define NT_CONCAT_INNER(a, b) a##b
#define NT_CONCAT(a, b) NT_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` (a Status) failed.
#define NT_RETURN_IF_ERROR(expr) \
  do { ::nt::Status nt_status_ = (expr); if (!nt_status_.is_ok()) return nt_status_; } while (0)

// `NT_ASSIGN_OR_RETURN(auto x, make_x());` unwraps a Result<T> or returns its Status.
#define NT_ASSIGN_OR_RETURN(decl, expr) NT_ASSIGN_OR_RETURN_IMPL(NT_CONCAT(nt_result_, __LINE__), decl, expr)
#define NT_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                              \
  if (!tmp.is_ok()) return tmp.status();          \
  decl = std::move(tmp).value()
