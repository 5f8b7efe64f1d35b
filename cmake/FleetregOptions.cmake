# SPDX-License-Identifier: Apache-2.0
# Project options and the fleetreg_warnings interface target.
# -Werror and the sanitizers are switched on by presets (CMakePresets.json),
# never by scripts.

option(FLEETREG_BUILD_TESTS "Build the GoogleTest unit and integration tests" ON)
option(FLEETREG_BUILD_BENCHMARKS "Build the benchmark programs" ON)
option(FLEETREG_WERROR "Treat compiler warnings as errors" OFF)
option(FLEETREG_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(FLEETREG_BUILD_FUZZERS "Build the libFuzzer targets (clang only; the fuzz preset)" OFF)

add_library(fleetreg_warnings INTERFACE)
add_library(fleetreg::warnings ALIAS fleetreg_warnings)
target_compile_options(fleetreg_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
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

# Debian's hardening flags (dpkg-buildflags' "hardening=+all" minus PIE,
# which GCC does by default here): fortified libc calls, stack protector,
# read-only relocations bound at start. Not with the sanitizers (a Debug
# build), where _FORTIFY_SOURCE needs optimisation and ASan replaces it.
option(FLEETREG_HARDENING "Build with Debian's hardening flags" ON)
if(FLEETREG_HARDENING AND NOT FLEETREG_SANITIZE AND NOT FLEETREG_BUILD_FUZZERS)
  add_compile_options($<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2> -fstack-protector-strong)
  add_link_options(LINKER:-z,relro LINKER:-z,now)
endif()
