// The `amanah import` path (tools/amanah/import.cpp: CSV parsing, a validate pass with one
// ValidationScope for clashes between batches, then insert_many per batch) against insert_many
// alone on the same 100,000 customers in the same batches. Issue 12 asks import to run at least
// half as fast. Each iteration builds a fresh store (raw key) in /tmp/amanah-bench-import-XXXXXX.
#include <benchmark/benchmark.h>

#include <amanah/key_provider.hpp>
#include <amanah/manifest.hpp>
#include <amanah/store.hpp>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "bench_support.hpp"
#include "import.hpp"

namespace {

namespace fs = std::filesystem;
using namespace amanah::bench;  // NOLINT: the shared helpers

constexpr std::size_t kRows = 100'000;
constexpr std::size_t kBatch = 5'000;  // the tool's default --batch

// The records benchmarks' manifest with email unique, so the import pays for its check across
// batches.
std::string manifest_toml() {
  std::string toml = kRecordsManifestToml;
  const std::string from = "lookup = true }", to = "lookup = true, unique = true }";
  toml.replace(toml.find(from), from.size(), to);
  return toml;
}

struct Data {
  fs::path dir = temp_dir("import");
  fs::path csv = dir / "customers.csv";
  amanah::Manifest manifest = amanah::Manifest::from_toml(manifest_toml());
  Data() {
    std::ofstream out(csv);
    out << "full_name,email,phone,nik\n";
    for (std::size_t i = 0; i < kRows; ++i) {
      const Customer c = customer(i);
      out << c.full_name << ',' << c.email << ',' << c.phone << ',' << c.nik << '\n';
    }
  }
  ~Data() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Data& data() {
  static Data d;
  return d;
}

amanah::CustomerStore fresh_store(const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  const auto key = amanah::raw_key(amanah::SecretBytes::random(32));
  return amanah::CustomerStore::create(dir, *key, data().manifest);
}

void BM_Import_Csv(benchmark::State& state) {
  start_sqlcipher();
  Data& d = data();
  for (auto _ : state) {
    state.PauseTiming();
    auto store = fresh_store(d.dir / "store");
    state.ResumeTiming();
    amanah::cli::ImportOptions opt;
    opt.batch = kBatch;
    const auto r = amanah::cli::import_csv(store, kCtx, d.csv, opt, {});
    if (r.imported != kRows) state.SkipWithError("not every row was imported");
    state.PauseTiming();
    store.close();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRows));
}

void BM_Import_InsertMany(benchmark::State& state) {
  start_sqlcipher();
  Data& d = data();
  for (auto _ : state) {
    state.PauseTiming();
    auto store = fresh_store(d.dir / "store");
    state.ResumeTiming();
    std::vector<amanah::FieldValues> batch;
    for (std::size_t i = 0; i < kRows; ++i) {
      batch.push_back(field_values(customer(i)));
      if (batch.size() == kBatch || i + 1 == kRows) {
        (void)store.insert_many(kCtx, batch);
        batch.clear();
      }
    }
    state.PauseTiming();
    store.close();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRows));
}

void shape(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime()->Repetitions(3);
  b->ReportAggregatesOnly(true);
}

}  // namespace

BENCHMARK(BM_Import_InsertMany)->Apply(shape);
BENCHMARK(BM_Import_Csv)->Apply(shape);
