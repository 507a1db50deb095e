// amanah::Error: code, what() with its "amanah: Code: " prefix, and message() without it.
#include <amanah/amanah.hpp>

#include <string>

#include "records_fixture.hpp"

using amanah::Error;
using amanah::ErrorCode;

TEST_CASE("Error::message() is the message without the 'amanah: Code: ' prefix", "[error]") {
  const Error e(ErrorCode::NotFound, "no customer with this id");
  CHECK(e.code() == ErrorCode::NotFound);
  CHECK(std::string(e.what()) == "amanah: NotFound: no customer with this id");
  CHECK(e.message() == "no customer with this id");
  // A message that itself looks like a prefix is kept whole.
  const Error odd(ErrorCode::Validation, "amanah: Validation: x");
  CHECK(odd.message() == "amanah: Validation: x");
  CHECK(Error(ErrorCode::Internal, "").message().empty());
  // Copies keep both.
  const Error copy = e;
  CHECK(copy.message() == e.message());
  CHECK(std::string(copy.what()) == e.what());
}

TEST_CASE("a field's validation error names the field once, without a nested prefix",
          "[error][records]") {
  amanah::test::TempDir tmp;
  auto store =
      amanah::CustomerStore::create(tmp / "s", *amanah::raw_key(amanah::SecretBytes::random(32)),
                                    amanah::test::example_manifest());
  try {
    (void)store.insert(amanah::test::kSupport, {{"email", "not an address"}});
    FAIL("expected Validation");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::Validation);
    const std::string m = e.message();
    CHECK(m.rfind("field 'email': ", 0) == 0);
    CHECK(m.find("amanah:") == std::string::npos);
    CHECK(m.find("not an address") == std::string::npos);
  }
}
