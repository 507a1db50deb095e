# Finds amanah's private dependencies and wraps each in an amanah::_<name> imported target.
# Used by the build and, for static installs, by amanahConfig.cmake, so both resolve the same
# names. CONFIG packages under the names vcpkg and Conan use are tried before pkg-config.
include_guard(GLOBAL)

set(AMANAH_MISSING_DEPENDENCIES "")

function(_amanah_wrap name)  # name, then candidate targets in order of preference
  if(TARGET amanah::_${name})
    return()
  endif()
  foreach(candidate IN LISTS ARGN)
    if(TARGET ${candidate})
      add_library(amanah::_${name} INTERFACE IMPORTED GLOBAL)
      target_link_libraries(amanah::_${name} INTERFACE ${candidate})
      return()
    endif()
  endforeach()
  set(AMANAH_MISSING_DEPENDENCIES "${AMANAH_MISSING_DEPENDENCIES} ${name}" PARENT_SCOPE)
endfunction()

# SQLCipher 4 (never plain SQLite: a second sqlite3 could silently write plaintext).
if(NOT TARGET amanah::_sqlcipher)
  # vcpkg's port (share/sqlcipher, NAMESPACE sqlcipher::) and Conan's CMakeDeps (the recipe sets
  # no names) both give package sqlcipher, target sqlcipher::sqlcipher.
  find_package(sqlcipher CONFIG QUIET)
  if(NOT TARGET sqlcipher::sqlcipher)
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
      # sqlcipher.pc reports the SQLite version; SQLCipher 4 is checked at open instead.
      pkg_check_modules(AMANAH_SQLCIPHER QUIET IMPORTED_TARGET GLOBAL sqlcipher)
    endif()
  endif()
  _amanah_wrap(sqlcipher sqlcipher::sqlcipher PkgConfig::AMANAH_SQLCIPHER)
  if(TARGET amanah::_sqlcipher)
    target_compile_definitions(amanah::_sqlcipher INTERFACE SQLITE_HAS_CODEC)
  endif()
endif()

# libargon2 (reference implementation).
if(NOT TARGET amanah::_argon2)
  find_package(unofficial-argon2 CONFIG QUIET)  # vcpkg
  if(NOT TARGET unofficial::argon2::libargon2)
    find_package(argon2 CONFIG QUIET)  # Conan
  endif()
  if(NOT TARGET unofficial::argon2::libargon2 AND NOT TARGET argon2::argon2)
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
      pkg_check_modules(AMANAH_ARGON2 QUIET IMPORTED_TARGET GLOBAL libargon2)
    endif()
  endif()
  _amanah_wrap(argon2 unofficial::argon2::libargon2 argon2::argon2 PkgConfig::AMANAH_ARGON2)
endif()

# Single-name dependencies: find_dependency when a consumer loads amanahConfig.cmake (it
# forwards REQUIRED/QUIET and reports the failure as amanah's), find_package in amanah's build.
if(AMANAH_FIND_FOR_CONSUMER)
  include(CMakeFindDependencyMacro)
  find_dependency(OpenSSL 3 COMPONENTS Crypto)
  find_dependency(fmt)
  find_dependency(tomlplusplus)
else()
  find_package(OpenSSL 3 QUIET COMPONENTS Crypto)
  find_package(fmt QUIET)
  find_package(tomlplusplus QUIET)  # the same CONFIG name under Debian, vcpkg and Conan
endif()
_amanah_wrap(openssl OpenSSL::Crypto)
_amanah_wrap(fmt fmt::fmt)
_amanah_wrap(tomlplusplus tomlplusplus::tomlplusplus)
