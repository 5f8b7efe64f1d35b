# SPDX-License-Identifier: Apache-2.0
# Verifies the shipped Nagios object configuration with Debian's real
# `nagios4 -v`: Debian's own commands, contacts, time periods and templates
# plus plugins/nagios/config/fleetreg.cfg must load with no error and no
# warning; a copy with a broken command reference must fail (so the check
# is not vacuous).
# Usage: cmake -DSAMPLE=... -DWORK=... -P nagios_verify.cmake
file(READ /etc/nagios4/nagios.cfg main)
string(REGEX REPLACE "\ncfg_dir=[^\n]*" "" main "${main}")
string(REGEX REPLACE "\ncfg_file=[^\n]*localhost.cfg" "" main "${main}")
file(MAKE_DIRECTORY ${WORK})
file(WRITE ${WORK}/nagios.cfg "${main}\ncfg_file=${SAMPLE}\n")
execute_process(COMMAND nagios4 -v ${WORK}/nagios.cfg OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Total Warnings: 0" OR NOT out MATCHES "Total Errors:   0")
  message(FATAL_ERROR "nagios4 -v refused ${SAMPLE} (exit ${rc}):\n${out}${err}")
endif()
file(READ ${SAMPLE} sample)
string(REPLACE "check_command           check_fleetreg_terminal!" "check_command           check_fleetreg_missing!" broken "${sample}")
file(WRITE ${WORK}/broken.cfg "${broken}")
file(WRITE ${WORK}/nagios-broken.cfg "${main}\ncfg_file=${WORK}/broken.cfg\n")
execute_process(COMMAND nagios4 -v ${WORK}/nagios-broken.cfg OUTPUT_VARIABLE out2 RESULT_VARIABLE rc2)
if(rc2 EQUAL 0)
  message(FATAL_ERROR "nagios4 -v accepted a configuration with an undefined command:\n${out2}")
endif()
message(STATUS "nagios4 -v: ${SAMPLE} loads with no error and no warning")
