# SPDX-License-Identifier: Apache-2.0
# fleetreg_add_fuzzer(<name> SOURCES <file>... [LIBS <target>...] [OPTIONS <libFuzzer flag>...])
#
# One fuzz target, fleetreg_<name>_fuzz: SOURCES define
#   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
# and call the real parsers without I/O. Its seed corpus is
# tests/fuzz/corpus/<name>/ (committed); tests/fuzz/<name>.dict, when present,
# is its libFuzzer dictionary; OPTIONS are more libFuzzer flags for
# scripts/fuzz.sh (e.g. -max_len=65536).
#
# FLEETREG_BUILD_FUZZERS=ON (the fuzz preset, clang): a libFuzzer binary in
#   <build>/fuzzers/, built by the fleetreg_fuzzers target, with the tree's
#   ASan+UBSan and coverage instrumentation (FleetregOptions.cmake) and
#   libFuzzer's main (-fsanitize=fuzzer). scripts/fuzz.sh runs them.
# Otherwise (every GCC build): the same sources with fleetreg_fuzz_replay_main,
#   which calls LLVMFuzzerTestOneInput once per corpus file.
# Either way the ctest fuzz_corpus.<name> (label unit) replays the committed
# corpus, so every crash once found stays fixed.
#
# Needs the fleetreg_fuzz_replay_main target (tests/fuzz/CMakeLists.txt).
function(fleetreg_add_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;OPTIONS" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "fleetreg_add_fuzzer(${name}): SOURCES is required")
  endif()
  set(target fleetreg_${name}_fuzz)
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  if(NOT IS_DIRECTORY ${corpus})
    message(FATAL_ERROR "fleetreg_add_fuzzer(${name}): no seed corpus in ${corpus}")
  endif()
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} fleetreg::warnings)

  if(FLEETREG_BUILD_FUZZERS)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
    set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/fuzzers)
    if(NOT TARGET fleetreg_fuzzers)
      add_custom_target(fleetreg_fuzzers)
    endif()
    add_dependencies(fleetreg_fuzzers ${target})
    # What scripts/fuzz.sh needs beside the binary: corpus, then libFuzzer flags.
    set(manifest "corpus ${corpus}\n")
    set(dict ${PROJECT_SOURCE_DIR}/tests/fuzz/${name}.dict)
    if(EXISTS ${dict})
      string(APPEND manifest "option -dict=${dict}\n")
    endif()
    foreach(flag IN LISTS ARG_OPTIONS)
      string(APPEND manifest "option ${flag}\n")
    endforeach()
    file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/fuzzers/${target}.manifest CONTENT "${manifest}")
    # libFuzzer runs the corpus once and stops.
    add_test(NAME fuzz_corpus.${name} COMMAND ${target} -runs=0 ${corpus})
  else()
    target_link_libraries(${target} PRIVATE fleetreg_fuzz_replay_main)
    add_test(NAME fuzz_corpus.${name} COMMAND ${target} ${corpus})
  endif()
  set_tests_properties(fuzz_corpus.${name} PROPERTIES LABELS unit TIMEOUT 120)
endfunction()
