// amanah CLI — CSV import in two passes (see import.hpp).
#include "import.hpp"

#include <algorithm>
#include <regex>
#include <set>
#include <system_error>
#include <unordered_set>

#include <fmt/format.h>

#include "csv_reader.hpp"

namespace amanah::cli {

namespace {

namespace fs = std::filesystem;

struct Column {
  std::size_t index = 0;
  std::string field;
};

// Which cells feed which fields, from --map or from headers named like declared fields.
std::vector<Column> resolve_columns(const Manifest& manifest,
                                    const std::vector<std::string>& header,
                                    const ImportOptions& options, ImportResult& result) {
  std::vector<Column> cols;
  std::set<std::string> fields;
  const auto use = [&](std::size_t index, const std::string& field) {
    if (manifest.field(field) == nullptr)
      throw Error(ErrorCode::UndeclaredField,
                  fmt::format("--map: the manifest declares no field \"{}\"", field));
    if (!fields.insert(field).second)
      throw Error(ErrorCode::InvalidArgument,
                  fmt::format("--map: two columns feed the field \"{}\"", field));
    cols.push_back({index, field});
    result.columns.emplace_back(header[index], field);
  };
  if (!options.map.empty()) {
    for (const auto& [column, field] : options.map) {
      const auto at = std::find(header.begin(), header.end(), column);
      if (at == header.end())
        throw Error(ErrorCode::InvalidArgument,
                    fmt::format("--map: the header has no column \"{}\"", column));
      use(static_cast<std::size_t>(at - header.begin()), field);
    }
  } else {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (manifest.field(header[i]) != nullptr && fields.count(header[i]) == 0) use(i, header[i]);
    if (cols.empty())
      throw Error(ErrorCode::InvalidArgument,
                  "no column of the header is a declared field name: give --map");
  }
  for (std::size_t i = 0; i < header.size(); ++i)
    if (std::none_of(cols.begin(), cols.end(), [&](const Column& c) { return c.index == i; }))
      result.ignored_columns.push_back(header[i]);
  return cols;
}

// One batch of rows as records, with where each came from.
struct Batch {
  std::vector<FieldValues> records;
  std::vector<std::size_t> lines;
  void clear() {
    records.clear();
    lines.clear();
  }
};

// Reads up to `n` rows, skipping blank ones and those in `skip`; false when none was left.
bool read_batch(CsvReader& reader, const std::vector<Column>& cols, std::size_t n,
                std::size_t& ordinal, const std::unordered_set<std::size_t>* skip, Batch& batch) {
  batch.clear();
  CsvRow row;
  while (batch.records.size() < n && reader.next(row)) {
    if (std::all_of(row.cells.begin(), row.cells.end(), [](const auto& c) { return c.empty(); }))
      continue;
    const std::size_t at = ordinal++;
    if (skip != nullptr && skip->count(at) != 0) continue;
    FieldValues values;
    for (const Column& c : cols)
      if (c.index < row.cells.size() && !row.cells[c.index].empty())
        values.emplace(c.field, std::move(row.cells[c.index]));
    batch.records.push_back(std::move(values));
    batch.lines.push_back(row.line);
  }
  return !batch.records.empty();
}

// The library's message in the file's terms: without the "field 'x': " the report already
// shows, and "record N" (a position in the scope: a data row of the file) as that row's line.
std::string readable(const RecordProblem& p, const std::vector<std::size_t>& lines) {
  std::string m = p.message;
  for (const std::string& prefix : {"field '" + p.field + "': ", "field '" + p.field + "' "})
    if (!p.field.empty() && m.rfind(prefix, 0) == 0) m.erase(0, prefix.size());
  static const std::regex record(R"(record (\d+))");
  std::smatch at;
  if (std::regex_search(m, at, record)) {
    const std::size_t i = std::stoul(at[1].str());
    if (i < lines.size())
      m = at.prefix().str() + "line " + std::to_string(lines[i]) + at.suffix().str();
  }
  return m;
}

}  // namespace

ImportResult import_csv(CustomerStore& store, const AccessContext& ctx, const fs::path& file,
                        const ImportOptions& options, const ImportSinks& sinks) {
  if (options.batch == 0) throw Error(ErrorCode::InvalidArgument, "--batch must be at least 1");
  ImportResult result;
  std::unordered_set<std::size_t> bad_rows;  // ordinals (kept for --skip-bad's second pass)
  std::error_code ec;
  const auto stamp = fs::last_write_time(file, ec);

  // Pass 1: validate everything, write nothing. The scope carries the unique values of the good
  // rows from batch to batch (as digests), so a value met again in a later batch is a Duplicate
  // exactly as the store would judge it; its positions are the rows' ordinals.
  CsvReader reader(file, options.delimiter);
  result.delimiter = reader.delimiter();
  const auto cols = resolve_columns(store.manifest(), reader.header(), options, result);
  ValidationScope scope;
  std::vector<std::size_t> lines;  // ordinal -> line: what a duplicate's message points at
  Batch batch;
  std::size_t ordinal = 0;
  while (read_batch(reader, cols, options.batch, ordinal, nullptr, batch)) {
    result.rows += batch.records.size();
    lines.insert(lines.end(), batch.lines.begin(), batch.lines.end());
    std::vector<Warning> warnings;
    const auto problems = store.validate(ctx, batch.records, options.formats, scope, &warnings);
    std::size_t last = lines.size();  // the row of the previous problem
    for (const auto& p : problems) {
      if (p.record != last) {
        ++result.rejected;
        if (options.skip_bad) bad_rows.insert(p.record);
        last = p.record;
      }
      ++result.problems_by_code[p.code];
      if (sinks.problem) sinks.problem({lines.at(p.record), p.field, p.code, readable(p, lines)});
    }
    for (const auto& w : warnings) {
      ++result.warnings;
      if (sinks.warning) sinks.warning({lines.at(w.record), w.field, w.message});
    }
    if (sinks.progress)
      sinks.progress("checked", result.rows,
                     static_cast<std::size_t>(reader.bytes_read() * 100 /
                                              std::max<std::uint64_t>(1, reader.file_size())));
  }
  lines = {};
  if (options.dry_run || (result.rejected > 0 && !options.skip_bad)) return result;

  // Pass 2: the same file again, the good rows in batches of one transaction each.
  if (fs::last_write_time(file, ec) != stamp)
    throw Error(ErrorCode::InvalidOperation,
                "the file changed while it was checked: nothing written");
  result.written = true;
  const std::size_t total = result.rows - result.rejected;
  CsvReader again(file, result.delimiter);
  ordinal = 0;
  while (read_batch(again, cols, options.batch, ordinal, &bad_rows, batch)) {
    try {
      (void)store.insert_many(ctx, batch.records, options.formats);
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("the batch starting at line {}: {} ({} rows were "
                                        "committed before it)",
                                        batch.lines.front(), e.message(), result.imported));
    }
    result.imported += batch.records.size();
    if (sinks.progress) sinks.progress("imported", result.imported, total);
  }
  return result;
}

}  // namespace amanah::cli
