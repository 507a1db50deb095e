// amanah CLI — importing customers from a CSV file (the `import` subcommand; bench_import links
// it too). Two passes over the file, so memory stays bounded by one batch:
//   1. every row is validated, batch by batch, with CustomerStore::validate and one
//      ValidationScope for the whole file (bad values, clashes with the store, inside a batch and
//      with the good rows of earlier batches: the library's own normalization decides, which the
//      tool cannot reproduce). Nothing is written to the store.
//   2. the file is read again and the good rows are inserted, one insert_many transaction per
//      batch.
// All or nothing: a bad row stops the import before pass 2. A kill during pass 2 leaves the
// batches committed so far (never part of a batch).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <amanah/amanah.hpp>

namespace amanah::cli {

struct ImportOptions {
  // column header -> field; empty: the columns whose header is a declared field name.
  std::vector<std::pair<std::string, std::string>> map;
  bool skip_bad = false;  // import the good rows, report the bad ones
  bool dry_run = false;   // pass 1 only
  std::optional<char> delimiter;
  std::size_t batch = 5000;
  InputFormats formats;  // per-import input formats (--input), over the manifest's
};

// A row the store would refuse: line, field and code, never the value.
struct ImportProblem {
  std::size_t line = 0;
  std::string field;  // empty: the row as a whole
  ErrorCode code = ErrorCode::Validation;
  std::string message;
};

struct ImportWarning {
  std::size_t line = 0;
  std::string field;
  std::string message;
};

struct ImportResult {
  char delimiter = ',';
  std::vector<std::pair<std::string, std::string>> columns;  // header -> field, as used
  std::vector<std::string> ignored_columns;
  std::size_t rows = 0;      // data rows read (blank rows not counted)
  std::size_t imported = 0;  // rows committed
  std::size_t rejected = 0;  // bad rows
  std::map<ErrorCode, std::size_t> problems_by_code;
  std::size_t warnings = 0;
  bool written = false;  // pass 2 ran
};

struct ImportSinks {
  std::function<void(const ImportProblem&)> problem;
  std::function<void(const ImportWarning&)> warning;
  // "checked" (pass 1: rows so far, percent of the file read) or "imported" (pass 2: rows
  // committed, rows to import).
  std::function<void(const char* phase, std::size_t done, std::size_t total)> progress;
};

// Throws amanah::Error: InvalidArgument for a mapping that does not fit the header or a malformed
// file, UndeclaredField for a mapped field the manifest lacks, and the store's errors.
ImportResult import_csv(CustomerStore& store, const AccessContext& ctx,
                        const std::filesystem::path& file, const ImportOptions& options,
                        const ImportSinks& sinks);

}  // namespace amanah::cli
