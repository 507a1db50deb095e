// One CustomerStore shared by threads (run under ThreadSanitizer by tools/run.sh test).
#include <amanah/amanah.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

#include "records_fixture.hpp"
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

TEST_CASE("8 threads share one store: mixed insert/get/find/update/scan, no lost write",
          "[concurrency]") {
  TempDir tmp;
  auto key = amanah::raw_key(SecretBytes::random(32));
  auto store = CustomerStore::create(tmp / "s", *key, amanah::test::example_manifest());
  constexpr int kThreads = 8;
  constexpr int kRounds = 40;
  std::atomic<int> errors{0};
  // Each thread owns its customers and knows their last written phone.
  std::vector<std::vector<std::pair<amanah::CustomerId, std::string>>> owned(kThreads);
  std::vector<std::thread> threads;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kRounds && std::chrono::steady_clock::now() < deadline; ++i) {
          const std::string n = std::to_string(t) + "-" + std::to_string(i);
          const std::string phone = "+62812" + std::to_string(1000000 + t * 1000 + i);
          const auto id = store.insert(
              amanah::test::kSupport,
              {{"full_name", "T " + n}, {"email", "t" + n + "@example.com"}, {"phone", phone}});
          owned[t].emplace_back(id, phone);
          auto& [some, some_phone] = owned[t][static_cast<std::size_t>(i) / 2];
          if (store.get(amanah::test::kDpo, some).fields.at("phone") != some_phone) ++errors;
          if (store.find(amanah::test::kSupport, "email", "T" + n + "@EXAMPLE.com") !=
              std::vector{id})
            ++errors;
          const std::string updated = "+62813" + std::to_string(1000000 + t * 1000 + i);
          store.update(amanah::test::kSupport, some, {{"phone", updated}});
          some_phone = updated;
          if (i % 10 == 0) {
            std::size_t seen = 0;
            for (const auto& r : store.scan(amanah::test::kDpo, {"email"}))
              seen += r.fields.size();
            if (seen == 0) ++errors;
          }
        }
      } catch (...) {
        ++errors;
      }
    });
  for (auto& th : threads)
    th.join();
  CHECK(errors == 0);
  std::size_t total = 0;
  for (int t = 0; t < kThreads; ++t) {
    total += owned[t].size();
    for (const auto& [id, phone] : owned[t])
      CHECK(store.get(amanah::test::kDpo, id, {"phone"}).fields.at("phone") == phone);
  }
  CHECK(total > 0);
  CHECK(store.size() == total);
}

using amanah::test::customer;

TEST_CASE("8 threads read while the store is rekeyed and its KEK rotated and unlock methods change",
          "[concurrency]") {
  TempDir tmp;
  auto key = amanah::raw_key(SecretBytes::random(32));
  auto store = CustomerStore::create(tmp / "s", *key, amanah::test::example_manifest());
  constexpr int kCustomers = 300;
  std::vector<amanah::FieldValues> batch;
  for (int i = 0; i < kCustomers; ++i)
    batch.push_back(customer(i));
  const auto ids = store.insert_many(amanah::test::kSupport, batch);

  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, reads{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      int i = t;
      while (!stop) {
        try {
          const int c = i % kCustomers;
          const auto r = store.get(amanah::test::kDpo, ids[static_cast<std::size_t>(c)]);
          if (r.fields.at("nik") != "3171" + std::to_string(234567890000 + c)) ++errors;
          if (store.find(amanah::test::kSupport, "email",
                         "R" + std::to_string(c) + "@example.com") !=
              std::vector{ids[static_cast<std::size_t>(c)]})
            ++errors;
          if (t == 0 && i % 50 == 0) {
            std::size_t n = 0;
            for (const auto& rec : store.scan(amanah::test::kDpo, {"nik"}))
              n += rec.fields.size();
            if (n < kCustomers) ++errors;  // the writer adds a few
          }
          ++reads;
        } catch (...) {
          ++errors;
        }
        i += 8;
      }
    });
  // The writer: rekeys, rotates the KEK, changes unlock methods and inserts while the readers run.
  int rekeys = 0;
  for (int round = 0; round < 3 && errors == 0; ++round) {
    store.rekey();
    ++rekeys;
    store.rotate_kek();
    const auto slot = store.add_unlock_method(*amanah::raw_key(SecretBytes::random(32)), "t");
    store.remove_unlock_method(slot);
    (void)store.insert(amanah::test::kSupport, customer(kCustomers + round));
  }
  // Let the readers overlap the last change before stopping them.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const int seen = reads;
  while (reads < seen + 100 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (auto& th : threads)
    th.join();
  CHECK(errors == 0);
  CHECK(rekeys == 3);
  CHECK(reads > 0);
  CHECK(store.key_generation() == 4);
  CHECK(store.kek_epoch() == 4);
  CHECK(store.size() == kCustomers + 3);
  store.close();
  auto again = CustomerStore::open(tmp / "s", *key);
  CHECK((again.get(amanah::test::kDpo, ids[7]).fields.at("nik") ==
         "3171" + std::to_string(234567890007)));  // a failure prints no NIK
}

