#include <amanah/error.hpp>

namespace amanah {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::WrongKey:
      return "WrongKey";
    case ErrorCode::Corrupt:
      return "Corrupt";
    case ErrorCode::AccessDenied:
      return "AccessDenied";
    case ErrorCode::ConsentRequired:
      return "ConsentRequired";
    case ErrorCode::Validation:
      return "Validation";
    case ErrorCode::UndeclaredField:
      return "UndeclaredField";
    case ErrorCode::NotFound:
      return "NotFound";
    case ErrorCode::LegalHold:
      return "LegalHold";
    case ErrorCode::AuditTampered:
      return "AuditTampered";
    case ErrorCode::Duplicate:
      return "Duplicate";
    case ErrorCode::AlreadyExists:
      return "AlreadyExists";
    case ErrorCode::InvalidManifest:
      return "InvalidManifest";
    case ErrorCode::NotAStore:
      return "NotAStore";
    case ErrorCode::StoreLocked:
      return "StoreLocked";
    case ErrorCode::Unsupported:
      return "Unsupported";
    case ErrorCode::InvalidArgument:
      return "InvalidArgument";
    case ErrorCode::InvalidOperation:
      return "InvalidOperation";
    case ErrorCode::Io:
      return "Io";
    case ErrorCode::Database:
      return "Database";
    case ErrorCode::Internal:
      return "Internal";
    case ErrorCode::Restricted:
      return "Restricted";
    case ErrorCode::Objected:
      return "Objected";
  }
  return "Unknown";
}

Error::Error(ErrorCode code, const std::string& message)
    : std::runtime_error(std::string("amanah: ") + std::string(to_string(code)) + ": " + message),
      code_(code),
      message_(message) {}

}  // namespace amanah
