// amanah CLI — streaming CSV reading (see csv_reader.hpp).
#include "csv_reader.hpp"

#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>
#include <amanah/error.hpp>

namespace amanah::cli {

namespace {

constexpr std::size_t kChunk = 64 * 1024;

// ';' when the first line (outside quotes) holds more ';' than ','.
char detect_delimiter(std::string_view text) {
  std::size_t commas = 0, semicolons = 0;
  bool quoted = false;
  for (const char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n' || c == '\r') break;
    if (c == ',') ++commas;
    if (c == ';') ++semicolons;
  }
  return semicolons > commas ? ';' : ',';
}

bool blank(const char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != '\r' && p[i] != '\n') return false;
  return true;
}

}  // namespace

CsvReader::CsvReader(const std::filesystem::path& file, std::optional<char> delimiter) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw Error(ErrorCode::NotFound, fmt::format("{}: not a readable regular file", file.string()));
  size_ = std::filesystem::file_size(file, ec);
  file_ = std::fopen(file.c_str(), "rb");
  if (file_ == nullptr)
    throw Error(ErrorCode::Io, fmt::format("{}: {}", file.string(), std::strerror(errno)));
  // The destructor does not run when the constructor throws: what is open so far is released
  // here (a file refused while its header is read would otherwise leak its descriptor).
  try {
    chunk_.resize(kChunk);
    pending_to_ = std::fread(chunk_.data(), 1, chunk_.size(), file_);
    offset_ = pending_to_;
    if (pending_to_ >= 3 && std::memcmp(chunk_.data(), "\xEF\xBB\xBF", 3) == 0) pending_from_ = 3;
    delimiter_ = delimiter.value_or(detect_delimiter(
        std::string_view(chunk_.data() + pending_from_, pending_to_ - pending_from_)));
    if (csv_init(&parser_, CSV_STRICT | CSV_STRICT_FINI) != 0)
      throw Error(ErrorCode::Internal, "the CSV parser did not start");
    parser_live_ = true;
    csv_set_delim(&parser_, static_cast<unsigned char>(delimiter_));
    CsvRow head;
    if (!next(head)) throw Error(ErrorCode::InvalidArgument, file.string() + ": the file is empty");
    header_ = std::move(head.cells);
  } catch (...) {
    release();
    throw;
  }
}

CsvReader::~CsvReader() {
  release();
}

void CsvReader::release() noexcept {
  if (parser_live_) csv_free(&parser_);
  parser_live_ = false;
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

void CsvReader::on_cell(void* s, std::size_t len, void* self) {
  auto* r = static_cast<CsvReader*>(self);
  r->cells_.emplace_back(s != nullptr ? static_cast<const char*>(s) : "", s != nullptr ? len : 0);
}

void CsvReader::on_row(int /*c*/, void* self) {
  auto* r = static_cast<CsvReader*>(self);
  r->ready_.push_back(CsvRow{r->row_line_, std::move(r->cells_)});
  r->cells_.clear();
  r->between_rows_ = true;
  r->row_bytes_ = 0;
}

// Feeds the parser line by line, so each row knows the line it starts on.
void CsvReader::parse(const char* data, std::size_t len) {
  while (len > 0) {
    const void* nl = std::memchr(data, '\n', len);
    const std::size_t n =
        nl != nullptr ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1 : len;
    if (between_rows_ && !blank(data, n)) {
      row_line_ = line_;
      between_rows_ = false;
    }
    if (!between_rows_) {
      row_bytes_ += n;
      if (row_bytes_ > kMaxRowBytes)
        throw Error(
            ErrorCode::InvalidArgument,
            fmt::format("line {}: a row longer than 1 MiB (an unbalanced quote?)", row_line_));
    }
    if (csv_parse(&parser_, data, n, on_cell, on_row, this) != n)
      throw Error(ErrorCode::InvalidArgument,
                  fmt::format("line {}: malformed CSV ({})", between_rows_ ? line_ : row_line_,
                              csv_strerror(csv_error(&parser_))));
    if (nl != nullptr) ++line_;
    data += n;
    len -= n;
  }
}

bool CsvReader::fill() {
  if (done_) return false;
  if (pending_to_ > pending_from_) {
    const std::size_t from = pending_from_, to = pending_to_;
    pending_from_ = pending_to_ = 0;
    parse(chunk_.data() + from, to - from);
    return true;
  }
  const std::size_t n = std::fread(chunk_.data(), 1, chunk_.size(), file_);
  if (n == 0) {
    if (std::ferror(file_) != 0) throw Error(ErrorCode::Io, "reading the CSV file failed");
    done_ = true;
    if (csv_fini(&parser_, on_cell, on_row, this) != 0)
      throw Error(ErrorCode::InvalidArgument,
                  fmt::format("line {}: malformed CSV (a quoted cell is never closed)", row_line_));
    return !ready_.empty();
  }
  offset_ += n;
  parse(chunk_.data(), n);
  return true;
}

bool CsvReader::at_end() {
  while (ready_.empty())
    if (!fill()) return true;
  return false;
}

bool CsvReader::next(CsvRow& row) {
  if (at_end()) return false;
  row = std::move(ready_.front());
  ready_.pop_front();
  return true;
}

}  // namespace amanah::cli
