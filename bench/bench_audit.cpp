// What the tamper-evident audit log costs (audit.hpp): verifying a long log, reads with their
// entries against the same reads with read logging off (in the same run, interleaved), an insert
// with its entry, and appending entries on their own. Results: bench/README.md, "The audit log".
//
// - BM_audit_verify / BM_audit_verify_checkpoints: store.audit().verify() over a log of
//   kVerifyEntries entries (a few hundred customers, then reads in a loop: read entries are
//   written in batch rows by the log's writer thread), and verify(checkpoints) with the checkpoints
//   a FileCheckpointSink received (a signing key, one checkpoint every 10,000 entries). Counter:
//   entries/s.
// - BM_get_logged / BM_get_unlogged, BM_find_logged / BM_find_unlogged: one store of kCustomers
//   (the records benchmarks' customers and manifest), the same random sequence of customers for
//   both; "unlogged" is StoreAccess::audit_log(store).set_log_reads(false). Registered as kRounds
//   rounds of adjacent pairs (the order alternating), so both see the same machine state; the
//   summary gives the median of the rounds' ratios logged / unlogged, and of process CPU time
//   (the writer thread's included).
// - BM_insert_audited: one insert per transaction (the normal insert: its entry is appended in
//   the insert's transaction). Counter: entries appended per insert.
// - BM_audit_append_read / BM_audit_append_write: the logging path alone (audit::Log),
//   Log::kReadBatch entries per iteration: reads queued and written as one batch (committed without
//   a sync of its own), or writes recorded in one transaction (committed with a sync).
//
// bench_open.cpp owns main(); the stores of this file live in a fresh
// /tmp/amanah-bench-audit-XXXXXX, built lazily (a filtered-out benchmark costs nothing) and
// removed when the program exits.
#include <benchmark/benchmark.h>

#include <amanah/amanah.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <sqlcipher/sqlite3.h>

#include "audit/log.hpp"
#include "bench_summary.hpp"
#include "bench_support.hpp"
#include "db/db.hpp"
#include "facade/access.hpp"

