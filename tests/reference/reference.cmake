# Tests of the independent Python reference (tools/reference) and of the golden fixtures it wrote.
#  - reference_fixtures_regen: regenerating every fixture gives byte-identical checkpoints/configs and
#    logits within 1e-6 of the committed ones, i.e. the committed files come from the committed generator.
#  - reference_self_check: the reference's own consistency checks (SSD vs scan, prefill vs decode,
#    float64 vs float32, greedy with and without the cache, loaders).
#  - reference_fixture_sensitivity: one-line wrong readings of the spec (B/C head->group map, group
#    norm, D skip, conv taps, GQA map, router bias, ...) move the fixture logits by > 0.1, so the
#    fixtures can catch them.
#  - reference_check_logits_equal: the comparison tool accepts identical arrays (self_check verifies
#    that it rejects different ones).
if(PYTHON)
  set(NEMOTRON_REF_DIR ${CMAKE_SOURCE_DIR}/tools/reference)
  set(NEMOTRON_FIXTURES ${CMAKE_SOURCE_DIR}/tests/fixtures)
  add_test(NAME reference_fixtures_regen
           COMMAND ${PYTHON} ${NEMOTRON_REF_DIR}/make_fixtures.py --quiet
                   --out ${CMAKE_BINARY_DIR}/fixtures_regen --compare ${NEMOTRON_FIXTURES})
  add_test(NAME reference_self_check
           COMMAND ${PYTHON} ${NEMOTRON_REF_DIR}/self_check.py --fixtures ${NEMOTRON_FIXTURES})
  add_test(NAME reference_fixture_sensitivity
           COMMAND ${PYTHON} ${NEMOTRON_REF_DIR}/sensitivity_check.py)
  add_test(NAME reference_check_logits_equal
           COMMAND ${PYTHON} ${NEMOTRON_REF_DIR}/check_logits.py
                   ${NEMOTRON_FIXTURES}/dense_f32/logits.npy ${NEMOTRON_FIXTURES}/dense_f32/logits.npy --atol 0)
  set_tests_properties(reference_fixtures_regen reference_self_check reference_fixture_sensitivity
                       reference_check_logits_equal PROPERTIES
                       ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;OMP_NUM_THREADS=1" LABELS reference)
else()
  message(WARNING "python3 not found: reference tests not registered")
endif()
