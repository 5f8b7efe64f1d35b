# SPDX-License-Identifier: Apache-2.0
# Lints the OpenAPI document; fails on any error or warning.
execute_process(
  COMMAND ${LINTER} lint --format=stylish ${DOCUMENT}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "redocly lint failed (exit ${rc})")
endif()
if("${out}${err}" MATCHES "[0-9]+ warnings?")
  message(FATAL_ERROR "redocly lint reported warnings")
endif()