TEST_CASE("consent grants and withdrawals race marketing reads on 8 threads", "[concurrency]") {
  using amanah::test::kMarketing;
  using amanah::test::kSupport;
  TempDir tmp;
  auto store =
      CustomerStore::create(tmp / "s", *amanah::test::app_key(), amanah::test::example_manifest());
  constexpr int kCustomers = 40;
  std::vector<amanah::FieldValues> batch;
  for (int i = 0; i < kCustomers; ++i)
    batch.push_back(amanah::test::customer(i));
  const auto ids = store.insert_many(kSupport, batch);
  const amanah::ConsentEvidence evidence{.source = "signup-form", .notice_version = "2026-01"};
  // Even customers hold consent throughout; odd ones are granted and withdrawn over and over.
  for (int i = 0; i < kCustomers; i += 2)
    store.consents().grant(kSupport, ids[static_cast<std::size_t>(i)], "marketing", evidence);

  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, scans{0}, changes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 5; ++t)
    threads.emplace_back([&, t] {
      while (!stop) {
        try {
          std::size_t even = 0;
          for (const auto& r : store.scan(kMarketing)) {
            if (r.fields.size() != 1 || !r.fields.contains("email")) ++errors;
            const auto pos = std::find(ids.begin(), ids.end(), r.id) - ids.begin();
            if (pos % 2 == 0) ++even;
          }
          if (even != kCustomers / 2) ++errors;  // the steady ones are always reached
          const auto& id = ids[static_cast<std::size_t>((t * 7) % kCustomers)];
          try {
            (void)store.get(kMarketing, id);
          } catch (const amanah::Error& e) {
            // Only an odd customer, between a withdrawal and the next grant.
            if (e.code() != amanah::ErrorCode::ConsentRequired || (t * 7) % 2 == 0) ++errors;
          }
          ++scans;
        } catch (...) {
          ++errors;
        }
      }
    });
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 15 && errors == 0; ++round)
        for (int i = 1 + 2 * t; i < kCustomers; i += 6) {
          const auto& id = ids[static_cast<std::size_t>(i)];
          store.consents().grant(kSupport, id, "marketing", evidence);
          store.consents().withdraw(kSupport, id, "marketing", "unsubscribe-link");
          changes += 2;
        }
    });
  for (std::size_t t = 5; t < threads.size(); ++t)
    threads[t].join();
  stop = true;
  for (std::size_t t = 0; t < 5; ++t)
    threads[t].join();
  CHECK(errors == 0);
  CHECK(scans > 0);
  // Every odd customer ended withdrawn: the next scan reaches exactly the even ones.
  std::size_t reached = 0;
  for (const auto& r : store.scan(kMarketing)) {
    (void)r;
    ++reached;
  }
  CHECK(reached == kCustomers / 2);
}

