// The display reporter of amanah_bench: forwards everything to Google Benchmark's own console,
// JSON or CSV reporter, and keeps the runs so that main() can print the fair-baseline summary
// (ratios amanah / hand-written baseline, bench_fair.cpp) once every benchmark has run.
#pragma once

#include <cstdio>
#include <memory>
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

 private:
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
  std::vector<Run> runs_;
};

}  // namespace amanah::bench
