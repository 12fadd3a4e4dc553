// The run queue's order: most urgent level first, FIFO within a level,
// push_front for a thread given back its place; across the bitmap's words.
#include "core/runq.h"

#include <vector>

#include "kt_test.h"

namespace kt::test {
namespace {

struct Queued {
  explicit Queued(const std::vector<int>& pris) : t(pris.size()) {
    for (size_t i = 0; i < pris.size(); i++) t[i].pri_ = uint8_t(pris[i]);
  }
  std::vector<KThread> t;
};

// pop_all() empties q, returning the indices (into ts) in pop order.
std::vector<size_t> pop_all(RunQueue& q, Queued& ts) {
  std::vector<size_t> order;
  while (KThread* t = q.pop()) order.push_back(size_t(t - ts.t.data()));
  return order;
}

TEST(RunQueue, MostUrgentFirstAcrossEveryWordOfTheBitmap) {
  // Levels at both ends of each of the four 64-level words.
  Queued ts({255, 64, 63, 0, 192, 128, 191, 127, 1});
  RunQueue q;
  EXPECT_EQ(q.best(), RunQueue::kLevels);
  for (auto& t : ts.t) q.push_back(&t);
  EXPECT_EQ(q.size(), 9u);
  EXPECT_EQ(q.best(), 0);
  EXPECT_EQ(pop_all(q, ts), (std::vector<size_t>{3, 8, 2, 1, 7, 5, 6, 4, 0}));
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.best(), RunQueue::kLevels);
  EXPECT_EQ(q.pop(), nullptr);
}

TEST(RunQueue, FifoWithinALevelAndPushFrontGoesFirst) {
  Queued ts({96, 96, 96, 96});
  RunQueue q;
  q.push_back(&ts.t[0]);
  q.push_back(&ts.t[1]);
  q.push_back(&ts.t[2]);
  q.push_front(&ts.t[3]);
  EXPECT_EQ(pop_all(q, ts), (std::vector<size_t>{3, 0, 1, 2}));
}

TEST(RunQueue, RemovingTheLastOfALevelUncoversTheNext) {
  Queued ts({70, 70, 200});
  RunQueue q;
  for (auto& t : ts.t) q.push_back(&t);
  q.remove(&ts.t[0]);
  EXPECT_EQ(q.best(), 70);
  q.remove(&ts.t[1]);
  EXPECT_EQ(q.best(), 200);  // word 1 empty again, word 3 next
  q.remove(&ts.t[2]);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.best(), RunQueue::kLevels);
  // And the bitmap is clean: a level pushed again is the only one seen.
  q.push_back(&ts.t[1]);
  EXPECT_EQ(q.best(), 70);
  EXPECT_EQ(q.pop(), &ts.t[1]);
}

}  // namespace
}  // namespace kt::test
