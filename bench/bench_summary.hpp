// The display reporter of amanah_bench: forwards everything to Google Benchmark's own console,
// JSON or CSV reporter, and keeps the runs so that main() can print the fair-baseline summary
// (ratios amanah / hand-written baseline, bench_fair.cpp) once every benchmark has run.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

namespace amanah::bench {

class SummaryReporter : public benchmark::BenchmarkReporter {
 public:
  explicit SummaryReporter(std::unique_ptr<benchmark::BenchmarkReporter> inner)
      : inner_(std::move(inner)) {}

  bool ReportContext(const Context& context) override { return inner_->ReportContext(context); }
  void ReportRuns(const std::vector<Run>& runs) override {
    runs_.insert(runs_.end(), runs.begin(), runs.end());
    inner_->ReportRuns(runs);
  }
  void Finalize() override { inner_->Finalize(); }

  // The summary table of the fair-baseline benchmarks that ran (nothing if none did).
  // Defined in bench_fair.cpp, which owns the benchmark names.
  void print_fair_summary(std::FILE* out) const;
  // The audit-log figures that ran (verify rate, reads logged / not logged, appends); defined in
  // bench_audit.cpp.
  void print_audit_summary(std::FILE* out) const;
  // Erasure (per-erasure percentiles, the ratio to raw SQLCipher, where the time goes) and the
  // retention sweep's rates; defined in bench_erasure.cpp.
  void print_erasure_summary(std::FILE* out) const;
  // Backup and restore (MB/s, the ratios to a file copy and to SQLite's online backup, verify's
  // share of a restore); defined in bench_backup.cpp.
  void print_backup_summary(std::FILE* out) const;

 private:
  // Helpers of the summaries. The median aggregate of a benchmark's repetitions (or its first
  // plain run when it has none), matched on function, arguments and threads.
  [[nodiscard]] const Run* median_run(std::string_view function, std::string_view args = {},
                                      std::int64_t threads = 1) const {
    const Run* single = nullptr;
    for (const Run& r : runs_) {
      if (r.error_occurred || r.run_name.function_name != function || r.run_name.args != args ||
          r.threads != threads)
        continue;
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") return &r;
      if (r.run_type == Run::RT_Iteration && single == nullptr) single = &r;
    }
    return single;
  }
  // A user counter of a run, if both exist.
  [[nodiscard]] static std::optional<double> counter(const Run* r, const char* name) {
    if (r == nullptr) return std::nullopt;
    const auto it = r->counters.find(name);
    if (it == r->counters.end()) return std::nullopt;
    return it->second.value;
  }
  // `v` formatted with a printf format, or "-".
  [[nodiscard]] static std::string num(std::optional<double> v, const char* format) {
    if (!v) return "-";
    char buf[48];
    std::snprintf(buf, sizeof buf, format, *v);
    return buf;
  }

  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
  std::vector<Run> runs_;
};

}  // namespace amanah::bench
