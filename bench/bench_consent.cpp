// Consent gating: the cached consent check alone, and get / find / scan for a consent-based
// purpose beside the same calls for a contract purpose on the same store (what gating adds).
// Before/after the access policy as a whole: bench/compare_before.sh.
#include <benchmark/benchmark.h>

#include <amanah/amanah.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "consent/consents.hpp"
#include "db/db.hpp"
#include "facade/access.hpp"

namespace {

namespace fs = std::filesystem;
using amanah::bench::customer;
using amanah::bench::email_as_typed;
using amanah::bench::field_values;
using amanah::bench::Picker;

constexpr std::size_t kCustomers = 10'000;

constexpr const char* kManifestToml = R"toml(
[store]
name = "Benchmark"

[purposes.service]
basis = "contract"
[purposes.marketing]
basis = "consent"

[roles.support]
[roles.marketing]

[fields]
full_name = { type = "text",  category = "identity",  purposes = ["service"] }
email     = { type = "email", category = "contact",   purposes = ["service", "marketing"], lookup = true }
phone     = { type = "phone", category = "contact",   purposes = ["service", "marketing"] }
nik       = { type = "nik",   category = "sensitive", purposes = ["service"] }

[[permit]]
id = "support-serves-customers"
roles = ["support"]
actions = ["read", "update", "create", "manage_consent"]
purposes = ["service"]

[[permit]]
id = "marketing-reads-contact"
roles = ["marketing"]
actions = ["read"]
categories = ["contact"]
purposes = ["marketing"]
)toml";

const amanah::AccessContext kSupport{.actor = "bench", .roles = {"support"}, .purpose = "service"};
const amanah::AccessContext kMarketing{
    .actor = "bench", .roles = {"marketing"}, .purpose = "marketing"};

// One store of kCustomers, every other one consented to marketing; built once per run.
struct ConsentStore {
  fs::path dir;
  std::unique_ptr<amanah::CustomerStore> store;
  std::vector<amanah::CustomerId> ids;

  ConsentStore() {
    dir = fs::temp_directory_path() / ("amanah-bench-consent-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    store = std::make_unique<amanah::CustomerStore>(
        amanah::CustomerStore::create(dir, *amanah::raw_key(amanah::SecretBytes::random(32)),
                                      amanah::Manifest::from_toml(kManifestToml)));
    std::vector<amanah::FieldValues> batch;
    for (std::size_t i = 0; i < kCustomers; ++i) {
      batch.push_back(field_values(customer(i)));
      if (batch.size() == 1000) {
        for (auto& id : store->insert_many(kSupport, batch))
          ids.push_back(id);
        batch.clear();
      }
    }
    const amanah::ConsentEvidence evidence{.source = "bench", .notice_version = "1"};
    for (std::size_t i = 0; i < kCustomers; i += 2)
      (void)store->consents().grant(kSupport, ids[i], "marketing", evidence);
  }
  ~ConsentStore() {
    store.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

ConsentStore& consent_store() {
  static ConsentStore s;
  return s;
}

// The check consent gating makes per subject, once its (row, purpose) is cached.
void BM_ConsentCheck_Cached(benchmark::State& state) {
  auto& s = consent_store();
  auto& svc = amanah::detail::StoreAccess::consents(*s.store);
  auto lease = amanah::detail::StoreAccess::data_readers(*s.store).acquire();
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  constexpr std::int64_t kRows = 2'000;  // rows 1..kRows, warmed into the cache
  std::int64_t live = 0;
  for (std::int64_t row = 1; row <= kRows; ++row)
    live += svc.live(*lease, row, "marketing", now) ? 1 : 0;
  if (live != kRows / 2) throw std::runtime_error("consent check: wrong live count");
  Picker pick(kRows);
  for (auto _ : state)
    benchmark::DoNotOptimize(
        svc.live(*lease, 1 + static_cast<std::int64_t>(pick.next()), "marketing", now));
}

void get(benchmark::State& state, const amanah::AccessContext& ctx) {
  auto& s = consent_store();
  Picker pick(kCustomers / 2);
  for (auto _ : state)  // consented customers only (even indices), so both contexts succeed
    benchmark::DoNotOptimize(s.store->get(ctx, s.ids[2 * pick.next()], {"email"}));
}
void BM_GetEmail_Service(benchmark::State& state) {
  get(state, kSupport);
}
void BM_GetEmail_Marketing(benchmark::State& state) {
  get(state, kMarketing);
}

void find(benchmark::State& state, const amanah::AccessContext& ctx) {
  auto& s = consent_store();
  Picker pick(kCustomers / 2);
  for (auto _ : state)
    benchmark::DoNotOptimize(s.store->find(ctx, "email", email_as_typed(2 * pick.next())));
}
void BM_FindEmail_Service(benchmark::State& state) {
  find(state, kSupport);
}
void BM_FindEmail_Marketing(benchmark::State& state) {
  find(state, kMarketing);
}

void scan(benchmark::State& state, const amanah::AccessContext& ctx, std::size_t expected) {
  auto& s = consent_store();
  for (auto _ : state) {
    std::size_t n = 0;
    for (const amanah::Record& r : s.store->scan(ctx, {"email", "phone"})) {
      benchmark::DoNotOptimize(r.fields.size());
      ++n;
    }
    if (n != expected) throw std::runtime_error("scan: wrong record count");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kCustomers));
}
// Items are the store's customers in both: the marketing scan reads every row and skips the half
// that did not consent.
void BM_ScanContact_Service(benchmark::State& state) {
  scan(state, kSupport, kCustomers);
}
void BM_ScanContact_Marketing(benchmark::State& state) {
  scan(state, kMarketing, kCustomers / 2);
}

}  // namespace

BENCHMARK(BM_ConsentCheck_Cached);
BENCHMARK(BM_GetEmail_Service);
BENCHMARK(BM_GetEmail_Marketing);
BENCHMARK(BM_FindEmail_Service);
BENCHMARK(BM_FindEmail_Marketing);
BENCHMARK(BM_ScanContact_Service)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanContact_Marketing)->Unit(benchmark::kMillisecond);
