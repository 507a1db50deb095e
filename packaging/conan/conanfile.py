# Conan 2 recipe for amanah, built from this checkout:
#   conan create packaging/conan --build=missing            (from the checkout's root)
# Requirements are ConanCenter's names. Version ranges, not pins: the ranges are what amanah's
# own CMake accepts (SQLCipher 4, OpenSSL 3, nlohmann_json >= 3.10, toml++ 3, CLI11 2).
#
# Platforms: ConanCenter's sqlcipher recipe builds with autotools, and on MSVC with nmake
# (Makefile.msc); it has a shared option and an OpenSSL crypto_library default, and tells CMakeDeps
# no names, so consumers get sqlcipher::sqlcipher, which cmake/AmanahDependencies.cmake tries.
# amanah itself is tested on Linux (GCC, Clang) only; see packaging/README.md.
import os

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, rmdir

required_conan_version = ">=2.0"


class AmanahConan(ConanFile):
    name = "amanah"
    version = "0.1.0"
    license = "Apache-2.0"
    description = "Customer data kept the way the law asks: an encrypted store governed by a privacy manifest"
    topics = ("privacy", "gdpr", "encryption", "sqlcipher")
    package_type = "library"
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [True, False], "fPIC": [True, False], "tool": [True, False]}
    default_options = {"shared": False, "fPIC": True, "tool": False}
    # The recipe lives in packaging/conan/: the sources are two levels up. exports_sources cannot
    # reach outside the recipe folder, so export_sources() copies them.
    _root = os.path.join("..", "..")

    def export_sources(self):
        root = os.path.join(self.recipe_folder, self._root)
        for pattern in ("CMakeLists.txt", "LICENSE", "cmake/*", "include/*", "src/*",
                        "tools/amanah/*"):
            copy(self, pattern, root, self.export_sources_folder)

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        self.requires("sqlcipher/[>=4.5 <5]")
        self.requires("openssl/[>=3 <4]")
        self.requires("argon2/20190702")
        self.requires("fmt/[>=9]")
        self.requires("tomlplusplus/[>=3.3 <4]")
        # Header-only, used by amanah's sources only (not its public headers).
        self.requires("nlohmann_json/[>=3.10 <4]")
        if self.options.tool:
            self.requires("cli11/[>=2.3 <3]")

    def validate(self):
        check_min_cppstd(self, 20)
        if self.options.tool:
            # ConanCenter has no libcsv recipe (no recipes/libcsv in conan-center-index), and the
            # tool reads CSV with it: the tool is not buildable from ConanCenter alone.
            raise ConanInvalidConfiguration(
                "amanah:tool needs libcsv, which ConanCenter does not package; build the tool "
                "with the system's libcsv (e.g. Debian's libcsv-dev) outside Conan")

    def generate(self):
        tc = CMakeToolchain(self)
        tc.cache_variables["AMANAH_BUILD_TESTS"] = False
        tc.cache_variables["AMANAH_BUILD_EXAMPLES"] = False
        tc.cache_variables["AMANAH_BUILD_BENCH"] = False
        tc.cache_variables["AMANAH_BUILD_TOOL"] = bool(self.options.tool)
        tc.cache_variables["AMANAH_INSTALL"] = True
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        CMake(self).install()
        # Conan generates the consumers' CMake and pkg-config files from package_info().
        rmdir(self, os.path.join(self.package_folder, "lib", "cmake"))
        rmdir(self, os.path.join(self.package_folder, "lib", "pkgconfig"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "amanah")
        self.cpp_info.set_property("cmake_target_name", "amanah::amanah")
        self.cpp_info.set_property("pkg_config_name", "amanah")
        self.cpp_info.libs = ["amanah"]
        if not self.options.shared:
            self.cpp_info.defines = ["AMANAH_STATIC_DEFINE"]
        self.cpp_info.requires = ["sqlcipher::sqlcipher", "openssl::crypto", "argon2::argon2",
                                  "fmt::fmt", "tomlplusplus::tomlplusplus",
                                  "nlohmann_json::nlohmann_json"]
        if self.options.tool:  # the tool's own; listed so Conan sees every requirement used
            self.cpp_info.requires.append("cli11::cli11")
