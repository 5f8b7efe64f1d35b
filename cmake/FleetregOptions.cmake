# SPDX-License-Identifier: Apache-2.0
# Project options and the fleetreg_warnings interface target.
# -Werror and the sanitizers are switched on by presets (CMakePresets.json),
# never by scripts.

option(FLEETREG_BUILD_TESTS "Build the GoogleTest unit and integration tests" ON)
option(FLEETREG_BUILD_BENCHMARKS "Build the benchmark programs" ON)
option(FLEETREG_WERROR "Treat compiler warnings as errors" OFF)
option(FLEETREG_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

add_library(fleetreg_warnings INTERFACE)
add_library(fleetreg::warnings ALIAS fleetreg_warnings)
target_compile_options(fleetreg_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  $<$<BOOL:${FLEETREG_WERROR}>:-Werror>)

if(FLEETREG_SANITIZE)
  # Applied to the whole tree (libraries, programs, tests) so that every
  # object shares one runtime; done here, once, behind a preset switch.
  # -fno-sanitize=vptr: cpprestsdk's header templates call into objects whose
  # type information lives, hidden, in libcpprest.so; UBSan's vptr check then
  # reports every stream call as a type mismatch (a false positive).
  add_compile_options(-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Debian's hardening flags (dpkg-buildflags' "hardening=+all" minus PIE,
# which GCC does by default here): fortified libc calls, stack protector,
# read-only relocations bound at start. Not with the sanitizers (a Debug
# build), where _FORTIFY_SOURCE needs optimisation and ASan replaces it.
option(FLEETREG_HARDENING "Build with Debian's hardening flags" ON)
if(FLEETREG_HARDENING AND NOT FLEETREG_SANITIZE)
  add_compile_options($<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2> -fstack-protector-strong)
  add_link_options(LINKER:-z,relro LINKER:-z,now)
endif()