namespace {

namespace fs = std::filesystem;
using amanah::bench::customer;
using amanah::bench::email_as_typed;
using amanah::bench::field_values;
using amanah::bench::kCtx;
using amanah::bench::kRecordsManifestToml;
using amanah::bench::Picker;
using amanah::detail::StoreAccess;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kCustomers = 100'000;          // the store get and find run on
constexpr std::size_t kBatch = 1'000;                // customers per insert_many while loading
constexpr std::uint64_t kVerifyEntries = 1'000'000;  // entries in the verified log (at least)
constexpr std::size_t kVerifyCustomers = 512;        // customers read to fill it
constexpr std::size_t kAppendBatch = amanah::detail::audit::Log::kReadBatch;  // 512
constexpr int kRounds = 9;  // logged / unlogged pairs
constexpr int kRepetitions = 3;
constexpr double kLookupMinTime = 0.5;                     // seconds per round
constexpr benchmark::IterationCount kSingleInserts = 300;  // per repetition
constexpr benchmark::IterationCount kAppendBatches = 40;   // batches of kAppendBatch per rep.

std::vector<amanah::CustomerId> load(amanah::CustomerStore& store, std::size_t first,
                                     std::size_t n) {
  std::vector<amanah::CustomerId> ids;
  ids.reserve(n);
  std::vector<amanah::FieldValues> batch;
  for (std::size_t i = first; i < first + n; ++i) {
    batch.push_back(field_values(customer(i)));
    if (batch.size() == kBatch || i + 1 == first + n) {
      for (auto& id : store.insert_many(kCtx, batch))
        ids.push_back(std::move(id));
      batch.clear();
    }
  }
  return ids;
}

// Writes what is queued, so that no store is left with entries to write when the program exits
// and no round leaves entries for the next.
void drain(amanah::CustomerStore& store) {
  StoreAccess::audit_log(store).flush();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class Fixtures {
 public:
  // Starts SQLCipher and OpenSSL first (as bench_records.cpp does): their exit handlers then run
  // after this object's destructor, once the stores it closes no longer need them.
  Fixtures() {
    amanah::bench::start_sqlcipher();

    root_ = amanah::bench::temp_dir("audit");
    manifest_.emplace(amanah::Manifest::from_toml(kRecordsManifestToml, "bench_audit.toml"));
    warm_up();
  }
  Fixtures(const Fixtures&) = delete;
  Fixtures& operator=(const Fixtures&) = delete;
  ~Fixtures() {
    lookup_.reset();
    verify_.reset();
    insert_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Everything a store does once in a throwaway store: the library's function-local statics
  // (OpenSSL digests, HMAC, Ed25519) are then built before this object, and destroyed after it.
  // Without this, a store this object closes at exit would hash with a freed digest.
  void warm_up() {
    const fs::path dir = root_ / "warm-up.amanah";
    auto key = amanah::raw_key(amanah::SecretBytes::random(32));
    auto signing = amanah::generate_audit_key();
    amanah::CreateOptions options;
    options.audit.signing_key = &signing;
    options.audit.sink = std::make_shared<amanah::FileCheckpointSink>(root_ / "warm-up.txt");
    options.audit.checkpoint_every = 1;
    {
      auto store = amanah::CustomerStore::create(dir, *key, *manifest_, options);
      const auto id = store.insert(kCtx, field_values(customer(0)));
      (void)store.get(kCtx, id);
      (void)store.find(kCtx, "email", email_as_typed(0));
      if (!store.audit().verify(amanah::FileCheckpointSink::read(root_ / "warm-up.txt")).ok())
        throw std::runtime_error("warm-up: the log does not verify");
    }
    fs::remove_all(dir);
    fs::remove(root_ / "warm-up.txt");
  }

  // kCustomers customers, loaded with insert_many, closed and opened again, then every customer
  // read once with read logging off (so every key is in the key cache and both variants start
  // warm). Read logging is left as the benchmark sets it.
  struct Lookup {
    std::unique_ptr<amanah::KeyProvider> key;
    std::unique_ptr<amanah::CustomerStore> store;
    std::vector<amanah::CustomerId> ids;
    std::vector<std::string> typed;  // customer i's email as find() is given it
  };
  Lookup& lookup() {
    if (lookup_) return *lookup_;
    const auto start = Clock::now();
    auto l = std::make_unique<Lookup>();
    const fs::path dir = root_ / "lookup.amanah";
    l->key = amanah::raw_key(amanah::SecretBytes::random(32));
    l->store = std::make_unique<amanah::CustomerStore>(
        amanah::CustomerStore::create(dir, *l->key, *manifest_));
    l->ids = load(*l->store, 0, kCustomers);
    l->store->close();
    *l->store = amanah::CustomerStore::open(dir, *l->key);
    StoreAccess::audit_log(*l->store).set_log_reads(false);
    for (const auto& id : l->ids)
      benchmark::DoNotOptimize(l->store->get(kCtx, id));
    for (std::size_t i = 0; i < kCustomers; ++i)
      l->typed.push_back(email_as_typed(i));
    const auto found = l->store->find(kCtx, "email", l->typed[42]);
    if (found.size() != 1 || found[0] != l->ids[42])
      throw std::runtime_error("find: the typed email does not find its customer");
    std::fprintf(stderr, "bench_audit: %zu-customer store built and warmed in %.1f s\n", kCustomers,
                 seconds_since(start));
    lookup_ = std::move(l);
    return *lookup_;
  }

  // A log of at least kVerifyEntries entries: kVerifyCustomers inserted, then read (one field,
  // so nothing is unsealed) until the log holds enough. Opened with a signing key and a
  // FileCheckpointSink outside the store directory (a checkpoint every 10,000 entries).
  struct Verify {
    std::unique_ptr<amanah::KeyProvider> key;
    std::optional<amanah::AuditSigningKey> signing;
    fs::path checkpoints_file;
    std::unique_ptr<amanah::CustomerStore> store;
    std::vector<amanah::Checkpoint> checkpoints;
    double build_seconds = 0;
  };
  Verify& verify() {
    if (verify_) return *verify_;
    const auto start = Clock::now();
    auto v = std::make_unique<Verify>();
    v->key = amanah::raw_key(amanah::SecretBytes::random(32));
    v->signing.emplace(amanah::generate_audit_key());
    v->checkpoints_file = root_ / "checkpoints.txt";
    amanah::CreateOptions options;
    options.audit.signing_key = &*v->signing;
    options.audit.sink = std::make_shared<amanah::FileCheckpointSink>(v->checkpoints_file);
    v->store = std::make_unique<amanah::CustomerStore>(
        amanah::CustomerStore::create(root_ / "verify.amanah", *v->key, *manifest_, options));
    const auto ids = load(*v->store, 0, kVerifyCustomers);
    const std::vector<std::string> name{"full_name"};
    auto& audit = v->store->audit();
    std::size_t i = 0;
    while (audit.size() < kVerifyEntries) {
      for (int k = 0; k < 1024; ++k, ++i)
        benchmark::DoNotOptimize(v->store->get(kCtx, ids[i % ids.size()], name));
    }
    drain(*v->store);
    v->checkpoints = amanah::FileCheckpointSink::read(v->checkpoints_file);
    v->build_seconds = seconds_since(start);
    std::fprintf(
        stderr, "bench_audit: audit log of %llu entries (%zu checkpoints) built in %.1f s\n",
        static_cast<unsigned long long>(audit.size()), v->checkpoints.size(), v->build_seconds);
    verify_ = std::move(v);
    return *verify_;
  }

  // A fresh store for single inserts and the append benchmarks.
  amanah::CustomerStore& insert_store() {
    if (insert_) return *insert_;
    insert_key_ = amanah::raw_key(amanah::SecretBytes::random(32));
    insert_ = std::make_unique<amanah::CustomerStore>(
        amanah::CustomerStore::create(root_ / "insert.amanah", *insert_key_, *manifest_));
    return *insert_;
  }
  std::vector<amanah::FieldValues> next_customers(std::size_t n) {
    std::vector<amanah::FieldValues> out;
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(field_values(customer(next_insert_++)));
    return out;
  }

 private:
  fs::path root_;
  std::optional<amanah::Manifest> manifest_;
  std::unique_ptr<Lookup> lookup_;
  std::unique_ptr<Verify> verify_;
  std::unique_ptr<amanah::KeyProvider> insert_key_;
  std::unique_ptr<amanah::CustomerStore> insert_;
  std::uint64_t next_insert_ = 0;
};

Fixtures& fixtures() {
  static Fixtures f;  // destroyed (stores closed, directory removed) when the program exits
  return f;
}

// ---------------------------------------------------------------------------------------------
// 1. verify(): the whole chain recomputed (two SHA-256 a entry, the payload hash cached per
//    distinct payload), and the log held against the signed checkpoints.

void report_verify(benchmark::State& state, const amanah::AuditReport& report,
                   const Fixtures::Verify& v) {
  if (!report.ok()) throw std::runtime_error("verify: " + report.explain());
  state.counters["entries"] = benchmark::Counter(
      static_cast<double>(report.entries) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.counters["log_entries"] = static_cast<double>(report.entries);
  state.counters["checkpoints"] = static_cast<double>(report.checkpoints);
  state.counters["build_s"] = v.build_seconds;
}

void BM_audit_verify(benchmark::State& state) {
  auto& v = fixtures().verify();
  amanah::AuditReport report;
  for (auto _ : state)
    report = v.store->audit().verify();
  report_verify(state, report, v);
}

void BM_audit_verify_checkpoints(benchmark::State& state) {
  auto& v = fixtures().verify();
  amanah::AuditReport report;
  for (auto _ : state)
    report = v.store->audit().verify(v.checkpoints);
  if (report.checkpoints == 0) throw std::runtime_error("verify: no checkpoint was checked");
  report_verify(state, report, v);
}

// ---------------------------------------------------------------------------------------------
// 2. get and find with their entries, and the same calls with read logging off.

// Runs `call(store, i)` for a random customer i per iteration, with reads logged or not.
template <class Call>
void lookups(benchmark::State& state, bool logged, Call call) {
  auto& l = fixtures().lookup();
  StoreAccess::audit_log(*l.store).set_log_reads(logged);
  Picker pick(l.ids.size());
  for (auto _ : state)
    benchmark::DoNotOptimize(call(l, pick.next()));
  drain(*l.store);
  StoreAccess::audit_log(*l.store).set_log_reads(false);
}

void get(benchmark::State& state, bool logged) {
  lookups(state, logged, [](auto& l, std::size_t i) { return l.store->get(kCtx, l.ids[i]); });
}
void BM_get_logged(benchmark::State& state) {
  get(state, true);
}
void BM_get_unlogged(benchmark::State& state) {
  get(state, false);
}

void find(benchmark::State& state, bool logged) {
  lookups(state, logged,
          [](auto& l, std::size_t i) { return l.store->find(kCtx, "email", l.typed[i]); });
}
void BM_find_logged(benchmark::State& state) {
  find(state, true);
}
void BM_find_unlogged(benchmark::State& state) {
  find(state, false);
}

// ---------------------------------------------------------------------------------------------
// 3. Insert, one per transaction, with its entry; and the logging path alone.

void BM_insert_audited(benchmark::State& state) {
  auto& f = fixtures();
  auto& store = f.insert_store();
  const auto records = f.next_customers(static_cast<std::size_t>(state.max_iterations));
  const std::uint64_t before = store.audit().size();
  std::size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(store.insert(kCtx, records[i++]));
  state.counters["entries_per_insert"] =
      static_cast<double>(store.audit().size() - before) / static_cast<double>(state.iterations());
}

// Existing customers of the insert store, to name in the entries.
const std::vector<amanah::CustomerId>& append_subjects() {
  static const std::vector<amanah::CustomerId> ids = [] {
    auto& f = fixtures();
    auto& store = f.insert_store();
    std::vector<amanah::CustomerId> out;
    for (auto& values : f.next_customers(kAppendBatch))
      out.push_back(store.insert(kCtx, values));
    return out;
  }();
  return ids;
}

// kAppendBatch reads recorded as get() records them (all four fields): the entries are built
// (pseudonym, names) and queued, and written as one batch (chain, names, rows, a commit without a
// sync of its own) by the log's writer thread or by the flush() that ends each iteration.
void BM_audit_append_read(benchmark::State& state) {
  const auto& ids = append_subjects();
  auto& store = fixtures().insert_store();
  auto& log = StoreAccess::audit_log(store);
  log.set_log_reads(true);
  const std::string fields = "email,full_name,nik,phone";
  const std::string rules = "support-serves-customers";
  log.flush();
  const std::uint64_t before = log.size();
  for (auto _ : state) {
    for (std::size_t i = 0; i < kAppendBatch; ++i)
      log.record_read(kCtx, ids[i].str(), fields, rules);
    log.flush();
  }
  const std::uint64_t written = log.size() - before;
  if (written != static_cast<std::uint64_t>(state.iterations()) * kAppendBatch)
    throw std::runtime_error("append: the batches were not written as expected");
  state.SetItemsProcessed(static_cast<std::int64_t>(written));
}

// kAppendBatch write entries ("update" of one field) in one transaction of their own, committed
// with a sync: what each audited write adds to its transaction, with the commit shared.
void BM_audit_append_write(benchmark::State& state) {
  const auto& ids = append_subjects();
  auto& store = fixtures().insert_store();
  auto& log = StoreAccess::audit_log(store);
  auto& conn = StoreAccess::data_db(store);
  const std::uint64_t before = log.size();
  for (auto _ : state) {
    std::lock_guard w(StoreAccess::write_mutex(store));
    amanah::detail::db::Transaction tx(conn);
    for (std::size_t i = 0; i < kAppendBatch; ++i)
      log.record_write(tx, kCtx, "update", ids[i].str(), "email", "support-serves-customers");
    tx.commit();
  }
  if (log.size() - before < static_cast<std::uint64_t>(state.iterations()) * kAppendBatch)
    throw std::runtime_error("append: the writes were not all recorded");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kAppendBatch));
}

// ---------------------------------------------------------------------------------------------
// Registration. verify: one pass per repetition. get / find: kRounds rounds, each a logged and
// an unlogged run back to back (logged first in odd rounds, unlogged first in even ones).

void verify_runs(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime()->Repetitions(kRepetitions);
  b->ReportAggregatesOnly(true);
}

BENCHMARK(BM_audit_verify)->Apply(verify_runs);
BENCHMARK(BM_audit_verify_checkpoints)->Apply(verify_runs);

const bool kRegistered = [] {
  using Fn = void (*)(benchmark::State&);
  struct Pair {
    const char* logged_name;
    Fn logged;
    const char* unlogged_name;
    Fn unlogged;
  };
  const Pair pairs[] = {{"BM_get_logged", BM_get_logged, "BM_get_unlogged", BM_get_unlogged},
                        {"BM_find_logged", BM_find_logged, "BM_find_unlogged", BM_find_unlogged}};
  for (const Pair& p : pairs) {
    for (int round = 1; round <= kRounds; ++round) {
      const bool logged_first = round % 2 == 1;
      for (int k = 0; k < 2; ++k) {
        const bool logged = logged_first == (k == 0);
        benchmark::RegisterBenchmark(logged ? p.logged_name : p.unlogged_name,
                                     logged ? p.logged : p.unlogged)
            ->Arg(round)
            ->ArgName("round")
            ->Unit(benchmark::kMicrosecond)
            ->MinTime(kLookupMinTime)
            ->MeasureProcessCPUTime()  // the writer thread's work counts too
            ->UseRealTime();
      }
    }
  }
  return true;
}();

BENCHMARK(BM_insert_audited)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kSingleInserts)
    ->UseRealTime()
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_audit_append_read)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kAppendBatches)
    ->UseRealTime()
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_audit_append_write)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kAppendBatches)
    ->UseRealTime()
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

}  // namespace