TEST_CASE("8 threads write and read one store: every call is in the log, which verifies",
          "[audit][concurrency]") {
  using amanah::test::kDpo;
  using amanah::test::kSupport;
  TempDir tmp;
  const auto dir = tmp / "s";
  std::vector<amanah::CustomerId> ids;
  std::uint64_t entries = 0;  // entries the calls made, counted as they return
  {
    auto store =
        CustomerStore::create(dir, *amanah::test::app_key(), amanah::test::example_manifest());
    std::vector<amanah::FieldValues> batch;
    for (int i = 0; i < 20; ++i)
      batch.push_back(customer(i));
    ids = store.insert_many(kSupport, batch);
    entries = store.audit().size();  // the store's own entries and the batch's
    REQUIRE(entries >= ids.size());

    constexpr int kWriters = 4, kReaders = 4, kWrites = 30, kReads = 60;
    std::atomic<int> errors{0};
    std::atomic<std::uint64_t> logged{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kWriters; ++t)
      threads.emplace_back([&, t] {
        try {
          std::vector<amanah::CustomerId> mine;
          for (int i = 0; i < kWrites; ++i) {
            if (i % 2 == 0) {
              mine.push_back(store.insert(kSupport, customer(1000 + t * 100 + i)));
            } else {
              store.update(kSupport, mine.back(),
                           {{"phone", "+62813" + std::to_string(3000000 + t * 100 + i)}});
            }
            ++logged;  // one entry each
          }
        } catch (...) {
          ++errors;
        }
      });
    for (int t = 0; t < kReaders; ++t)
      threads.emplace_back([&, t] {
        try {
          for (int i = 0; i < kReads; ++i) {
            const int c = (t * 7 + i) % 20;
            if (i % 20 == 19) {
              std::uint64_t n = 1;  // the scan's own entry, then one per record
              for (const auto& r : store.scan(kDpo, {"email"})) {
                (void)r;
                ++n;
              }
              logged += n;
            } else if (i % 2 == 0) {
              (void)store.get(kDpo, ids[static_cast<std::size_t>(c)]);
              ++logged;
            } else {
              const auto found =
                  store.find(kSupport, "email", "r" + std::to_string(c) + "@example.com");
              if (found.size() != 1) ++errors;
              logged += found.size();  // one entry per customer found
            }
          }
        } catch (...) {
          ++errors;
        }
      });
    for (auto& th : threads)
      th.join();
    REQUIRE(errors == 0);
    entries += logged;
    const amanah::AuditReport r = store.audit().verify();
    CHECK(r.ok());
    CHECK(r.entries == store.audit().size());
    CHECK(store.audit().size() <= entries);  // reads may still be queued
  }
  // Closing wrote the queued reads: every call is in the log, numbered without a gap.
  auto store = CustomerStore::open(dir, *amanah::test::app_key());
  const amanah::AuditReport r = store.audit().verify();
  CHECK(r.ok());
  CHECK(r.entries == store.audit().size());
  CHECK(store.audit().size() >= entries);
  CHECK(store.audit().size() == entries);
}

TEST_CASE("erasures race reads, finds and scans on 6 threads; the chain verifies",
          "[concurrency][erasure]") {
  using namespace amanah;
  TempDir tmp;
  auto key = raw_key(SecretBytes::random(32));
  auto store = CustomerStore::create(
      tmp / "s", *key,
      Manifest::from_toml(std::string(test::kManifestToml) + test::kPermitAllToml));
  constexpr int kCustomers = 120;
  std::vector<CustomerId> ids;
  for (int i = 0; i < kCustomers; ++i)
    ids.push_back(store.insert(test::kSupport, test::customer(i)));

  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, gone{0}, errors{0};
  std::mutex codes_mu;
  std::string codes;
  std::vector<std::thread> readers;
  for (int t = 0; t < 6; ++t)
    readers.emplace_back([&, t] {
      std::size_t i = static_cast<std::size_t>(t);
      while (!stop) {
        i = (i + 7) % ids.size();
        try {
          switch (i % 3) {
            case 0: {
              const Record r = store.get(test::kDpo, ids[i]);
              if (r.fields.empty()) ++errors;
              break;
            }
            case 1:
              (void)store.find(test::kDpo, "email", "r" + std::to_string(i) + "@example.com");
              break;
            default:
              for (const auto& r : store.scan(test::kDpo, {"email", "nik"}))
                if (r.fields.size() != 2) ++errors;
          }
          ++reads;
        } catch (const Error& e) {
          if (e.code() == ErrorCode::NotFound) {
            ++gone;
          } else {
            ++errors;
            std::lock_guard l(codes_mu);
            codes += std::string(to_string(e.code())) + " ";  // the code only: never a message
          }
        }
      }
    });
  // Erase every other customer while they read.
  for (int i = 0; i < kCustomers; i += 2) {
    const ErasureReceipt r = store.erase(test::kDpo, ids[static_cast<std::size_t>(i)]);
    CHECK(r.key_destroyed);
  }
  stop = true;
  for (auto& th : readers)
    th.join();
  INFO("error codes: " << codes);
  CHECK(errors == 0);
  CHECK(reads > 0);
  CHECK(store.size() == kCustomers / 2);
  for (int i = 1; i < kCustomers; i += 2)
    CHECK(store.get(test::kDpo, ids[static_cast<std::size_t>(i)]).fields.size() == 4);
  CHECK(store.retention().tombstones().size() == kCustomers / 2);
  CHECK(store.audit().verify().ok());
}
