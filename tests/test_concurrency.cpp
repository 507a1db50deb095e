// One CustomerStore shared by threads (run under ThreadSanitizer by tools/run.sh test).
#include <amanah/amanah.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "support.hpp"

using amanah::CustomerStore;
using amanah::SecretBytes;
using amanah::test::TempDir;

TEST_CASE("threads share one store: reads and unlock-method changes interleave safely",
          "[concurrency]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  auto key = amanah::raw_key(SecretBytes::random(32));
  auto store = CustomerStore::create(dir, *key);
  const std::string id = store.store_id();

  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, errors{0}, added{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      while (!stop) {
        try {
          if (store.store_id() != id || store.key_generation() < 1 ||
              store.unlock_methods().empty())
            ++errors;
          ++reads;
        } catch (...) {
          ++errors;
        }
      }
    });
  // Writers: add and remove unlock methods; rekey once.
  threads.emplace_back([&] {
    for (int i = 0; i < 20 && errors == 0; ++i) {
      const std::string slot =
          store.add_unlock_method(*amanah::raw_key(SecretBytes::random(32)), "temp");
      ++added;
      store.remove_unlock_method(slot);
    }
  });
  threads.emplace_back([&] { store.rekey(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (added < 20 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (auto& th : threads)
    th.join();

  CHECK(errors == 0);
  CHECK(added == 20);
  CHECK(reads > 0);
  CHECK(store.unlock_methods().size() == 1);
  CHECK(store.key_generation() == 2);
  store.close();
  auto again = CustomerStore::open(dir, *key);
  CHECK(again.unlock_methods().size() == 1);
}
