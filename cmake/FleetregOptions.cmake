# SPDX-License-Identifier: Apache-2.0
# Project options and the fleetreg_warnings interface target.
# -Werror and the sanitizers are switched on by presets (CMakePresets.json),
# never by scripts.

option(FLEETREG_BUILD_TESTS "Build the GoogleTest unit and integration tests" ON)
option(FLEETREG_BUILD_BENCHMARKS "Build the benchmark programs" ON)
option(FLEETREG_WERROR "Treat compiler warnings as errors" OFF)
option(FLEETREG_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
# The ci preset: the tests' own code (not the code under test) at -O1, which
# compiles in half the time of -O2 and runs as fast for what tests do.
option(FLEETREG_FAST_TEST_BUILD "Compile the test programs' own sources at -O1" OFF)
# The test binaries share one precompiled header (tests/support/CMakeLists.txt).
# ccache caches such builds only with sloppiness pch_defines,time_macros.
option(FLEETREG_TEST_PCH "Precompile the headers every test source includes" ON)
option(FLEETREG_BUILD_FUZZERS "Build the libFuzzer targets (clang only; the fuzz preset)" OFF)

# Warning and hardening flags come from the presets (CMakePresets.json), not
# from here: a packager's own flags (dpkg-buildflags, rpm's optflags) stay in
# charge of a plain `cmake` build. fleetreg_warnings carries the presets'
# warning list to fleetreg's own targets only (linked PRIVATE everywhere).
set(FLEETREG_WARNING_FLAGS "" CACHE STRING
    "Warning flags for fleetreg's own targets (a ;-list; the presets set -Wall -Wextra -Wconversion ...)")
add_library(fleetreg_warnings INTERFACE)
add_library(fleetreg::warnings ALIAS fleetreg_warnings)
target_compile_options(fleetreg_warnings INTERFACE
  ${FLEETREG_WARNING_FLAGS}
  $<$<BOOL:${FLEETREG_WERROR}>:-Werror>)

if(FLEETREG_BUILD_FUZZERS AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR
    "FLEETREG_BUILD_FUZZERS needs clang (libFuzzer), not ${CMAKE_CXX_COMPILER_ID}: use the fuzz preset "
    "(cmake --preset fuzz, clang-14 from the Debian packages clang-14 and libclang-rt-14-dev)")
endif()

if(FLEETREG_SANITIZE OR FLEETREG_BUILD_FUZZERS)
  # Applied to the whole tree (libraries, programs, tests) so that every
  # object shares one runtime; done here, once, behind a preset switch.
  # -fno-sanitize=vptr: cpprestsdk's header templates call into objects whose
  # type information lives, hidden, in libcpprest.so; UBSan's vptr check then
  # reports every stream call as a type mismatch (a false positive).
  add_compile_options(-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(FLEETREG_BUILD_FUZZERS)
  # libFuzzer's coverage instrumentation in every library a fuzzer links;
  # fleetreg_add_fuzzer (FleetregFuzz.cmake) adds libFuzzer's main to the
  # fuzzers themselves with -fsanitize=fuzzer.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
