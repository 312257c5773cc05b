// The body budget: what fits is taken, a body over the cap goes alone, and a
// waiter that has waited long goes next (no starvation of large bodies).
#include "http/body_budget.h"

#include <gtest/gtest.h>

namespace sextant::http {
namespace {

TEST(BodyBudgetTest, BodiesShareTheCap) {
  BodyBudget b(100);
  EXPECT_TRUE(b.TryAcquire(1, 60, false));
  EXPECT_TRUE(b.TryAcquire(2, 40, false));
  EXPECT_FALSE(b.TryAcquire(3, 1, false));
  b.Release(40);
  EXPECT_TRUE(b.TryAcquire(3, 30, false));
  EXPECT_EQ(b.held(), 90u);
}

TEST(BodyBudgetTest, ABodyOverTheCapGoesAlone) {
  BodyBudget b(100);
  EXPECT_TRUE(b.TryAcquire(1, 10, false));
  EXPECT_FALSE(b.TryAcquire(2, 500, false));
  b.Release(10);
  EXPECT_TRUE(b.TryAcquire(2, 500, false));
  EXPECT_FALSE(b.TryAcquire(3, 1, false));
  b.Release(500);
  EXPECT_EQ(b.held(), 0u);
}

TEST(BodyBudgetTest, AnUrgentWaiterGoesNext) {
  BodyBudget b(100);
  EXPECT_TRUE(b.TryAcquire(1, 50, false));
  // Waiter 2 (80 bytes) has waited long: small bodies that would fit now
  // must wait behind it.
  EXPECT_FALSE(b.TryAcquire(2, 80, true));
  EXPECT_FALSE(b.TryAcquire(3, 10, false));
  EXPECT_FALSE(b.TryAcquire(4, 10, true));  // one head of the line at a time
  b.Release(50);
  EXPECT_TRUE(b.TryAcquire(2, 80, true));
  EXPECT_TRUE(b.TryAcquire(3, 10, false));  // the line is open again
}

TEST(BodyBudgetTest, AnAbandonedHeadOfTheLineFreesIt) {
  BodyBudget b(100);
  EXPECT_TRUE(b.TryAcquire(1, 90, false));
  EXPECT_FALSE(b.TryAcquire(2, 50, true));
  EXPECT_FALSE(b.TryAcquire(3, 5, false));
  b.Abandon(2);
  EXPECT_TRUE(b.TryAcquire(3, 5, false));
}

}  // namespace
}  // namespace sextant::http
