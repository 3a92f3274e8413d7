#ifndef JKOFLOW_TESTS_INTEGRATION_STATUS_ASSERT_H_
#define JKOFLOW_TESTS_INTEGRATION_STATUS_ASSERT_H_

// GoogleTest assertions on absl::Status / absl::StatusOr (Abseil 20220623
// ships no status matchers).

#include <gtest/gtest.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jkoflow {
namespace integration {

inline const absl::Status& StatusOf(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace integration
}  // namespace jkoflow

#define JKOFLOW_IT_CONCAT_INNER_(a, b) a##b
#define JKOFLOW_IT_CONCAT_(a, b) JKOFLOW_IT_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr)                                                    \
  do {                                                                     \
    const auto& jkoflow_it_result_ = (expr);                               \
    ASSERT_TRUE(::jkoflow::integration::StatusOf(jkoflow_it_result_).ok()) \
        << #expr << ": "                                                   \
        << ::jkoflow::integration::StatusOf(jkoflow_it_result_);           \
  } while (0)

#define EXPECT_OK(expr)                                                    \
  do {                                                                     \
    const auto& jkoflow_it_result_ = (expr);                               \
    EXPECT_TRUE(::jkoflow::integration::StatusOf(jkoflow_it_result_).ok()) \
        << #expr << ": "                                                   \
        << ::jkoflow::integration::StatusOf(jkoflow_it_result_);           \
  } while (0)

// ASSERT_OK_AND_ASSIGN(lhs, expr) evaluates a StatusOr, asserts it is OK and
// moves its value into `lhs` (a declaration or an lvalue).
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                      \
  JKOFLOW_IT_ASSIGN_IMPL_(JKOFLOW_IT_CONCAT_(jkoflow_it_or_, __LINE__), lhs, \
                          expr)
#define JKOFLOW_IT_ASSIGN_IMPL_(tmp, lhs, expr)           \
  auto tmp = (expr);                                      \
  ASSERT_TRUE(tmp.ok()) << #expr << ": " << tmp.status(); \
  lhs = std::move(*tmp)

#endif  // JKOFLOW_TESTS_INTEGRATION_STATUS_ASSERT_H_
