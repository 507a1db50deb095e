// Field values: validation and normalization of every field type, hostile inputs, and masks.
// All data here is synthetic. Rejections are checked without printing the rejected input.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <amanah/error.hpp>
#include <amanah/manifest.hpp>
#include <catch2/catch_test_macros.hpp>

#include "support.hpp"
#include "values/values.hpp"

namespace values = amanah::detail::values;
using amanah::ErrorCode;
using amanah::FieldType;
using amanah::Mask;

namespace {

std::string norm(FieldType type, std::string_view input, std::uint32_t max_length = 0) {
  return values::normalize(type, input, max_length).value;
}

std::string index_of(FieldType type, std::string_view input) {
  return values::normalize(type, input).index_form;
}

// True when the input is rejected as a Validation error (and nothing else).
bool rejected(FieldType type, std::string_view input, std::uint32_t max_length = 0) {
  try {
    (void)values::normalize(type, input, max_length);
    return false;
  } catch (const amanah::Error& e) {
    return e.code() == ErrorCode::Validation;
  }
}

// Counts the inputs that are accepted or fail otherwise than Validation; the failing index is
// reported through `first_bad` so a failure message never shows the input itself.
std::size_t count_accepted(FieldType type, const std::vector<std::string>& inputs,
                           std::size_t& first_bad) {
  std::size_t bad = 0;
  first_bad = inputs.size();
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (!rejected(type, inputs[i])) {
      if (bad++ == 0) first_bad = i;
    }
  return bad;
}

#define CHECK_ALL_REJECTED(type, inputs)                             \
  do {                                                               \
    std::size_t first_bad_ = 0;                                      \
    const std::size_t n_ = count_accepted(type, inputs, first_bad_); \
    INFO("first accepted input index: " << first_bad_);              \
    CHECK(n_ == 0);                                                  \
  } while (false)

std::span<const std::byte> key_of(const std::array<std::byte, 32>& k) {
  return k;
}

std::array<std::byte, 32> counting_key() {
  std::array<std::byte, 32> k{};
  for (std::size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<std::byte>(i);
  return k;
}

// Independent of the code under test: is `s` well-formed UTF-8?
bool well_formed_utf8(std::string_view s) {
  try {
    (void)values::normalize(FieldType::text, s, static_cast<std::uint32_t>(s.size() + 1));
    return true;
  } catch (const amanah::Error&) {
    return false;
  }
}

}  // namespace

TEST_CASE("text keeps valid UTF-8 unchanged and folds its index form", "[values]") {
  CHECK(norm(FieldType::text, "Siti Nurhaliza") == "Siti Nurhaliza");
  CHECK(norm(FieldType::text, "Jl. Merdeka No. 17\r\nJakarta\tPusat") ==
        "Jl. Merdeka No. 17\r\nJakarta\tPusat");
  CHECK(norm(FieldType::text, "Caf\xC3\xA9 \xE2\x98\x95 \xF0\x9F\x98\x80") ==
        "Caf\xC3\xA9 \xE2\x98\x95 \xF0\x9F\x98\x80");
  CHECK(norm(FieldType::text, "\xF4\x8F\xBF\xBF") == "\xF4\x8F\xBF\xBF");  // U+10FFFF
  CHECK(norm(FieldType::text, "") == "");  // empty text is a value like any other

  CHECK(index_of(FieldType::text, "  Siti   NURHALIZA \t\n") == "siti nurhaliza");
  CHECK(index_of(FieldType::text, "A\r\n\r\nB") == "a b");
  CHECK(index_of(FieldType::text, "   ") == "");
  // Only ASCII letters are lower-cased; other bytes are left alone.
  CHECK(index_of(FieldType::text,
                 "\xC3\x89"
                 "COLE") ==
        "\xC3\x89"
        "cole");
  CHECK(norm(FieldType::text, "  Siti  ") == "  Siti  ");  // value is never trimmed
}

TEST_CASE("text rejects malformed UTF-8", "[values]") {
  const std::vector<std::string> bad = {
      "\xC0\xAF",          // overlong '/'
      "\xC1\xBF",          // overlong
      "\xE0\x80\xAF",      // overlong, 3 bytes
      "\xF0\x80\x80\xAF",  // overlong, 4 bytes
      "\xED\xA0\x80",      // surrogate U+D800
      "\xED\xBF\xBF",      // surrogate U+DFFF
      "\xF4\x90\x80\x80",  // U+110000
      "\xF5\x80\x80\x80",  // beyond any code point
      "\xFF",
      "\xFE",             // never in UTF-8
      "\x80",             // stray continuation byte
      "abc\xE2\x82",      // truncated at the end
      "\xC3",             // truncated lead byte
      "\xC3\x28",         // bad continuation
      "\xE2\x28\xA1",     // bad continuation, 3 bytes
      "ok \xF0\x9F\x98",  // truncated emoji
  };
  CHECK_ALL_REJECTED(FieldType::text, bad);
}

TEST_CASE("text rejects control characters but allows tab and newlines (LF, CRLF)", "[values]") {
  const std::vector<std::string> bad = {
      std::string("a\0b", 3),
      std::string(1, '\0'),
      "\x01",
      "line\x0B",
      "\x1B[31mred",
      "bell\x07",
      "del\x7F",
      "\xC2\x85",  // NEL (C1)
      "\xC2\x9B"
      "31m",  // CSI (C1): a terminal escape
  };
  CHECK_ALL_REJECTED(FieldType::text, bad);
  CHECK_FALSE(rejected(FieldType::text, "a\tb\nc\r\nd"));
}

TEST_CASE("text rejects bidirectional controls and lone CR; the message never quotes the value",
          "[values]") {
  // U+202A..U+202E (embeddings, overrides), U+2066..U+2069 (isolates), U+200E/U+200F (marks),
  // U+061C (Arabic letter mark): they reorder how text is shown, e.g. "Trojan Source" spoofing.
  const std::vector<std::string> controls = {
      "\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD",
      "\xE2\x80\xAE", "\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8",
      "\xE2\x81\xA9", "\xE2\x80\x8E", "\xE2\x80\x8F", "\xD8\x9C",
      "\r",  // a CR not starting a CRLF newline moves the cursor back over what was shown
  };
  std::vector<std::string> bad;
  for (const auto& c : controls) {
    bad.push_back(c);
    bad.push_back("Sensitive-Value-" + c + "-tail");
    bad.push_back("Sensitive-Value-" + c);
  }
  CHECK_ALL_REJECTED(FieldType::text, bad);
  for (std::size_t i = 0; i < bad.size(); ++i) {
    try {
      (void)values::normalize(FieldType::text, bad[i]);
    } catch (const amanah::Error& e) {
      INFO("input index " << i);
      CHECK(std::string_view(e.message()).find("Sensitive") == std::string_view::npos);
    }
  }
  // Neighbours stay allowed: zero-width joiner (emoji sequences), no-break space, Arabic text,
  // the line separator, tab and the newlines LF and CRLF.
  CHECK_FALSE(rejected(FieldType::text, "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB"));
  CHECK_FALSE(rejected(FieldType::text,
                       "a\xC2\xA0"
                       "b"));
  CHECK_FALSE(rejected(FieldType::text, "\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85"));
  CHECK_FALSE(rejected(FieldType::text, "\xE2\x80\x90"));  // U+2010 hyphen, next to U+200F
  CHECK_FALSE(rejected(FieldType::text, "\xE2\x81\xA5"));  // U+2065, next to U+2066 (unassigned)
  CHECK_FALSE(rejected(FieldType::text, "a\tb\nc\r\nd"));
}

TEST_CASE("text length cap counts bytes", "[values]") {
  CHECK_FALSE(rejected(FieldType::text, std::string(4096, 'a')));
  CHECK(rejected(FieldType::text, std::string(4097, 'a')));
  CHECK_FALSE(rejected(FieldType::text, std::string(10, 'a'), 10));
  CHECK(rejected(FieldType::text, std::string(11, 'a'), 10));
  std::string e5, e6;
  for (int i = 0; i < 5; ++i)
    e5 += "\xC3\xA9";
  e6 = e5 + "\xC3\xA9";
  CHECK_FALSE(rejected(FieldType::text, e5, 10));  // 10 bytes
  CHECK(rejected(FieldType::text, e6, 10));        // 12 bytes
  CHECK_FALSE(rejected(FieldType::text, std::string(5000, 'a'), 5000));
}

TEST_CASE("integer accepts int64 and gives a canonical decimal", "[values]") {
  CHECK(norm(FieldType::integer, "0") == "0");
  CHECK(norm(FieldType::integer, "42") == "42");
  CHECK(norm(FieldType::integer, "-42") == "-42");
  CHECK(norm(FieldType::integer, "+42") == "42");
  CHECK(norm(FieldType::integer, "  17 \n") == "17");
  CHECK(norm(FieldType::integer, "007") == "7");
  CHECK(norm(FieldType::integer, "-0") == "0");
  CHECK(norm(FieldType::integer, "+0") == "0");
  CHECK(norm(FieldType::integer, "-000") == "0");
  CHECK(norm(FieldType::integer, "9223372036854775807") == "9223372036854775807");
  CHECK(norm(FieldType::integer, "-9223372036854775808") == "-9223372036854775808");
  CHECK(norm(FieldType::integer, "0009223372036854775807") == "9223372036854775807");
  CHECK(index_of(FieldType::integer, "+0042") == "42");

  const std::vector<std::string> bad = {
      "9223372036854775808",
      "-9223372036854775809",
      "18446744073709551616",
      "99999999999999999999999999",
      "",
      " ",
      "-",
      "+",
      "1.0",
      "1e3",
      "0x10",
      "1 000",
      "1,000",
      "--1",
      "+-1",
      "1-",
      "abc",
      "\xD9\xA1\xD9\xA2",  // Arabic-Indic digits
      "\xEF\xBC\x91",      // full-width 1
      std::string("1\0", 2),
      std::string(2000, '1'),
  };
  CHECK_ALL_REJECTED(FieldType::integer, bad);
}

TEST_CASE("money: amounts in minor units with ISO 4217 currencies", "[values]") {
  CHECK(norm(FieldType::money, "IDR 150000") == "IDR 150000.00");
  CHECK(norm(FieldType::money, "150000 IDR") == "IDR 150000.00");
  CHECK(norm(FieldType::money, "USD 12.50") == "USD 12.50");
  CHECK(norm(FieldType::money, "12.5 USD") == "USD 12.50");
  CHECK(norm(FieldType::money, "idr 1,500,000") == "IDR 1500000.00");
  CHECK(norm(FieldType::money, "IDR 1,500,000.50") == "IDR 1500000.50");
  CHECK(norm(FieldType::money, "JPY 500") == "JPY 500");
  CHECK(norm(FieldType::money, "KRW 10,000") == "KRW 10000");
  CHECK(norm(FieldType::money, "VND 25000") == "VND 25000");
  CHECK(norm(FieldType::money, "USD -12.50") == "USD -12.50");
  CHECK(norm(FieldType::money, "-12.5 USD") == "USD -12.50");
  CHECK(norm(FieldType::money, "USD 0.5") == "USD 0.50");
  CHECK(norm(FieldType::money, "USD -0.00") == "USD 0.00");
  CHECK(norm(FieldType::money, "KWD 1.234") == "KWD 1.234");
  CHECK(norm(FieldType::money, "  SGD   7  ") == "SGD 7.00");
  CHECK(norm(FieldType::money, "USD12.50") == "USD 12.50");  // the space is optional
  CHECK(norm(FieldType::money, "sgd 007.5") == "SGD 7.50");
  for (const char* code :
       {"IDR", "USD", "EUR", "SGD", "MYR", "GBP", "AUD", "CNY", "THB", "PHP", "HKD", "INR", "SAR"})
    CHECK(norm(FieldType::money, std::string(code) + " 1") == std::string(code) + " 1.00");
  for (const char* code : {"JPY", "KRW", "VND"})
    CHECK(norm(FieldType::money, std::string(code) + " 1") == std::string(code) + " 1");
  CHECK(index_of(FieldType::money, "idr 1,500") == "IDR 1500.00");

  // Boundaries of int64 minor units.
  CHECK(norm(FieldType::money, "USD 92233720368547758.07") == "USD 92233720368547758.07");
  CHECK(norm(FieldType::money, "USD -92233720368547758.08") == "USD -92233720368547758.08");
  CHECK(norm(FieldType::money, "JPY 9,223,372,036,854,775,807") == "JPY 9223372036854775807");
  CHECK(rejected(FieldType::money, "USD 92233720368547758.08"));
  CHECK(rejected(FieldType::money, "USD -92233720368547758.09"));
  CHECK(rejected(FieldType::money, "JPY 9223372036854775808"));
  CHECK(rejected(FieldType::money, "IDR 100000000000000000"));

  const std::vector<std::string> bad = {
      "JPY 500.5",
      "JPY 500.",
      "USD 12.505",
      "IDR 150.000",  // Indonesian dot grouping
      "USD 12.",
      "USD .5",
      "XYZ 10",
      "10",
      "USD",
      "",
      "USD 1,50,000",
      "USD 1,5000",
      "USD ,500",
      "USD 1,500.",
      "USD 1.500,00",
      "USD 1 500",
      "USD +5",
      "USD --5",
      "USD 5-",
      "$ 5",
      "Rp 150000",
      "USD 12 EUR",
      "US D 5",
      "USD 1,000,00",
      "USD 1234,567",
      "USD -",
      "USD 1.2.3",
      "USD \xEF\xBC\x95",  // full-width 5
      std::string("USD 5\0", 6),
      "USD 0x10",
      "USD 1e3",
      std::string(2000, '1') + " USD",
  };
  CHECK_ALL_REJECTED(FieldType::money, bad);
}

TEST_CASE("date: ISO 8601 calendar dates that exist", "[values]") {
  CHECK(norm(FieldType::date, "1990-05-17") == "1990-05-17");
  CHECK(norm(FieldType::date, " 1990-05-17\n") == "1990-05-17");
  CHECK(norm(FieldType::date, "2024-02-29") == "2024-02-29");
  CHECK(norm(FieldType::date, "2000-02-29") == "2000-02-29");
  CHECK(norm(FieldType::date, "1000-01-01") == "1000-01-01");
  CHECK(norm(FieldType::date, "9999-12-31") == "9999-12-31");
  CHECK(index_of(FieldType::date, "2024-12-31") == "2024-12-31");

  const std::vector<std::string> bad = {
      "2023-02-29",
      "1900-02-29",
      "2100-02-29",
      "0999-12-31",
      "0000-01-01",
      "2024-13-01",
      "2024-00-10",
      "2024-04-31",
      "2024-04-00",
      "2024-4-1",
      "17/05/1990",
      "17-05-1990",
      "1990-05-17T00:00",
      "1990-05-17Z",
      "19900517",
      "+1990-05-17",
      "-1990-05-17",
      "",
      "1990/05/17",
      "10000-01-01",
      "\xEF\xBC\x91\xEF\xBC\x99\xEF\xBC\x99\xEF\xBC\x90-05-17",
      std::string("1990-05-1\0", 10),
      "1990-05-17 1990-05-17",
      "abcd-ef-gh",
  };
  CHECK_ALL_REJECTED(FieldType::date, bad);
}

TEST_CASE("email: internationalized domains are accepted and compared as A-labels", "[values]") {
  // RFC 3492 / IDNA examples: the A-label of each U-label.
  CHECK(index_of(FieldType::email, "siti@caf\xC3\xA9.id") == "siti@xn--caf-dma.id");
  CHECK(index_of(FieldType::email, "user@m\xC3\xBCnchen.de") == "user@xn--mnchen-3ya.de");
  CHECK(index_of(FieldType::email,
                 "x@b\xC3\xBC"
                 "cher.example") == "x@xn--bcher-kva.example");
  CHECK(index_of(FieldType::email, "x@\xE4\xBE\x8B\xE5\xAD\x90.\xE6\xB5\x8B\xE8\xAF\x95") ==
        "x@xn--fsqu00a.xn--0zwm56d");  // 例子.测试
  // One customer however the domain is written: U-label, A-label, capitals.
  CHECK(index_of(FieldType::email, "Siti@CAF\xC3\x89.ID") == "siti@xn--caf-dma.id");
  CHECK(index_of(FieldType::email, "siti@xn--caf-dma.id") == "siti@xn--caf-dma.id");
  // The value keeps the readable domain, in lower case, and normalizes to itself.
  CHECK(norm(FieldType::email, "Siti@CAF\xC3\x89.ID") == "Siti@caf\xC3\xA9.id");
  CHECK(norm(FieldType::email, norm(FieldType::email, "Siti@CAF\xC3\x89.ID")) ==
        "Siti@caf\xC3\xA9.id");
  // U+0178 (Y with diaeresis) lowers to U+00FF, not to its neighbour U+0179, whose own lower
  // case differs again (found by fuzz_values: normalize was not idempotent).
  CHECK(norm(FieldType::email, "x@\xC5\xB8s.id") == "x@\xC3\xBFs.id");
  CHECK(norm(FieldType::email, norm(FieldType::email, "x@\xC5\xB8s.id")) == "x@\xC3\xBFs.id");
  CHECK(index_of(FieldType::email, "x@\xC5\xB8s.id") ==
        index_of(FieldType::email, "x@\xC3\xBFs.id"));
  // Not host names: controls, spaces, bidirectional controls, symbols; a non-ASCII local part.
  CHECK(rejected(FieldType::email, "x@caf\xE2\x80\xAE\xC3\xA9.id"));  // U+202E
  CHECK(rejected(FieldType::email, "x@caf\xC2\x85.id"));              // U+0085
  CHECK(rejected(FieldType::email, "x@caf\xC3\xA9_x.id"));
  CHECK(rejected(FieldType::email, "x@caf\xC3.id"));  // not UTF-8
  CHECK(rejected(FieldType::email, "s\xC3\xAFti@example.id"));
}

TEST_CASE("email: practical RFC 5321 addresses", "[values]") {
  CHECK(norm(FieldType::email, "siti@example.co.id") == "siti@example.co.id");
  CHECK(norm(FieldType::email, "SITI@Example.CO.ID") == "SITI@example.co.id");
  CHECK(index_of(FieldType::email, "SITI@Example.co.id") ==
        index_of(FieldType::email, "siti@example.co.id"));
  CHECK(index_of(FieldType::email, "SITI@Example.co.id") == "siti@example.co.id");
  CHECK(norm(FieldType::email, "  budi.santoso+promo@mail.example.com \n") ==
        "budi.santoso+promo@mail.example.com");
  CHECK(norm(FieldType::email, "o'brien@example.com") == "o'brien@example.com");
  CHECK(norm(FieldType::email, "a!#$%&'*+-/=?^_`{|}~@example.com") ==
        "a!#$%&'*+-/=?^_`{|}~@example.com");
  CHECK(norm(FieldType::email, "user@xn--80ak6aa92e.com") == "user@xn--80ak6aa92e.com");
  CHECK(norm(FieldType::email, "x@a-b.c0m") == "x@a-b.c0m");
  CHECK(norm(FieldType::email, "x@1.example") == "x@1.example");  // numeric labels but the TLD

  const std::string local64(64, 'a'), local65(65, 'a');
  CHECK_FALSE(rejected(FieldType::email, local64 + "@example.com"));
  CHECK(rejected(FieldType::email, local65 + "@example.com"));
  const std::string label63(63, 'b'), label64(64, 'b');
  CHECK_FALSE(rejected(FieldType::email, "a@" + label63 + ".com"));
  CHECK(rejected(FieldType::email, "a@" + label64 + ".com"));
  // 64 + 1 + 189 = 254 bytes: the limit.
  const std::string domain189 = label63 + "." + label63 + "." + std::string(57, 'c') + ".com";
  REQUIRE(domain189.size() == 189);
  CHECK_FALSE(rejected(FieldType::email, local64 + "@" + domain189));
  const std::string domain190 =
      "d." + label63 + "." + label63 + "." + std::string(56, 'c') + ".com";
  REQUIRE(domain190.size() == 190);
  CHECK(rejected(FieldType::email, local64 + "@" + domain190));  // 255 bytes
  CHECK_FALSE(rejected(FieldType::email, "a@" + domain190));

  // An ASCII local part (choice): internationalized local parts are rejected. (Internationalized
  // domains are accepted: see the test above.)
  const std::vector<std::string> bad = {
      "",
      "plain",
      "@example.com",
      "siti@",
      "a@@example.com",
      "a@b@example.com",
      "a..b@example.com",
      ".a@example.com",
      "a.@example.com",
      "a@example",
      "a@localhost",
      "a@[192.168.0.1]",
      "a@192.168.0.1",
      "a@[IPv6:2001:db8::1]",
      "\"quoted\"@example.com",
      "\"a b\"@example.com",
      "a@-example.com",
      "a@example-.com",
      "a@exa_mple.com",
      "a@example..com",
      "a@.example.com",
      "a@example.com.",
      "a b@example.com",
      "a@exam ple.com",
      "a@example.com, b@example.com",
      "<a@example.com>",
      "s\xC3\xADt\xC3\xAD@example.com",  // non-ASCII local part
      std::string("a@example.com\0x", 15),
      "a@example.com\x01",
      "a\n@example.com",
      "mailto:a@example.com",
      "a@example.123",
      std::string(300, 'a') + "@example.com",
  };
  CHECK_ALL_REJECTED(FieldType::email, bad);
}

TEST_CASE("phone: Indonesian mobile formats all give the same E.164 number", "[values]") {
  for (const char* in :
       {"0812-3456-7890", "0812 3456 7890", "(0812) 3456.7890", "+62 812 3456 7890",
        "62-812-3456-7890", "+62 (812) 3456-7890", "081234567890", "6281234567890",
        "+6281234567890", "  0812.3456.7890 ", "(+62) 812 3456 7890"}) {
    CAPTURE(in);
    CHECK(norm(FieldType::phone, in) == "+6281234567890");
  }
  CHECK(index_of(FieldType::phone, "0812-3456-7890") == "+6281234567890");
  // Mobile: "+628" and 8 to 11 more digits.
  CHECK(norm(FieldType::phone, "0812345678") == "+62812345678");
  CHECK(norm(FieldType::phone, "0812345678901") == "+62812345678901");
  CHECK(rejected(FieldType::phone, "081234567"));
  CHECK(rejected(FieldType::phone, "08123456789012"));
}

TEST_CASE("phone: Indonesian landlines and international numbers", "[values]") {
  CHECK(norm(FieldType::phone, "021-5551234") == "+62215551234");
  CHECK(norm(FieldType::phone, "(021) 555 1234") == "+62215551234");
  CHECK(norm(FieldType::phone, "+62 21 5551234") == "+62215551234");
  CHECK(norm(FieldType::phone, "0274 512345") == "+62274512345");
  CHECK(norm(FieldType::phone, "(0967) 123456") == "+62967123456");
  // Landline: 7 to 11 digits after 62.
  CHECK(norm(FieldType::phone, "021-12345") == "+622112345");
  CHECK(norm(FieldType::phone, "021-123456789") == "+6221123456789");
  CHECK(rejected(FieldType::phone, "021-1234"));
  CHECK(rejected(FieldType::phone, "021-1234567890"));

  CHECK(norm(FieldType::phone, "+65 6123 4567") == "+6561234567");
  CHECK(norm(FieldType::phone, "+1 (415) 555-2671") == "+14155552671");
  CHECK(norm(FieldType::phone, "+44 20 7946 0958") == "+442079460958");
  CHECK(norm(FieldType::phone, "+60 12-345 6789") == "+60123456789");
  CHECK(norm(FieldType::phone, "+12345678") == "+12345678");                // 8 digits
  CHECK(norm(FieldType::phone, "+123456789012345") == "+123456789012345");  // 15 digits
  CHECK(rejected(FieldType::phone, "+1234567"));
  CHECK(rejected(FieldType::phone, "+1234567890123456"));
}

TEST_CASE("phone: a trunk 0 written after +62 is dropped, as spreadsheets hold them", "[values]") {
  for (const char* in : {"+62 0812 3456 7890", "+62 (0)812 3456 7890", "+62 (0) 812-3456-7890",
                         "+620812 34567890", "62 0812 3456 7890"}) {
    CAPTURE(in);
    CHECK(norm(FieldType::phone, in) == "+6281234567890");
  }
  CHECK(norm(FieldType::phone, "+62 (0)21 555 1234") == "+62215551234");
}

TEST_CASE("Unicode spaces pasted from web pages and chat are spaces in structured values",
          "[values]") {
  const std::string nbsp = "\xC2\xA0", narrow = "\xE2\x80\xAF", thin = "\xE2\x80\x89",
                    ideographic = "\xE3\x80\x80";
  CHECK(norm(FieldType::phone, "0812" + nbsp + "3456" + nbsp + "7890") == "+6281234567890");
  CHECK(norm(FieldType::phone, nbsp + "+62" + thin + "812-3456-7890" + ideographic) ==
        "+6281234567890");
  CHECK(norm(FieldType::email, nbsp + "Siti@Example.co.id" + nbsp) == "Siti@example.co.id");
  CHECK(norm(FieldType::nik, "3174" + narrow + "0115" + narrow + "0590" + narrow + "0002") ==
        "3174011505900002");
  CHECK(norm(FieldType::money, "IDR" + nbsp + "150000") == "IDR 150000.00");
  CHECK(norm(FieldType::date, nbsp + "1990-05-17") == "1990-05-17");
  CHECK(norm(FieldType::card, "4111" + nbsp + "1111" + nbsp + "1111" + nbsp + "1111") ==
        "VISA ****1111");
  // Still rejected: a space inside an email, other non-ASCII, and text keeps what it was given.
  CHECK(rejected(FieldType::email, "siti" + nbsp + "x@example.co.id"));
  CHECK(rejected(FieldType::phone,
                 "0812\xE2\x80\x8B"
                 "34567890"));  // zero-width space
  CHECK(norm(FieldType::text, "Siti" + nbsp + "Rahma") == "Siti" + nbsp + "Rahma");
}

TEST_CASE("phone: a number with too few or too many digits says which", "[values]") {
  const auto message = [](std::string_view in) {
    try {
      (void)values::normalize(FieldType::phone, in);
    } catch (const amanah::Error& e) {
      return e.message();
    }
    return std::string("accepted");
  };
  CHECK(message("0812 3456") == "phone number is too short");
  CHECK(message("+62 812 345") == "phone number is too short");
  CHECK(message("+1 234 567") == "phone number is too short");
  CHECK(message("0812 3456 7890 123") == "phone number is too long");
  CHECK(message("+1 234 567 890 123 456") == "phone number is too long");
}

TEST_CASE("phone: hostile and ambiguous input is rejected", "[values]") {
  // Full-width "081234567890" and Arabic-Indic "0812...": digits, but not ASCII ones.
  std::string fullwidth, arabic;
  for (char c : std::string_view("081234567890")) {
    fullwidth += "\xEF\xBC";
    fullwidth += static_cast<char>(0x90 + (c - '0'));
    arabic += "\xD9";
    arabic += static_cast<char>(0xA0 + (c - '0'));
  }
  const std::string nul_inside = std::string("0812") + '\0' + "34567890";
  const std::string nul_after_plus = std::string("+62812345") + '\0' + "67890";
  const std::vector<std::string> bad = {
      "",
      "   ",
      "+",
      "()",
      "-",
      "0",
      "08",
      "+62",
      "62",
      // Letters, other separators, text around the number.
      "0812-3456-789O",
      "0812 3456 7890 ext 12",
      "tel:+6281234567890",
      "0812/3456/7890",
      "0812\t3456\t7890",
      // A plus anywhere but before the first digit.
      "0812+34567890",
      "62+81234567890",
      "++6281234567890",
      "+6281234567890+",
      // No trunk 0, no 62, no plus: ambiguous.
      "81234567890",
      "6561234567",
      "14155552671",
      // International prefixes; two trunk 0s; no area code starts with 1.
      "+6200812345678",
      "0062 812 3456 7890",
      "00 65 6123 4567",
      "+0 812 3456 7890",
      "0112345678",
      "+62112345678",
      // Unbalanced or nested brackets.
      "(0812 3456 7890",
      "0812) 3456 (7890",
      "((0812)) 3456 7890",
      fullwidth,
      arabic,
      nul_inside,
      nul_after_plus,
      std::string(1 << 20, '8'),
      "0" + std::string(1 << 20, ' ') + "81234567890",
  };
  REQUIRE(fullwidth.size() == 36);
  CHECK_ALL_REJECTED(FieldType::phone, bad);
}

TEST_CASE("oversized input is rejected without being scanned", "[values]") {
  constexpr FieldType kTypes[] = {FieldType::text, FieldType::integer, FieldType::money,
                                  FieldType::date, FieldType::email,   FieldType::phone,
                                  FieldType::nik,  FieldType::npwp,    FieldType::card};
  const std::string huge(std::size_t{1} << 20, '1');
  for (FieldType t : kTypes) {
    CAPTURE(static_cast<int>(t));
    CHECK(rejected(t, huge));
  }
  // Deterministic instead of timed: a 1 MiB input whose first and last pages are readable and
  // whose middle is mapped PROT_NONE. Rejecting it by its size touches at most its ends; a scan
  // faults. Run in a child process so a fault is reported as a failure, not a crash of the run.
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t size = std::size_t{1} << 20;
  void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(map != MAP_FAILED);
  auto* bytes = static_cast<char*>(map);
  std::memset(bytes, '1', size);
  REQUIRE(::mprotect(bytes + page, size - 2 * page, PROT_NONE) == 0);
  const std::string_view guarded(bytes, size);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int all = 0;
    for (FieldType t : kTypes)
      all |= rejected(t, guarded) ? 0 : 1;
    ::_exit(all);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  ::munmap(map, size);
  CHECK(WIFEXITED(status));  // false if the child faulted on the guarded middle
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("nik: 16 digits with a known province and a birth date", "[values]") {
  // Synthetic: province 31, regency 74, district 01, born 15-05-90, serial 0001.
  auto male = values::normalize(FieldType::nik, "3174011505900001");
  CHECK(male.value == "3174011505900001");
  CHECK(male.index_form == "3174011505900001");
  CHECK(male.warnings.empty());
  auto female = values::normalize(FieldType::nik, "3174015505900002");  // DD + 40
  CHECK(female.value == "3174015505900002");
  CHECK(female.warnings.empty());
  CHECK(norm(FieldType::nik, "3174 0115 0590 0001") == "3174011505900001");
  CHECK(norm(FieldType::nik, "31.7401.150590.0001") == "3174011505900001");
  CHECK(norm(FieldType::nik, " 3174-0115-0590-0001\n") == "3174011505900001");

  // Province codes, including the 2022 Papua provinces (93-96).
  for (const char* p : {"11", "19", "21", "31", "36", "51", "53", "61", "65", "71", "76", "81",
                        "82", "91", "92", "93", "94", "95", "96"}) {
    CAPTURE(p);
    CHECK_FALSE(rejected(FieldType::nik, std::string(p) + "74011505900001"));
  }
  for (const char* p : {"00", "10", "20", "22", "30", "37", "50", "54", "60", "66", "70", "77",
                        "80", "83", "90", "97", "99"}) {
    CAPTURE(p);
    CHECK(rejected(FieldType::nik, std::string(p) + "74011505900001"));
  }

  const std::vector<std::string> bad = {
      "317401150590000",    // 15 digits
      "31740115059000012",  // 17 digits
      "",
      "3174O11505900001",
      "3174011505900001x",
      "3174/0115/0590/0001",
      std::string("317401150590\0"
                  "0001",
                  17),
      "\xEF\xBC\x93"
      "174011505900001",  // full-width 3
  };
  CHECK_ALL_REJECTED(FieldType::nik, bad);
}

TEST_CASE("nik: odd but possible numbers give warnings, not rejections", "[values]") {
  auto warnings = [](std::string_view nik) {
    return values::normalize(FieldType::nik, nik).warnings;
  };
  CHECK(warnings("3174013102900001").size() == 1);  // 31 February
  CHECK(warnings("3174017102900001").size() == 1);  // 31 February, female
  CHECK(warnings("3174011013900001").size() == 1);  // month 13
  CHECK(warnings("3174010005900001").size() == 1);  // day 00
  CHECK(warnings("3174013505900001").size() == 1);  // day 35: neither +0 nor +40
  CHECK(warnings("3174017205900001").size() == 1);  // day 72 (32 + 40)
  CHECK(warnings("3174012902000001").empty());      // 29 Feb 2000
  CHECK(warnings("3174016902040001").empty());      // 29 Feb 2004, female
  CHECK(warnings("3174012902010001").size() == 1);  // 29 Feb 2001/1901
  CHECK(warnings("3174011505900000").size() == 1);  // serial 0000
  CHECK(warnings("3100011505900001").size() == 1);  // regency 00
  CHECK(warnings("3100013102900000").size() == 3);
  // Warnings name the problem, never the number.
  for (const std::string& w : warnings("3100013102900000")) {
    CHECK(w.find("3100") == std::string::npos);
    CHECK(w.find("310290") == std::string::npos);
  }
}

TEST_CASE("npwp: legacy 15 digits and the 16-digit form", "[values]") {
  auto legacy = values::normalize(FieldType::npwp, "01.234.567.8-901.000");
  CHECK(legacy.value == "01.234.567.8-901.000");
  CHECK(legacy.index_form == "0012345678901000");  // the 16-digit form: "0" + the 15 digits
  CHECK_FALSE(legacy.nik_like);
  CHECK(norm(FieldType::npwp, "012345678901000") == "01.234.567.8-901.000");
  CHECK(norm(FieldType::npwp, "01 234 567 8-901 000") == "01.234.567.8-901.000");
  CHECK(index_of(FieldType::npwp, "01.234.567.8-901.000") ==
        index_of(FieldType::npwp, "012345678901000"));

  auto org = values::normalize(FieldType::npwp, "0012345678901000");
  CHECK(org.value == "0012345678901000");
  CHECK(org.index_form == "0012345678901000");
  CHECK_FALSE(org.nik_like);

  auto person = values::normalize(FieldType::npwp, "3174 0155 0590 0002");
  CHECK(person.value == "3174015505900002");
  CHECK(person.nik_like);
  CHECK_FALSE(values::normalize(FieldType::npwp, "2074011505900001").nik_like);  // province 20
  CHECK_FALSE(values::normalize(FieldType::npwp, "3174013202900001").nik_like);  // 32 Feb
  CHECK(values::normalize(FieldType::npwp, "00.000.000.0-000.000").warnings.size() == 1);

  const std::vector<std::string> bad = {
      "01234567890100",     // 14 digits
      "01234567890100012",  // 17 digits
      "",
      "01.234.567.8-901.00A",
      "01/234/567/8-901/000",
      "NPWP 012345678901000",
      std::string("0123456\0"
                  "78901000",
                  16),
  };
  CHECK_ALL_REJECTED(FieldType::npwp, bad);
}

TEST_CASE("npwp: a legacy 15-digit NPWP and its 16-digit form index alike", "[values][npwp]") {
  // The same taxpayer written both ways: one index form, each keeping its value as given.
  CHECK(index_of(FieldType::npwp, "01.234.567.8-901.234") ==
        index_of(FieldType::npwp, "0012345678901234"));
  CHECK(index_of(FieldType::npwp, "012345678901234") ==
        index_of(FieldType::npwp, "0012 3456 7890 1234"));
  CHECK(norm(FieldType::npwp, "012345678901234") == "01.234.567.8-901.234");
  CHECK(norm(FieldType::npwp, "0012345678901234") == "0012345678901234");
  // A 16-digit NPWP not starting with 0 is a NIK used as NPWP: its own form, equal to no legacy
  // one (not even the one whose 15 digits it ends with).
  CHECK(index_of(FieldType::npwp, "3174015505900002") == "3174015505900002");
  CHECK(index_of(FieldType::npwp, "1012345678901234") !=
        index_of(FieldType::npwp, "01.234.567.8-901.234"));
  CHECK(index_of(FieldType::npwp, "174015505900002") !=
        index_of(FieldType::npwp, "3174015505900002"));
  // Another legacy number is another taxpayer.
  CHECK(index_of(FieldType::npwp, "01.234.567.8-901.235") !=
        index_of(FieldType::npwp, "0012345678901234"));
}

TEST_CASE("card: Luhn-checked, stored as brand and last four only", "[values]") {
  CHECK(norm(FieldType::card, "4111111111111111") == "VISA ****1111");
  CHECK(norm(FieldType::card, "4111 1111 1111 1111") == "VISA ****1111");
  CHECK(norm(FieldType::card, "4111-1111-1111-1111") == "VISA ****1111");
  CHECK(norm(FieldType::card, "5555555555554444") == "MASTERCARD ****4444");
  CHECK(norm(FieldType::card, "2223003122003222") == "MASTERCARD ****3222");
  CHECK(norm(FieldType::card, "222100000000000") == "MASTERCARD ****0000");
  CHECK(norm(FieldType::card, "272000000000001") == "MASTERCARD ****0001");
  CHECK(norm(FieldType::card, "27210000000004") == "CARD ****0004");
  CHECK(norm(FieldType::card, "378282246310005") == "AMEX ****0005");
  CHECK(norm(FieldType::card, "371449635398431") == "AMEX ****8431");
  CHECK(norm(FieldType::card, "3530111333300000") == "JCB ****0000");
  CHECK(norm(FieldType::card, "358900000000009") == "JCB ****0009");
  CHECK(norm(FieldType::card, "6011111111111117") == "DISCOVER ****1117");
  CHECK(norm(FieldType::card, "644000000000002") == "DISCOVER ****0002");
  CHECK(norm(FieldType::card, "6555900000604105") == "DISCOVER ****4105");
  CHECK(norm(FieldType::card, "6200000000000005") == "UNIONPAY ****0005");
  CHECK(norm(FieldType::card, "36227206271667") == "CARD ****1667");       // Diners
  CHECK(norm(FieldType::card, "411111111117") == "VISA ****1117");         // 12 digits
  CHECK(norm(FieldType::card, "4111111111111111110") == "VISA ****1110");  // 19 digits
  auto n = values::normalize(FieldType::card, "4111 1111 1111 1111");
  CHECK(n.index_form == "VISA ****1111");
  CHECK(n.value.find("411111") == std::string::npos);
  CHECK(n.index_form.find("411111") == std::string::npos);

  const std::vector<std::string> bad = {
      "4111111111111112",      // Luhn
      "5555555555554445",      // Luhn
      "9000000000000008",      // Luhn
      "50000000005",           // 11 digits
      "41111111111111111115",  // 20 digits
      "",
      "4111.1111.1111.1111",
      "4111 1111 1111 111X",
      "4111111111111111 123",
      std::string("41111111\0"
                  "11111111",
                  17),
      "\xEF\xBC\x94"
      "111111111111111",
  };
  CHECK_ALL_REJECTED(FieldType::card, bad);
}

TEST_CASE("canonical values normalize to themselves", "[values]") {
  const std::vector<std::pair<FieldType, std::string>> samples = {
      {FieldType::text, "Siti\tNurhaliza\n"},    {FieldType::integer, "-9223372036854775808"},
      {FieldType::money, "IDR 150000.00"},       {FieldType::money, "JPY 500"},
      {FieldType::money, "USD -12.50"},          {FieldType::date, "2024-02-29"},
      {FieldType::email, "SITI@example.co.id"},  {FieldType::phone, "+6281234567890"},
      {FieldType::phone, "+442079460958"},       {FieldType::nik, "3174015505900002"},
      {FieldType::npwp, "01.234.567.8-901.000"}, {FieldType::npwp, "3174015505900002"},
  };
  for (const auto& [type, value] : samples) {
    const auto once = values::normalize(type, value);
    CHECK(once.value == value);
    const auto twice = values::normalize(type, once.value);
    CHECK(twice.value == once.value);
    CHECK(twice.index_form == once.index_form);
  }
  // Card values are not card numbers, by design.
  CHECK(rejected(FieldType::card, "VISA ****1111"));
}

TEST_CASE("masks", "[values]") {
  const auto key = counting_key();
  const std::span<const std::byte> no_key;
  auto mask = [&](FieldType t, Mask m, std::string_view v) {
    return values::apply_mask(t, m, v, key_of(key));
  };

  SECTION("none") {
    CHECK(mask(FieldType::text, Mask::none, "Siti") == "Siti");
  }

  SECTION("last4") {
    CHECK(mask(FieldType::phone, Mask::last4, "+6281234567890") == "+*********7890");
    CHECK(mask(FieldType::text, Mask::last4, "+6281234567890") == "**********7890");
    CHECK(mask(FieldType::nik, Mask::last4, "3174011505900001") == "************0001");
    CHECK(mask(FieldType::card, Mask::last4, "VISA ****1111") == "*********1111");
    CHECK(mask(FieldType::text, Mask::last4, "abcde") == "*bcde");
    CHECK(mask(FieldType::text, Mask::last4, "abcd") == "****");
    CHECK(mask(FieldType::text, Mask::last4, "abc") == "***");
    CHECK(mask(FieldType::text, Mask::last4, "") == "");
    // One '*' per code point; the last four code points intact.
    CHECK(mask(FieldType::text, Mask::last4, "\xC3\x89\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9") ==
          "*\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9");
    CHECK(mask(FieldType::text, Mask::last4, "ab\xF0\x9F\x98\x80xyz") == "**\xF0\x9F\x98\x80xyz");
  }

  SECTION("first_last") {
    CHECK(mask(FieldType::text, Mask::first_last, "Siti") == "S**i");
    CHECK(mask(FieldType::text, Mask::first_last, "Nurhaliza") == "N*******a");
    CHECK(mask(FieldType::text, Mask::first_last, "abc") == "a*c");
    CHECK(mask(FieldType::text, Mask::first_last, "ab") == "**");  // would show it all
    CHECK(mask(FieldType::text, Mask::first_last, "a") == "*");
    CHECK(mask(FieldType::text, Mask::first_last, "") == "");
    // "Ñandú": never split a code point, one '*' per code point.
    CHECK(mask(FieldType::text, Mask::first_last,
               "\xC3\x91"
               "and\xC3\xBA") == "\xC3\x91***\xC3\xBA");
    CHECK(mask(FieldType::text, Mask::first_last, "\xE5\xBC\xB5\xE5\x81\x89\xE6\x98\x8E") ==
          "\xE5\xBC\xB5*\xE6\x98\x8E");  // 張偉明
    CHECK(mask(FieldType::text, Mask::first_last,
               "\xF0\x9F\x98\x80"
               "ab\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80**\xF0\x9F\x98\x80");
    const auto masked = mask(FieldType::text, Mask::first_last, "\xC3\x89l\xC3\xA9onore");
    REQUIRE(masked.has_value());
    CHECK(well_formed_utf8(*masked));
    CHECK(*masked ==
          "\xC3\x89"
          "******e");
  }

  SECTION("year_only") {
    CHECK(mask(FieldType::date, Mask::year_only, "1990-05-17") == "1990");
    CHECK(mask(FieldType::text, Mask::year_only, "1990-05-17") == "[redacted]");
    CHECK(mask(FieldType::phone, Mask::year_only, "+6281234567890") == "[redacted]");
  }

  SECTION("hash") {
    // Known answer: HMAC-SHA256(key 00..1f, "siti@example.co.id"), first 16 hex digits.
    CHECK(mask(FieldType::email, Mask::hash, "siti@example.co.id") == "h:72aa4e98a84ff78b");
    CHECK(mask(FieldType::email, Mask::hash, "") == "h:d38b42096d80f45f");
    CHECK(mask(FieldType::email, Mask::hash, "siti@example.co.id") ==
          mask(FieldType::email, Mask::hash, "siti@example.co.id"));
    CHECK(mask(FieldType::email, Mask::hash, "siti@example.co.id") !=
          mask(FieldType::email, Mask::hash, "budi@example.co.id"));
    std::array<std::byte, 32> other{};
    other.fill(std::byte{0x42});
    CHECK(values::apply_mask(FieldType::email, Mask::hash, "siti@example.co.id", key_of(other)) ==
          "h:7b77558a4428fe13");
    const std::array<std::byte, 16> short_key{};
    REQUIRE_AMANAH_ERROR(
        values::apply_mask(FieldType::email, Mask::hash, "siti@example.co.id", short_key),
        ErrorCode::InvalidArgument);
    REQUIRE_AMANAH_ERROR(values::apply_mask(FieldType::email, Mask::hash, "x", no_key),
                         ErrorCode::InvalidArgument);
  }

  SECTION("redact and nullify need no key") {
    CHECK(values::apply_mask(FieldType::text, Mask::redact, "Siti", no_key) == "[redacted]");
    CHECK(values::apply_mask(FieldType::text, Mask::nullify, "Siti", no_key) == std::nullopt);
    CHECK(values::apply_mask(FieldType::text, Mask::first_last, "Siti", no_key) == "S**i");
  }

  SECTION("invalid UTF-8 in a value never breaks a mask") {
    const auto m = values::apply_mask(FieldType::text, Mask::first_last, "\xC3\xC3\xC3", no_key);
    CHECK(m == "\xC3*\xC3");
  }
}

TEST_CASE("out-of-range enums are InvalidArgument", "[values]") {
  REQUIRE_AMANAH_ERROR(values::normalize(static_cast<FieldType>(99), "x"),
                       ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(
      values::apply_mask(FieldType::text, static_cast<Mask>(99), "x", std::span<const std::byte>{}),
      ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(values::normalize(FieldType::email, "a@@b"), ErrorCode::Validation);
}

TEST_CASE("error messages never contain the rejected input", "[values]") {
  const std::vector<std::pair<FieldType, std::vector<std::string>>> cases = {
      {FieldType::text, {"Siti\x01Nurhaliza", "Budi\xC0\xAFSantoso", std::string(5000, 'Q')}},
      {FieldType::integer, {"123456789012345678901234", "12.345678", "0x1234567890"}},
      {FieldType::money,
       {"IDR 150000.123", "XYZ 1234567", "USD 99999999999999999999", "IDR 1,50,000"}},
      {FieldType::date, {"1990-02-30", "1990-13-01", "17/05/1990", "0999-05-17"}},
      {FieldType::email,
       {"siti..nurhaliza@example.co.id", "budisantoso@localhost", "dewi.lestari@[10.0.0.1]",
        std::string(65, 'k') + "@example.com"}},
      {FieldType::phone,
       {"0812-3456-789O", "+6200812345678", "81234567890", "+1234567890123456", "021-1234567890"}},
      {FieldType::nik,
       {"2074011505900001", "317401150590000", "31740115059000012", "3174X11505900001"}},
      {FieldType::npwp, {"01.234.567.8-901.00", "0123456789010001234", "01.234.567.8-901.00Z"}},
      {FieldType::card,
       {"4111111111111112", "41111111111111111115", "4111-1111-1111-111X", "50000000005"}},
  };
  for (const auto& [type, inputs] : cases) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const std::string& input = inputs[i];
      INFO("type " << static_cast<int>(type) << ", input index " << i);
      std::string message;
      bool validation = false;
      try {
        (void)values::normalize(type, input);
      } catch (const amanah::Error& e) {
        message = e.what();
        validation = e.code() == ErrorCode::Validation;
      }
      CHECK(validation);
      CHECK_FALSE(message.empty());
      bool leaked = message.find(input) != std::string::npos;
      for (std::size_t p = 0; input.size() >= 6 && p + 6 <= input.size(); ++p)
        leaked = leaked || message.find(input.substr(p, 6)) != std::string::npos;
      CHECK_FALSE(leaked);
    }
  }
}

// --- the input path: values as spreadsheets hold them (values::normalize_input)

namespace {

using amanah::InputFormat;
using amanah::NumberStyle;

amanah::Field field_of(FieldType type) {
  amanah::Field f;
  f.name = "f";
  f.type = type;
  return f;
}

std::string read_in(FieldType type, std::string_view input, const InputFormat& format = {}) {
  return values::normalize_input(field_of(type), format, input).value;
}

// The Validation message the input gets ("" when accepted, "other" for another error). Tests
// compare it to expected text; they never print the input.
std::string input_error(FieldType type, std::string_view input, const InputFormat& format = {}) {
  try {
    (void)values::normalize_input(field_of(type), format, input);
    return "";
  } catch (const amanah::Error& e) {
    return e.code() == ErrorCode::Validation ? e.message() : "other";
  }
}

bool input_rejected(FieldType type, std::string_view input, const InputFormat& format = {}) {
  const std::string m = input_error(type, input, format);
  return !m.empty() && m != "other" && m.find(input) == std::string::npos;
}

const InputFormat kIndonesian{.numbers = NumberStyle::indonesian};
const InputFormat kInternational{.numbers = NumberStyle::international};

}  // namespace

TEST_CASE("money input: Rp and IDR in any case before or after the amount", "[values][input]") {
  CHECK(read_in(FieldType::money, "Rp 1.500.000") == "IDR 1500000.00");
  CHECK(read_in(FieldType::money, "Rp. 1.500.000,00") == "IDR 1500000.00");
  CHECK(read_in(FieldType::money, "Rp1.500.000") == "IDR 1500000.00");
  CHECK(read_in(FieldType::money, "RP 1.500.000") == "IDR 1500000.00");
  CHECK(read_in(FieldType::money, "rp.2.750.000,50") == "IDR 2750000.50");
  CHECK(read_in(FieldType::money, "1.500.000 Rp") == "IDR 1500000.00");
  CHECK(read_in(FieldType::money, "IDR 1,500,000.00") == "IDR 1500000.00");
  CHECK(read_in(FieldType::money, "idr1,500,000") == "IDR 1500000.00");
  CHECK(read_in(FieldType::money, "1,500,000.00 IDR") == "IDR 1500000.00");
  CHECK(read_in(FieldType::money, "Rp 15.000,-") == "IDR 15000.00");
  CHECK(read_in(FieldType::money, "-Rp 25.000.000") == "IDR -25000000.00");
  CHECK(read_in(FieldType::money, "Rp -25.000,50") == "IDR -25000.50");
  CHECK(read_in(FieldType::money, "USD 1,500.-") == "USD 1500.00");
  CHECK(read_in(FieldType::money,
                "Rp\xC2\xA0"
                "1.500.000") == "IDR 1500000.00");  // no-break space
  // The canonical forms keep working.
  CHECK(read_in(FieldType::money, "IDR 1500000.00") == "IDR 1500000.00");
  CHECK(read_in(FieldType::money, "USD 12.50") == "USD 12.50");
  CHECK(read_in(FieldType::money, "KWD 1.234") == "KWD 1.234");
  CHECK(read_in(FieldType::money, "JPY 9,223,372,036,854,775,807") == "JPY 9223372036854775807");
  CHECK(input_error(FieldType::money, "$ 5") == "money needs an ISO 4217 currency code");
  CHECK(input_error(FieldType::money, "XYZ 10") == "unknown currency code");
  CHECK(input_error(FieldType::money, "Rpx 10") == "unknown currency code");
}

TEST_CASE("money input: a lone mark before three digits is never guessed", "[values][input]") {
  constexpr const char* kAmbiguous = "ambiguous number: set the field's number style";
  CHECK(input_error(FieldType::money, "Rp 1.500") == kAmbiguous);
  CHECK(input_error(FieldType::money, "IDR 1,500") == kAmbiguous);
  CHECK(input_error(FieldType::money, "USD 1,500") == kAmbiguous);
  CHECK(input_error(FieldType::money, "JPY 2.000") == kAmbiguous);
  // The marks' one reading: repeated marks group, the last of two kinds is the decimal mark.
  CHECK(read_in(FieldType::money, "Rp 1.500.000") == "IDR 1500000.00");
  CHECK(read_in(FieldType::money, "Rp 1.500,50") == "IDR 1500.50");
  CHECK(read_in(FieldType::money, "USD 1,500.50") == "USD 1500.50");
  CHECK(read_in(FieldType::money, "Rp 1,5") == "IDR 1.50");
  CHECK(read_in(FieldType::money, "USD 12.5") == "USD 12.50");
  // Chosen styles.
  CHECK(read_in(FieldType::money, "Rp 1.500", kIndonesian) == "IDR 1500.00");
  CHECK(read_in(FieldType::money, "1.500.000,50",
                {.numbers = NumberStyle::indonesian, .currency = "IDR"}) == "IDR 1500000.50");
  CHECK(read_in(FieldType::money, "IDR 1,500", kInternational) == "IDR 1500.00");
  CHECK(read_in(FieldType::money, "USD 1,500,000.50", kInternational) == "USD 1500000.50");
  CHECK(read_in(FieldType::money, "IDR 1500000.00", kIndonesian) == "IDR 1500000.00");
  CHECK(read_in(FieldType::money, "KWD 1.500", kIndonesian) == "KWD 1500.000");
  CHECK(read_in(FieldType::money, "KWD 1.500", kInternational) == "KWD 1.500");
  // Both marks in the wrong order for the chosen style, and other malformed groupings.
  const std::vector<std::pair<std::string, InputFormat>> bad = {
      {"IDR 1,500,000.00", kIndonesian},
      {"Rp 1.500.000,00", kInternational},
      {"Rp 1.500,000", kIndonesian},
      {"IDR 1,500.000", kInternational},
      {"Rp 1.50.000", kIndonesian},
      {"Rp 15.00.000", {}},
      {"Rp 1.500.000.50", {}},
      {"Rp 1,500,000,50", {}},
      {"Rp 1.500,50,00", {}},
      {"Rp ,500", {}},
      {"Rp 1.500.", {}},
      {"Rp 1.500 EUR", {}},
      {"IDR 1.500", kInternational},
      {"Rp 1,500", kIndonesian},
      {"Rp", {}},
      {"Rp 1 500", {}},
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    INFO("case " << i);
    CHECK(input_rejected(FieldType::money, bad[i].first, bad[i].second));
  }
}

TEST_CASE("money input: the field's currency for amounts that name none", "[values][input]") {
  const InputFormat idr{.numbers = NumberStyle::indonesian, .currency = "IDR"};
  CHECK(read_in(FieldType::money, "1.500.000", idr) == "IDR 1500000.00");
  CHECK(read_in(FieldType::money, "250000", idr) == "IDR 250000.00");
  CHECK(read_in(FieldType::money, "-7.500", idr) == "IDR -7500.00");
  CHECK(read_in(FieldType::money, "USD 12,50", idr) == "USD 12.50");  // a named code wins
  CHECK(input_error(FieldType::money, "250000") == "money needs an ISO 4217 currency code");
}

TEST_CASE("integer input: grouping marks only with a number style", "[values][input]") {
  CHECK(read_in(FieldType::integer, "1.500", kIndonesian) == "1500");
  CHECK(read_in(FieldType::integer, "-1.500.000", kIndonesian) == "-1500000");
  CHECK(read_in(FieldType::integer, "1,500", kInternational) == "1500");
  CHECK(read_in(FieldType::integer, "1500", kIndonesian) == "1500");
  CHECK(input_rejected(FieldType::integer, "1.500"));
  CHECK(input_rejected(FieldType::integer, "1,500", kIndonesian));
  CHECK(input_rejected(FieldType::integer, "1.50", kIndonesian));
  CHECK(input_rejected(FieldType::integer, "1.500", kInternational));
}

TEST_CASE("date input: the field's pattern and ISO 8601", "[values][input]") {
  const InputFormat dmy{.date = "DD/MM/YYYY"};
  CHECK(read_in(FieldType::date, "17/08/1945", dmy) == "1945-08-17");
  CHECK(read_in(FieldType::date, "7/8/2020", dmy) == "2020-08-07");
  CHECK(read_in(FieldType::date, "2020-08-07", dmy) == "2020-08-07");  // ISO always
  CHECK(read_in(FieldType::date, "08/07/2020", {.date = "MM/DD/YYYY"}) == "2020-08-07");
  CHECK(read_in(FieldType::date, "07-08-2020", {.date = "DD-MM-YYYY"}) == "2020-08-07");
  CHECK(read_in(FieldType::date, "07.08.2020", {.date = "DD.MM.YYYY"}) == "2020-08-07");
  CHECK(read_in(FieldType::date, "2020/08/07", {.date = "YYYY/MM/DD"}) == "2020-08-07");
  CHECK(read_in(FieldType::date, "07 08 2020", {.date = "DD MM YYYY"}) == "2020-08-07");
  CHECK(read_in(FieldType::date, "29/02/2024", dmy) == "2024-02-29");
  // Real calendar dates only, in the pattern's shape.
  for (const char* bad :
       {"29/02/2023", "31/04/2020", "00/01/2020", "13/13/2020", "17-08-1945", "17/08/45",
        "17/08/1945/1", "1945/08/17", "x7/08/1945", "17//1945", "117/08/1945"}) {
    CHECK(input_rejected(FieldType::date, bad, dmy));
  }
  // Without a pattern, day-first or month-first is never guessed.
  CHECK(input_error(FieldType::date, "05/06/2020").starts_with("date format not set"));
  CHECK(input_error(FieldType::date, "17.08.1945").starts_with("date format not set"));
  CHECK(read_in(FieldType::date, "1945-08-17") == "1945-08-17");
  CHECK(input_error(FieldType::date, "19450817") == "not a valid date (expected YYYY-MM-DD)");
}

TEST_CASE("date input: Indonesian and English month names", "[values][input]") {
  CHECK(read_in(FieldType::date, "17 Agustus 1945") == "1945-08-17");
  CHECK(read_in(FieldType::date, "17 Agu 1945") == "1945-08-17");
  CHECK(read_in(FieldType::date, "17-Agt-1945") == "1945-08-17");
  CHECK(read_in(FieldType::date, "17 ags 1945") == "1945-08-17");
  CHECK(read_in(FieldType::date, "1 Januari 2020") == "2020-01-01");
  CHECK(read_in(FieldType::date, "3 Mei 2021") == "2021-05-03");
  CHECK(read_in(FieldType::date, "17 August 1945") == "1945-08-17");
  CHECK(read_in(FieldType::date, "17 Aug 1945") == "1945-08-17");
  CHECK(read_in(FieldType::date, "August 17, 1945") == "1945-08-17");
  CHECK(read_in(FieldType::date, "17 AGUSTUS 1945", {.date = "MM/DD/YYYY"}) == "1945-08-17");
  CHECK(read_in(FieldType::date, "10 Nopember 1945") == "1945-11-10");
  const std::vector<std::pair<std::string, int>> months = {
      {"Januari", 1},   {"Februari", 2},  {"Maret", 3},   {"April", 4},     {"Mei", 5},
      {"Juni", 6},      {"Juli", 7},      {"Agustus", 8}, {"September", 9}, {"Oktober", 10},
      {"November", 11}, {"Desember", 12}, {"Jan", 1},     {"Feb", 2},       {"Mar", 3},
      {"Apr", 4},       {"Jun", 6},       {"Jul", 7},     {"Sep", 9},       {"Okt", 10},
      {"Nov", 11},      {"Des", 12},      {"Oct", 10},    {"Dec", 12}};
  for (const auto& [name, month] : months) {
    const std::string want =
        std::string("2001-") + (month < 10 ? "0" : "") + std::to_string(month) + "-09";
    CHECK(read_in(FieldType::date, "9 " + name + " 2001") == want);
  }
  for (const char* bad : {"30 Februari 2020", "17 Agustusan 1945", "17 Bulan 1945", "Agustus 1945",
                          "17 Agustus 45", "17th August 1945", "17 Agustus 1945 10", "32 Mei 2021"})
    CHECK(input_rejected(FieldType::date, bad));
}

TEST_CASE("phone input: the field's calling code for numbers without one", "[values][input]") {
  const InputFormat id{.phone_country = "62"};
  const InputFormat sg{.phone_country = "65"};
  CHECK(read_in(FieldType::phone, "81234567890", id) == "+6281234567890");
  CHECK(read_in(FieldType::phone, "812-3456-7890", id) == "+6281234567890");
  CHECK(read_in(FieldType::phone, "91234567", sg) == "+6591234567");
  CHECK(read_in(FieldType::phone, "6234 5678", sg) == "+6562345678");
  // Written with '+' or a trunk 0: as without the option.
  CHECK(read_in(FieldType::phone, "081234567890", id) == "+6281234567890");
  CHECK(read_in(FieldType::phone, "+6281234567890", sg) == "+6281234567890");
  CHECK(read_in(FieldType::phone, "081234567890", sg) == "+6281234567890");
  CHECK(read_in(FieldType::phone, "6281234567890", id) == "+6281234567890");
  // Already starting with the calling code: it may or may not carry it.
  CHECK(input_rejected(FieldType::phone, "6591234567", sg));
  // Without the option, today's rule.
  CHECK(input_error(FieldType::phone, "81234567890") == "phone number needs a country code");
  CHECK(input_rejected(FieldType::phone, "812345", id));  // too short for Indonesia
}

TEST_CASE("input formats are checked per field type", "[values][input]") {
  const auto key_of_problem = [](FieldType type, const InputFormat& f) {
    const auto p = values::check_input_format(type, f);
    return p ? std::string(p->key) : std::string();
  };
  CHECK(key_of_problem(FieldType::money, {.numbers = NumberStyle::indonesian, .currency = "IDR"})
            .empty());
  CHECK(key_of_problem(FieldType::integer, kIndonesian).empty());
  CHECK(key_of_problem(FieldType::date, {.date = "DD/MM/YYYY"}).empty());
  CHECK(key_of_problem(FieldType::phone, {.phone_country = "62"}).empty());
  CHECK(key_of_problem(FieldType::phone, {.phone_country = "1"}).empty());
  CHECK(key_of_problem(FieldType::text, kIndonesian) == "numbers");
  CHECK(key_of_problem(FieldType::integer, {.currency = "IDR"}) == "currency");
  CHECK(key_of_problem(FieldType::money, {.currency = "XYZ"}) == "currency");
  CHECK(key_of_problem(FieldType::money, {.currency = "idr"}) == "currency");
  CHECK(key_of_problem(FieldType::text, {.date = "DD/MM/YYYY"}) == "date");
  for (const char* bad : {"DD/MM/YY", "DD/MM-YYYY", "DD/DD/YYYY", "MM/YYYY/DD", "D/M/YYYY",
                          "DD_MM_YYYY", "DD/MM/YYYY ", "YYYY-MM"})
    CHECK(key_of_problem(FieldType::date, {.date = bad}) == "date");
  CHECK(key_of_problem(FieldType::email, {.phone_country = "62"}) == "phone_country");
  for (const char* bad : {"062", "1234", "+62", "6a", "0"})
    CHECK(key_of_problem(FieldType::phone, {.phone_country = bad}) == "phone_country");
  CHECK(key_of_problem(FieldType::money, {.numbers = static_cast<NumberStyle>(7)}) == "numbers");
  const InputFormat merged = values::merge({.numbers = NumberStyle::indonesian, .currency = "IDR"},
                                           {.currency = "USD", .date = "DD/MM/YYYY"});
  CHECK(merged ==
        InputFormat{.numbers = NumberStyle::indonesian, .currency = "USD", .date = "DD/MM/YYYY"});
}

TEST_CASE("input path messages never contain the input", "[values][input]") {
  const InputFormat all{.numbers = NumberStyle::indonesian,
                        .currency = "IDR",
                        .date = "DD/MM/YYYY",
                        .phone_country = "65"};
  for (const char* v : {"Rp 1.500,000", "1.50.000", "IDR 9999999999999999999,00"})
    CHECK(input_rejected(FieldType::money, v, all));
  CHECK(input_rejected(FieldType::money, "Rp 1.234", {}));
  for (const char* v : {"31/02/1999", "17 Agustusx 1945", "05/06/20201"})
    CHECK(input_rejected(FieldType::date, v, all));
  CHECK(input_rejected(FieldType::date, "05/06/2020", {}));
  CHECK(input_rejected(FieldType::phone, "6591234567", {.phone_country = "65"}));
  CHECK(input_rejected(FieldType::integer, "1.2345", kIndonesian));
}
