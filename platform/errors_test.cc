#include "platform/errors.h"

#include <errno.h>

#include "gtest/gtest.h"
#include "platform/status_macros.h"
#include "platform/status_matchers.h"

namespace platform {
namespace {

using ::platform::testing::IsOk;
using ::platform::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ErrorsTest, ErrnoErrorMapsCodeAndNamesTheCall) {
  EXPECT_THAT(ErrnoError(ENOENT, "open /x"),
              StatusIs(absl::StatusCode::kNotFound, "open /x: No such file or directory"));
  EXPECT_THAT(ErrnoError(EEXIST, "mkdir"), StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("mkdir")));
}

TEST(ErrorsTest, AnnotatePrefixesContextAndKeepsOk) {
  EXPECT_THAT(Annotate(absl::OkStatus(), "ctx"), IsOk());
  EXPECT_THAT(Annotate(absl::InvalidArgumentError("bad"), "loading abc"),
              StatusIs(absl::StatusCode::kInvalidArgument, "loading abc: bad"));
}

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int half, Half(x));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(ErrorsTest, AssignOrReturnPropagates) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), StatusIs(absl::StatusCode::kInvalidArgument, "odd"));
}

}  // namespace
}  // namespace platform