// ---------------------------------------------------------------------------------------------
// The summary printed after the run (SummaryReporter, bench_summary.hpp).

namespace amanah::bench {

void SummaryReporter::print_audit_summary(std::FILE* out) const {
  // Every plain run of `function` (one per round), or the median aggregate of its repetitions.
  const auto rounds = [this](std::string_view function) {
    std::vector<const Run*> found;
    for (const Run& r : runs_)
      if (!r.error_occurred && r.run_name.function_name == function &&
          r.run_type == Run::RT_Iteration)
        found.push_back(&r);
    return found;
  };
  const auto median = [](std::vector<double> v) -> std::optional<double> {
    if (v.empty()) return std::nullopt;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  const auto us = [](const Run* r) {  // wall time per iteration in µs
    return r->GetAdjustedRealTime() * 1e6 / benchmark::GetTimeUnitMultiplier(r->time_unit);
  };
  const auto cpu_us = [](const Run* r) {  // CPU time per iteration in µs
    return r->GetAdjustedCPUTime() * 1e6 / benchmark::GetTimeUnitMultiplier(r->time_unit);
  };

  const Run* verify = median_run("BM_audit_verify");
  const Run* verify_cp = median_run("BM_audit_verify_checkpoints");
  const auto both = [&](const char* logged, const char* unlogged) {
    return !rounds(logged).empty() && !rounds(unlogged).empty();
  };
  const bool any_lookup =
      both("BM_get_logged", "BM_get_unlogged") || both("BM_find_logged", "BM_find_unlogged");
  const Run* insert = median_run("BM_insert_audited");
  const Run* append_read = median_run("BM_audit_append_read");
  const Run* append_write = median_run("BM_audit_append_write");
  if (verify == nullptr && verify_cp == nullptr && !any_lookup && insert == nullptr &&
      append_read == nullptr && append_write == nullptr)
    return;

  std::fprintf(out, "\nAudit log summary (bench_audit.cpp; wall clock)\n");
  for (const auto& [label, r] :
       {std::pair{"verify()", verify}, std::pair{"verify(checkpoints)", verify_cp}}) {
    if (r == nullptr) continue;
    const auto rate = counter(r, "entries");
    std::fprintf(out,
                 "  %-22s %s entries in %s ms: %s entries/s (median), target >= 1,000,000: %s\n",
                 label, num(counter(r, "log_entries"), "%.0f").c_str(),
                 num(us(r) / 1e3, "%.0f").c_str(), num(rate, "%.0f").c_str(),
                 !rate          ? "-"
                 : *rate >= 1e6 ? "met"
                                : "NOT met");
  }
  if (verify != nullptr || verify_cp != nullptr)
    std::fprintf(out, "  %-22s %s s\n", "building that log",
                 num(counter(verify != nullptr ? verify : verify_cp, "build_s"), "%.1f").c_str());

  if (any_lookup) {
    std::fprintf(out, "  %-22s %10s %10s %7s %14s %9s %8s\n", "reads (µs, median)", "logged",
                 "unlogged", "ratio", "rounds: range", "CPU ratio", "target");
    std::fprintf(out,
                 "  (ratio: the median of the rounds' logged/unlogged pairs; CPU: the process's, "
                 "writer thread included)\n");
    for (const auto& [label, names] :
         {std::pair{"get by id", std::pair{"BM_get_logged", "BM_get_unlogged"}},
          std::pair{"find by email", std::pair{"BM_find_logged", "BM_find_unlogged"}}}) {
      const auto logged = rounds(names.first), unlogged = rounds(names.second);
      if (logged.empty() || unlogged.empty()) continue;
      std::vector<double> a, b, a_cpu, b_cpu, ratios;
      for (const Run* r : logged) {
        a.push_back(us(r));
        a_cpu.push_back(cpu_us(r));
      }
      for (const Run* r : unlogged) {
        b.push_back(us(r));
        b_cpu.push_back(cpu_us(r));
      }
      for (const Run* l : logged)  // pair each round's runs by their argument
        for (const Run* u : unlogged)
          if (l->run_name.args == u->run_name.args) ratios.push_back(us(l) / us(u));
      const auto ratio_of = [](std::optional<double> x, std::optional<double> y) {
        return x && y ? std::optional<double>(*x / *y) : std::nullopt;
      };
      // The median of each round's pair: both runs of a round saw the same machine state.
      const auto ratio = median(ratios);
      const auto cpu_ratio = ratio_of(median(a_cpu), median(b_cpu));
      const auto [lo, hi] = std::minmax_element(ratios.begin(), ratios.end());
      const std::string range =
          ratios.empty() ? std::string("-") : num(*lo, "%.2f") + " to " + num(*hi, "%.2f");
      std::fprintf(out, "  %-22s %10s %10s %7s %14s %9s %8s  %s\n", label,
                   num(median(a), "%.2f").c_str(), num(median(b), "%.2f").c_str(),
                   num(ratio, "%.2f").c_str(), range.c_str(), num(cpu_ratio, "%.2f").c_str(),
                   "<= 1.2",
                   !ratio          ? "-"
                   : *ratio <= 1.2 ? "met"
                                   : "NOT met");
    }
  }

  if (insert != nullptr) {
    std::fprintf(out, "  %-22s %s µs (CPU %s µs), median; %s entries appended per insert\n",
                 "insert, 1 per tx", num(us(insert), "%.1f").c_str(),
                 num(cpu_us(insert), "%.1f").c_str(),
                 num(counter(insert, "entries_per_insert"), "%.2f").c_str());
    for (const char* other : {"BM_Insert_Amanah", "BM_Insert_Sqlcipher"})
      if (const Run* r = median_run(other))
        std::fprintf(out, "  %-22s %s µs (CPU %s µs): %s, same run; ratio %s\n", "",
                     num(us(r), "%.1f").c_str(), num(cpu_us(r), "%.1f").c_str(), other,
                     num(us(insert) / us(r), "%.2f").c_str());
  }
  for (const auto& [label, r] : {std::pair{"append, read entry", append_read},
                                 std::pair{"append, write entry", append_write}}) {
    if (r == nullptr) continue;
    const auto rate = counter(r, "items_per_second");
    std::fprintf(out, "  %-22s %s µs per entry (%s entries/s)\n", label,
                 num(rate ? std::optional<double>(1e6 / *rate) : std::nullopt, "%.2f").c_str(),
                 num(rate, "%.0f").c_str());
  }
}

}  // namespace amanah::bench
