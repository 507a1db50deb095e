# Overlay port for this checkout: vcpkg install amanah --overlay-ports=<checkout>/packaging/vcpkg/ports
# The source is the working tree itself (four levels up from this file), not a download: the port
# builds what is checked out, so it needs no release tag or SHA512. A registry port would use
# vcpkg_from_github(... REF v${VERSION} SHA512 ...) instead.
set(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../../..")

vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    tool AMANAH_BUILD_TOOL)

# BUILD_SHARED_LIBS comes from VCPKG_LIBRARY_LINKAGE (vcpkg_cmake_configure passes it).
# AMANAH_INSTALL is ON already (amanah is the top-level project here); given for clarity.
vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    ${FEATURE_OPTIONS}
    -DAMANAH_BUILD_TESTS=OFF
    -DAMANAH_BUILD_EXAMPLES=OFF
    -DAMANAH_BUILD_BENCH=OFF
    -DAMANAH_INSTALL=ON)

vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH lib/cmake/amanah)
vcpkg_fixup_pkgconfig()
vcpkg_copy_pdbs()

if("tool" IN_LIST FEATURES)
  vcpkg_copy_tools(TOOL_NAMES amanah AUTO_CLEAN)
endif()

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug/include" "${CURRENT_PACKAGES_DIR}/debug/share")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
