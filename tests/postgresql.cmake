# SPDX-License-Identifier: Apache-2.0
# A PostgreSQL cluster shared by the test processes of one ctest run.
#
#   fleetreg_postgresql_fixture()
#
# registers, once, the ctest fixture `postgresql`: the test postgresql_start
# (FIXTURES_SETUP) runs tests/support/pg_cluster.sh start <build>/tests/postgresql
# before the first test that requires it, postgresql_stop (FIXTURES_CLEANUP)
# stops the cluster and removes the directory after the last one. It sets
# FLEETREG_POSTGRESQL_PROPERTIES in the caller's scope: the test properties
# that require the fixture and point FLEETREG_TEST_POSTGRESQL at the file
# holding the maintenance database's URI. A test binary uses it as
#
#   fleetreg_postgresql_fixture()
#   fleetreg_add_gtest(fleetreg_storage_unit LABEL unit
#     SOURCES ... LIBS fleetreg_test_postgresql ...
#     PROPERTIES ${FLEETREG_POSTGRESQL_PROPERTIES})
#
# and each test makes its own database with fleetreg::test::test_database
# (fleetreg/test/test_database.hpp): `test_database db; open(db.uri());`.
# The variable goes through ENVIRONMENT_MODIFICATION, so ENVIRONMENT (e.g.
# LSAN_OPTIONS) stays free for the test. ctest adds the two fixture tests to
# any selection (-R, -L) that holds a test requiring them; they carry the
# label `it` (they start a daemon). Run by hand, without ctest, a binary
# has no FLEETREG_TEST_POSTGRESQL and test_database starts a cluster of its own.
set(FLEETREG_POSTGRESQL_DIR ${PROJECT_BINARY_DIR}/tests/postgresql)

function(fleetreg_postgresql_fixture)
  get_property(registered GLOBAL PROPERTY FLEETREG_POSTGRESQL_FIXTURE)
  if(NOT registered)
    set_property(GLOBAL PROPERTY FLEETREG_POSTGRESQL_FIXTURE TRUE)
    set(script ${PROJECT_SOURCE_DIR}/tests/support/pg_cluster.sh)
    add_test(NAME postgresql_start COMMAND ${script} start ${FLEETREG_POSTGRESQL_DIR})
    add_test(NAME postgresql_stop COMMAND ${script} stop ${FLEETREG_POSTGRESQL_DIR})
    set_tests_properties(postgresql_start PROPERTIES FIXTURES_SETUP postgresql LABELS it TIMEOUT 120)
    set_tests_properties(postgresql_stop PROPERTIES FIXTURES_CLEANUP postgresql LABELS it TIMEOUT 120)
  endif()
  set(FLEETREG_POSTGRESQL_PROPERTIES
    FIXTURES_REQUIRED postgresql
    ENVIRONMENT_MODIFICATION "FLEETREG_TEST_POSTGRESQL=set:${FLEETREG_POSTGRESQL_DIR}/conninfo"
    PARENT_SCOPE)
endfunction()
