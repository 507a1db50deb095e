// amanah — errors. Every failure the library reports is an amanah::Error with a code.
// Messages name fields, files and operations, never a field value or key material.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <amanah/export.hpp>

namespace amanah {

enum class ErrorCode {
  WrongKey,          // the key or passphrase does not unlock this store
  Corrupt,           // a store file is damaged or was modified
  AccessDenied,      // the access policy denies the request
  ConsentRequired,   // the purpose needs a live consent the subject has not given
  Validation,        // a value failed validation
  UndeclaredField,   // the field is not declared in the manifest
  NotFound,          // the subject, file or variable does not exist
  LegalHold,         // a legal hold prevents the operation
  AuditTampered,     // the audit log failed verification
  Duplicate,         // a unique field already holds this value
  AlreadyExists,     // a store (or other files) already exist where one would be created
  InvalidManifest,   // the privacy manifest is malformed or inconsistent
  NotAStore,         // the directory is not an amanah store
  StoreLocked,       // the store is already open elsewhere (this or another process)
  Unsupported,       // a format or library version this build cannot handle
  InvalidArgument,   // a caller-supplied argument is malformed
  InvalidOperation,  // the operation is not allowed in this state
  Io,                // an operating-system call failed
  Database,          // the database engine reported an error
  Internal,          // a bug in amanah
  Restricted,        // the customer's processing is restricted (restrict(), or an erasure a hold
                     // keeps part of); only permits that name the restricted state reach them
  Objected,          // the customer objected to processing for this purpose (object())
};

// The code's name, e.g. "WrongKey".
[[nodiscard]] AMANAH_EXPORT std::string_view to_string(ErrorCode code) noexcept;

class AMANAH_EXPORT Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message);
  [[nodiscard]] ErrorCode code() const noexcept { return code_; }
  // The message as given, without the "amanah: <Code>: " prefix that what() carries.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  ErrorCode code_;
  std::string message_;
};

}  // namespace amanah
