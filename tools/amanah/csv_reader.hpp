// amanah CLI — a streaming CSV reader over libcsv: RFC 4180 quoting (delimiters and newlines
// inside quoted cells), a UTF-8 BOM, CRLF, ',' or ';'. The file is read in chunks, never whole.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <csv.h>

namespace amanah::cli {

struct CsvRow {
  std::size_t line = 0;  // the line of the file the row starts on (1-based)
  std::vector<std::string> cells;
};

class CsvReader {
 public:
  // Opens `file` and reads its header row. Without `delimiter`, ';' when the header line holds
  // more ';' than ',' outside quotes, else ','. InvalidArgument for an empty or malformed file,
  // NotFound / Io when it cannot be read.
  CsvReader(const std::filesystem::path& file, std::optional<char> delimiter);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  [[nodiscard]] char delimiter() const noexcept { return delimiter_; }
  [[nodiscard]] const std::vector<std::string>& header() const noexcept { return header_; }
  // The next data row; false at the end of the file. InvalidArgument (naming the line) for
  // malformed quoting or a row longer than kMaxRowBytes.
  bool next(CsvRow& row);
  [[nodiscard]] bool at_end();
  [[nodiscard]] std::uint64_t bytes_read() const noexcept { return offset_; }
  [[nodiscard]] std::uint64_t file_size() const noexcept { return size_; }

  static constexpr std::size_t kMaxRowBytes = 1 << 20;  // bounds memory on an unbalanced quote

 private:
  void release() noexcept;  // closes the file and frees the parser (destructor, failed constructor)
  bool fill();              // parses one more chunk; false once the file is done
  void parse(const char* data, std::size_t len);
  static void on_cell(void* s, std::size_t len, void* self);
  static void on_row(int c, void* self);

  std::FILE* file_ = nullptr;
  csv_parser parser_{};
  bool parser_live_ = false;
  bool done_ = false;
  char delimiter_ = ',';
  std::vector<std::string> header_;
  std::vector<char> chunk_;
  std::size_t pending_from_ = 0, pending_to_ = 0;  // unparsed bytes of the first chunk
  std::uint64_t offset_ = 0, size_ = 0;
  std::size_t line_ = 1;       // the line being fed
  bool between_rows_ = true;   // no byte of the next row fed yet
  std::size_t row_line_ = 1;   // where the row being parsed started
  std::size_t row_bytes_ = 0;  // bytes fed since it started
  std::vector<std::string> cells_;
  std::deque<CsvRow> ready_;
};

}  // namespace amanah::cli
